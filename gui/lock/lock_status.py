"""What the Lock tab shows, read in the steps that keep it quick on a large study.

The checklist's cheap items (visits, deviations, queries…: aggregate reads) come first,
in one job, with the stage and the active lock signature. The audit trail's item waits
for the window's shared check (gui/audit/trail_check.py): verifying hashes every row.
The certificate of a locked study (a digest of all the data) is read in a job of its
own, and only when the study is locked; the data cannot change while it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gui.audit.trail_check import TrailCheck
from gui.common.jobs import Cancelled, Job, Progress
from services import lock
from services.context import Actor, App
from services.study import stage

PENDING = "being checked…"
NOT_CHECKED = "not verified since the trail last changed: Check again verifies it"


@dataclass(frozen=True)
class LockStatus:
    """The stage, the checklist without its audit item, the active lock signature (None
    if the study is not locked), and, once known, the audit item (None while pending:
    neither pass nor fail) and the certificate."""

    stage: str
    items: list[lock.CheckItem]
    record: lock.LockRecord | None
    audit: lock.CheckItem | None = None
    certificate: dict[str, Any] | None = None

    @property
    def ready(self) -> bool:
        """A running study whose checks all pass, the trail's included."""
        return (self.stage == "running" and self.audit is not None and self.audit.ok
                and all(i.ok for i in self.items))


def audit_of(trail: TrailCheck) -> lock.CheckItem | None:
    """The audit item for the shared check's result, if it covers the trail as it is."""
    return lock.audit_item(trail.result) if trail.fresh() and trail.result else None


def pending(trail: TrailCheck) -> lock.CheckItem:
    """The audit item's place while its check runs, or has yet to run."""
    return lock.CheckItem("audit", lock.AUDIT_TITLE, False,
                          PENDING if trail.running else NOT_CHECKED)


def summary(status: LockStatus) -> str:
    record = status.record
    if record is None:
        return f"Stage: <b>{status.stage}</b>. The study is not locked."
    cert = status.certificate
    data = ("being compared with the digest it signed…" if cert is None else
            "unchanged since" if cert["data_unchanged"] else "CHANGED since")
    when = f"{record.locked_at:%Y-%m-%d %H:%M:%S}"
    return (f"Stage: <b>{status.stage}</b>. Locked by {record.signer} on {when} UTC "
            f"({record.reason}); data {data}.")


class LockStatusJob(Job):
    title = "Checking the study for lock"

    def __init__(self, app: App, actor: Actor, on_result: Callable[[LockStatus], None]):
        self.app, self.actor, self.on_result = app, actor, on_result

    def run(self, progress: Progress, cancelled: Cancelled) -> LockStatus:
        progress(0, 0, "Checking visits, deviations, queries and data entry…")
        active = next((r for r in lock.history(self.app, self.actor) if r.active), None)
        return LockStatus(stage(self.app), lock.quick_checklist(self.app, self.actor), active)

    def process_result(self, result: object) -> None:
        self.on_result(result)  # type: ignore[arg-type]


class CertificateJob(Job):
    title = "Reading the lock certificate"

    def __init__(self, app: App, actor: Actor,
                 on_result: Callable[[dict[str, Any] | None], None]):
        self.app, self.actor, self.on_result = app, actor, on_result

    def run(self, progress: Progress, cancelled: Cancelled) -> dict[str, Any] | None:
        progress(0, 0, "Comparing the data with the digest the lock signed…")
        return lock.certificate(self.app, self.actor)

    def process_result(self, result: object) -> None:
        self.on_result(result)  # type: ignore[arg-type]
