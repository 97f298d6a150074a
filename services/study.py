"""Creating a study from its protocol, and describing it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from db.models import AuditEntry, Participant, Study
from services.accounts import bootstrap_admin
from services.context import Actor, App, require
from services.errors import Refused, no_study
from trialcore.protocol import Protocol, ProtocolError, load_protocol

STAGES = ("setup", "running", "locked", "unblinded")


def read_protocol(protocol_path: str | Path) -> Protocol:
    """The protocol file for a new study, refused with every problem by key; callers check
    it before they open (and so create) a database."""
    try:
        return load_protocol(protocol_path)
    except ProtocolError as exc:
        raise Refused(str(exc), [{"key": k, "message": m} for k, m in exc.problems]) from exc


def init_study(app: App, protocol_path: str | Path, admin: str, admin_password: str,
               *, synthetic: bool = False) -> Protocol:
    """Create the study and its first administrator; refuse a bad file, write nothing."""
    protocol = read_protocol(protocol_path)
    if app.has_study():
        raise Refused(f"{app.safe_url} already holds a study; use a new database")
    with app.write(Actor(admin, "admin"), "study.init",
                   reason=f"created from {Path(protocol_path).name}") as s:
        bootstrap_admin(s, admin, admin_password)
        s.add(Study(
            title=f"{protocol.title} [SYNTHETIC DEMO DATA]" if synthetic
            else protocol.title, protocol_toml=protocol.source,
            protocol_sha256=hashlib.sha256(protocol.source.encode()).hexdigest(),
            stage="setup", synthetic=synthetic,
        ))
    app.__dict__.pop("protocol", None)
    return protocol


def stage(app: App) -> str:
    with app.read() as s:
        value = s.scalar(select(Study.stage))
    if value is None:
        raise no_study()
    return value


def change_mark(app: App) -> int:
    """The number of the audit trail's last entry. Every change to the study writes one,
    so a view that finds the mark it loaded at has nothing new to read."""
    with app.read() as s:
        return s.scalar(select(func.max(AuditEntry.seq))) or 0


def show(app: App, actor: Actor) -> dict[str, Any]:
    require(actor, "study.read")
    protocol = app.protocol
    with app.read() as s:
        study = s.scalar(select(Study))
        counts = dict(s.execute(select(Participant.status, func.count())
                                .group_by(Participant.status)).all())
    return {
        "title": study.title,
        "stage": study.stage,
        "synthetic": study.synthetic,
        "database": app.safe_url,
        **protocol.to_dict(),
        "participants": sum(counts.values()),
        "participants_by_status": counts,
    }
