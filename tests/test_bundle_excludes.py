"""The PyInstaller bundle leaves out modules the app never imports (packaging/trialdesk.spec,
NEVER_IMPORTED). A bundle without a module the app does import fails only when a user
reaches that feature, and the smoke test does not reach every feature: these tests keep
the list honest, without building the bundle."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("cli", "gui", "services", "db", "importers", "trialcore")


def never_imported() -> list[str]:
    spec = ast.parse((ROOT / "packaging" / "trialdesk.spec").read_text(encoding="utf-8"))
    for node in spec.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "NEVER_IMPORTED" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError("packaging/trialdesk.spec defines no NEVER_IMPORTED")


def excluded(module: str, names: list[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def app_sources() -> list[Path]:
    return [ROOT / "main.py", *(p for pkg in APP_PACKAGES for p in (ROOT / pkg).rglob("*.py"))]


def imported_modules(path: Path) -> list[str]:
    """Every absolute import in the file, also those inside functions, which only run
    when a feature is used (`from a.b import c` gives a.b: c may not be a module)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return found


def test_no_app_source_imports_an_excluded_module() -> None:
    names = never_imported()
    offending = {f"{path.relative_to(ROOT)}: {module}" for path in app_sources()
                 for module in imported_modules(path) if excluded(module, names)}
    assert not offending


def test_what_the_app_imports_loads_no_excluded_module_in_turn() -> None:
    """The libraries' own imports: every module an app file imports (also lazily) is
    imported in a fresh interpreter, and none of the excluded ones may come along."""
    wanted = sorted({m for path in app_sources() for m in imported_modules(path)
                     if not m.startswith("db.migrations.versions")})
    code = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except ImportError:  # `from a import function`: a.function is no module
        pass
print(json.dumps(sorted(sys.modules)))
"""
    done = subprocess.run([sys.executable, "-c", code, json.dumps(wanted)], cwd=ROOT,
                          check=True, capture_output=True, text=True,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert {"gui.window.main_window", "statsmodels.regression.mixed_linear_model"} <= set(loaded)
    assert [m for m in loaded if excluded(m, never_imported())] == []
