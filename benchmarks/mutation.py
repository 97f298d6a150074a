"""Mutation score of the integrity rules: how many planted one-line bugs the tests catch.

    python -m benchmarks.mutation                 # every target below
    python -m benchmarks.mutation roles codes     # some of them

Like the speed figures this runs outside CI: it needs `pip install "mutmut>=3,<4"` and
takes minutes. Each target mutates one module (or some of its functions) with mutmut
and runs only the tests that are about it, on SQLite, in a scratch copy of the
repository (mutmut writes its `mutants/` folder there, never here). It prints one line
per target (killed, survived, score) and every surviving mutant's diff; docs/mutation.md
records a run and what each survivor means.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("trialcore", "db", "services", "cli", "gui", "importers", "resources",
            "benchmarks")


@dataclass(frozen=True)
class Target:
    module: str  # the file mutated
    tests: tuple[str, ...]  # pytest arguments: the focused selection
    functions: tuple[str, ...] = ()  # only these functions' mutants ("" = the whole file)


ON_SQLITE = ("-k", "not postgresql")
# test_every_table builds its studies per run: the unblinded one has a row in every table
VERIFY_ON_SQLITE = "(audit_verify and unblinded or not every_table) and not postgresql"
TARGETS = {
    "roles": Target("trialcore/roles.py", ("tests/test_role_guards.py", *ON_SQLITE)),
    "codes": Target("trialcore/codes.py", ("tests/domain/test_codes.py",
                                           "tests/test_codes_service.py", *ON_SQLITE)),
    "sealing": Target("trialcore/sealing.py", ("tests/domain/test_sealing.py",)),
    "audit_chain": Target("trialcore/audit_chain.py", ("tests/test_audit.py",
                                                       "tests/test_every_table.py",
                                                       "-k", VERIFY_ON_SQLITE)),
    "dataset.load": Target("services/dataset.py", ("tests/test_exports.py",
                                                   "tests/test_export_long.py", *ON_SQLITE),
                           ("load",)),
    "audit.verify": Target("db/audit.py", ("tests/test_audit.py", "tests/test_every_table.py",
                                           "-k", VERIFY_ON_SQLITE),
                           ("verify", "audited_tables", "_locate", "_table_digest")),
}


def _config(target: Target) -> str:
    package = target.module.split("/")[0]
    lines = ["", "[mutmut]", "source_paths =", f"    {package}", "also_copy ="]
    lines += [f"    {p}" for p in (*PACKAGES, "main.py") if p != package]
    lines += ["only_mutate =", f"    {target.module}", "pytest_add_cli_args =",
              "    -p", "    no:xdist", "    -p", "    no:cacheprovider",
              "pytest_add_cli_args_test_selection ="]
    lines += [f"    {arg}" for arg in target.tests]
    return "\n".join(lines) + "\n"


def _scratch(folder: Path) -> None:
    """The repository's tracked files, copied (mutmut copies them again into mutants/)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.split()
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)


def _names(target: Target) -> list[str]:
    dotted = target.module.removesuffix(".py").replace("/", ".")
    return [f"{dotted}.x_{f}__mutmut_*" for f in target.functions]


def run(name: str, target: Target) -> tuple[int, int, list[str]]:
    """(killed, total, surviving diffs) for one target."""
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as tmp:
        folder = Path(tmp)
        _scratch(folder)
        with (folder / "setup.cfg").open("a", encoding="utf-8") as fh:
            fh.write(_config(target))
        mutmut = [sys.executable, "-m", "mutmut"]
        subprocess.run([*mutmut, "run", *_names(target)], cwd=folder, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        listing = subprocess.run([*mutmut, "results", "--all", "true"], cwd=folder,
                                 check=True, capture_output=True, text=True).stdout
        found = re.findall(r"^\s*(\S+__mutmut_\d+): (\w[\w ]*)$", listing, re.M)
        wanted = [re.compile(n.replace(".", r"\.").replace("*", ".*")) for n in _names(target)]
        found = [(m, s) for m, s in found if not wanted or any(w.fullmatch(m) for w in wanted)]
        survivors = [subprocess.run([*mutmut, "show", m], cwd=folder, check=True,
                                    capture_output=True, text=True).stdout
                     for m, status in found if status != "killed"]
        return sum(s == "killed" for _, s in found), len(found), survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], default=[],
                        metavar="TARGET", help=f"some of: {', '.join(TARGETS)}")
    chosen = parser.parse_args().targets or list(TARGETS)
    totals = [0, 0]
    for name in chosen:
        killed, total, survivors = run(name, TARGETS[name])
        totals[0] += killed
        totals[1] += total
        score = f"{100 * killed / total:.1f} %" if total else "no mutants"
        print(f"{name:<14} {TARGETS[name].module:<26} killed {killed:>3} of {total:>3}  {score}",
              flush=True)
        for diff in survivors:
            print("    " + diff.strip().replace("\n", "\n    "), flush=True)
    if totals[1]:
        print(f"{'all':<14} {'':<26} killed {totals[0]:>3} of {totals[1]:>3}  "
              f"{100 * totals[0] / totals[1]:.1f} %")


if __name__ == "__main__":
    main()
