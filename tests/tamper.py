"""Changing the audit trail as someone who owns the schema could: the append-only
triggers (migration 0005) are taken off first, the way such an attacker would."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from services.context import App


def guards_off(conn: Connection, table: str) -> None:
    """Take `table`'s triggers off inside `conn`'s transaction, as a schema owner could;
    they are back when it is rolled back (or put back by the caller)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        return
    for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = "
                                     "'trigger' AND tbl_name = :t"), {"t": table}).all():
        conn.execute(text(f'DROP TRIGGER "{name}"'))


def behind_the_guards(app: App, table: str, *statements: str) -> None:
    """Run `statements` on `table` with its triggers taken off and put back, as a schema
    owner could: what the guards stop, only the audit check can then find."""
    with app.engine.begin() as conn:
        triggers = [] if app.dialect == "postgresql" else conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table}).scalars().all()
        guards_off(conn, table)
        for sql in statements:
            conn.execute(text(sql))
        if app.dialect == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        for sql in triggers:
            conn.execute(text(sql))


def rewrite_audit_log(app: App, *statements: str) -> None:
    """Run `statements` (which may UPDATE or DELETE audit_log) with the guard removed."""
    behind_the_guards(app, "audit_log", *statements)


def rebuild_chain_after_rewriting(app: App, seq: int, reason: str) -> None:
    """Give entry `seq` another reason and recompute every hash from it on, as anyone with
    write access could: the chain checks out again, only a receipt kept elsewhere differs."""
    from db.audit import _hashed_fields
    from db.models import AuditEntry
    from trialcore.audit_chain import entry_hash

    with app.read() as s:
        rows = [{c.name: getattr(e, c.key) for c in AuditEntry.__table__.columns}
                for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    prev = rows[seq - 2]["hash"] if seq > 1 else rows[0]["prev_hash"]
    statements = []
    for row in rows[seq - 1:]:
        if row["seq"] == seq:
            row["reason"] = reason
        row["prev_hash"], row["hash"] = prev, entry_hash(prev, _hashed_fields(row))
        prev = row["hash"]
        quoted = reason.replace("'", "''")
        statements.append(
            f"UPDATE audit_log SET prev_hash = '{row['prev_hash']}', hash = '{row['hash']}'"
            + (f", reason = '{quoted}'" if row["seq"] == seq else "")
            + f" WHERE seq = {row['seq']}")
    # the trail's recorded head (migration 0009) is a plain row: such an attacker moves it too
    statements.append(f"UPDATE audit_head SET hash = '{prev}'")
    rewrite_audit_log(app, *statements)
