"""`lock --reason R` (also `--check`, `--show`) and `unlock --reason R`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import lock


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lock", help="lock the study: data become final (investigator; "
                       "password re-entered)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--reason", help="why the study is locked now")
    what.add_argument("--check", action="store_true", help="only show the lock checklist")
    what.add_argument("--show", action="store_true", help="show the lock certificate")
    p.set_defaults(handler=handle_lock)
    u = sub.add_parser("unlock", help="void the lock signature and reopen the study "
                       "(investigator; never after unblinding)")
    u.add_argument("--reason", required=True, help="why the study is reopened")
    u.set_defaults(handler=handle_unlock)


def _checklist_text(items: list[lock.CheckItem]) -> str:
    lines = []
    for item in items:
        mark = "FAIL" if not item.ok else "warn" if item.warning else "ok"
        lines.append(f"[{mark:<4}] {item.title}: {item.note}")
        lines += [f"         {p.record}: {p.message}" for p in item.problems]
    return "\n".join(lines)


def _record_text(title: str, r: dict[str, object]) -> str:
    rows = [("signed by", r["signer"]), ("at (UTC)", r["locked_at"]), ("meaning", r["meaning"]),
            ("reason", r["reason"]), ("data SHA-256", r["data_digest"]),
            ("audit head", r["audit_head"])]
    if r.get("voided_at"):
        rows += [("voided by", r["voided_by"]), ("voided at", r["voided_at"]),
                 ("void reason", r["void_reason"])]
    if "audit_entries" in r:
        rows.append(("audit trail", f"entry {r['audit_entries']} is the signed head"
                     if r["audit_head_in_trail"] else
                     "REWRITTEN: the signed head is no longer in the trail"))
    if "data_unchanged" in r:
        rows.append(("data now", "unchanged since the lock" if r["data_unchanged"]
                     else f"CHANGED: digest is now {r['current_digest']}"))
        if not r.get("covers_adverse_events", True):
            rows.append(("note", "signed before adverse events were part of the data "
                         "export: the signature does not cover them"))
    return "\n".join([title, *(f"  {k:<13} {v}" for k, v in rows)])


def handle_lock(cli: Cli) -> Result:
    a, app = cli.args, cli.app
    if a.check:
        items = lock.checklist(app, cli.actor)
        ok = all(i.ok for i in items)
        return Result({"ready": ok, "items": [i.as_dict() for i in items]},
                      _checklist_text(items), exit_code=0 if ok else 1)
    if a.show:
        return _show(cli)
    actor = cli.actor
    password = cli.signature(lock.MEANING)
    record = lock.lock(app, actor, a.reason, password).as_dict()
    return Result(record, _record_text("Study locked: its data are final.", record))


def _show(cli: Cli) -> Result:
    """The active lock's certificate, then every earlier (voided) signature."""
    cert = lock.certificate(cli.app, cli.actor)
    voided = [r.as_dict() for r in lock.history(cli.app, cli.actor) if not r.active]
    texts = [_record_text(f"Lock certificate: {cert['study']}", cert) if cert
             else "The study is not locked."]
    texts += [_record_text("Voided lock signature:", r) for r in voided]
    return Result({"locked": cert is not None, **(cert or {}), "voided": voided},
                  "\n".join(texts))


def handle_unlock(cli: Cli) -> Result:
    actor = cli.actor
    password = cli.signature(lock.UNLOCK_MEANING)
    record = lock.unlock(cli.app, actor, cli.args.reason, password).as_dict()
    return Result(record, _record_text("Study unlocked: the lock signature is void.", record))
