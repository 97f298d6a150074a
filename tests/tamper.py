"""Changing the audit trail as someone who owns the schema could: the append-only
triggers (migration 0005) are taken off first, the way such an attacker would."""

from __future__ import annotations

from sqlalchemy import text

from services.context import App


def rewrite_audit_log(app: App, *statements: str) -> None:
    """Run `statements` (which may UPDATE or DELETE audit_log) with the guard removed."""
    with app.engine.begin() as conn:
        if app.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            for name in ("append_only_audit_log_update", "append_only_audit_log_delete"):
                conn.execute(text(f"DROP TRIGGER {name}"))
        for sql in statements:
            conn.execute(text(sql))
        if app.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
