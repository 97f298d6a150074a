"""accounts lock out after failed sign-ins; the audit log and the sealed list in use are fixed

Revision ID: 0005
Revises: 0004

- users: `failed_logins`, `failed_since` and `locked_until` count failed sign-ins
  (services/accounts.py: 5 within 15 minutes lock the account for 15 minutes).
- audit_log: append-only in the database itself. UPDATE and DELETE (and TRUNCATE
  on PostgreSQL) are refused by triggers, so a raw SQL client or a script with the
  app's credentials cannot rewrite history. A schema owner can still drop the
  triggers: docs/deployment.md runs the app as a role that owns nothing.
- the sealed allocation once in use (a participant holds a slot): its sealed keys
  and dose codes are never changed or deleted, its slots never deleted and a
  slot's participant never changed, so the blind that protects the data cannot
  be swapped behind the app's back. Before anyone is enrolled the list may still
  be replaced (TrialDesk's `allocation generate --replace`).
"""

import sqlalchemy as sa
from alembic import op

from db.audit import Entry, append_entries, canonical_row, redacted
from trialcore.audit_chain import row_fingerprint

revision = '0005'
down_revision = "0004"
branch_labels = None
depends_on = None

IN_USE = "EXISTS (SELECT 1 FROM allocation_slots WHERE participant_id IS NOT NULL)"
DISPENSING_COPY = "dispensing"  # sealed_keys.kind of the pharmacist's copy
M_AUDIT = "audit_log is append-only: entries are never changed or deleted"
M_SEALED = "the allocation list is in use: {table} can never be changed or deleted"
M_SLOT = ("the allocation list is in use: slots are never deleted and the participant "
          "of a slot never changes")

# (name, event, table, condition, message) for SQLite
SQLITE_TRIGGERS = [
    ("append_only_audit_log_update", "UPDATE", "audit_log", "1", M_AUDIT),
    ("append_only_audit_log_delete", "DELETE", "audit_log", "1", M_AUDIT),
    # The pharmacist's dispensing copy may be sealed anew (allocation handover, with the
    # sealing passphrase, audited): it re-encrypts the same key and changes no allocation.
    *((f"sealed_sealed_keys_{e.lower()}", e, "sealed_keys",
       f"OLD.kind <> '{DISPENSING_COPY}' AND {IN_USE}", M_SEALED.format(table="sealed_keys"))
      for e in ("UPDATE", "DELETE")),
    *((f"sealed_dose_codes_{e.lower()}", e, "dose_codes", IN_USE,
       M_SEALED.format(table="dose_codes")) for e in ("UPDATE", "DELETE")),
    ("sealed_allocation_slots_delete", "DELETE", "allocation_slots", IN_USE, M_SLOT),
    ("sealed_allocation_slots_update", "UPDATE", "allocation_slots",
     "OLD.participant_id IS NOT NULL AND (NEW.participant_id IS NOT OLD.participant_id "
     "OR NEW.stratum IS NOT OLD.stratum OR NEW.position IS NOT OLD.position)", M_SLOT),
]


def _pg_function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path FROM CURRENT AS $fn$\nBEGIN\n{body}\nEND\n$fn$")


PG_FUNCTIONS = {
    "trialdesk_append_only": _pg_function("trialdesk_append_only",
                                          f"  RAISE EXCEPTION '{M_AUDIT}';"),
    "trialdesk_guard_sealed": _pg_function("trialdesk_guard_sealed", f"""  IF {IN_USE} THEN
    RAISE EXCEPTION 'the allocation list is in use: % can never be changed or deleted',
      TG_TABLE_NAME;
  END IF;
  RETURN NULL;"""),
    "trialdesk_guard_sealed_keys": _pg_function("trialdesk_guard_sealed_keys", f"""  IF OLD.kind <> '{DISPENSING_COPY}' AND {IN_USE} THEN
    RAISE EXCEPTION '{M_SEALED.format(table="sealed_keys")}';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;"""),
    "trialdesk_guard_slots": _pg_function("trialdesk_guard_slots", f"""  IF TG_OP = 'UPDATE' THEN
    IF OLD.participant_id IS NOT NULL AND (NEW.participant_id IS DISTINCT FROM OLD.participant_id
       OR NEW.stratum IS DISTINCT FROM OLD.stratum OR NEW.position IS DISTINCT FROM OLD.position)
    THEN
      RAISE EXCEPTION '{M_SLOT}';
    END IF;
    RETURN NEW;
  END IF;
  IF {IN_USE} THEN
    RAISE EXCEPTION '{M_SLOT}';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NULL END;"""),
}

# (trigger, table, timing and events, level, function)
PG_TRIGGERS = [
    ("append_only_audit_log", "audit_log", "BEFORE UPDATE OR DELETE", "ROW",
     "trialdesk_append_only"),
    ("append_only_audit_log_truncate", "audit_log", "BEFORE TRUNCATE", "STATEMENT",
     "trialdesk_append_only"),
    ("sealed_sealed_keys", "sealed_keys", "BEFORE UPDATE OR DELETE", "ROW",
     "trialdesk_guard_sealed_keys"),
    ("sealed_sealed_keys_truncate", "sealed_keys", "BEFORE TRUNCATE", "STATEMENT",
     "trialdesk_guard_sealed"),
    ("sealed_dose_codes", "dose_codes", "BEFORE UPDATE OR DELETE OR TRUNCATE", "STATEMENT",
     "trialdesk_guard_sealed"),
    ("sealed_allocation_slots", "allocation_slots", "BEFORE UPDATE OR DELETE", "ROW",
     "trialdesk_guard_slots"),
    ("sealed_allocation_slots_truncate", "allocation_slots", "BEFORE TRUNCATE", "STATEMENT",
     "trialdesk_guard_slots"),
]


def _users_columns() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('failed_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))


_meta = sa.MetaData()
_OLD = [sa.Column("id", sa.Integer), sa.Column("name", sa.String(64)),
        sa.Column("role", sa.String(16)), sa.Column("password_hash", sa.String(255)),
        sa.Column("active", sa.Boolean), sa.Column("created_at", sa.DateTime),
        sa.Column("version", sa.Integer)]
USERS_BEFORE = sa.Table("users", _meta, *_OLD)
USERS_AFTER = sa.Table("users", sa.MetaData(), *(sa.Column(c.name, c.type) for c in _OLD),
                       sa.Column("failed_logins", sa.Integer),
                       sa.Column("failed_since", sa.DateTime),
                       sa.Column("locked_until", sa.DateTime))


def _record_users(adding: bool) -> None:
    """Every account's audited content gains (or loses) the three columns: one audit
    entry per account with its digest delta, so `audit verify` still proves the users
    table of a study made before this revision (and after going back down)."""
    conn = op.get_bind()
    old, new = (USERS_BEFORE, USERS_AFTER) if adding else (USERS_AFTER, USERS_BEFORE)
    entries = []
    for row in conn.execute(sa.select(USERS_AFTER).order_by(USERS_AFTER.c.id)).mappings():
        before, after = canonical_row(old, row), canonical_row(new, row)
        entries.append(Entry(
            action="migration", entity="users", entity_key=row["name"],
            before=redacted("users", before), after=redacted("users", after),
            reason=f"revision {revision}: " + ("accounts count failed sign-ins" if adding
                                               else "the older TrialDesk has no lockout"),
            digest_delta={"users": row_fingerprint(after) - row_fingerprint(before)}))
    if entries:
        append_entries(conn, "migration", entries)


def upgrade() -> None:
    _users_columns()
    _record_users(adding=True)
    if op.get_bind().dialect.name == "postgresql":
        for sql in PG_FUNCTIONS.values():
            op.execute(sql)
        for name, table, events, level, function in PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {events} ON {table} FOR EACH {level} "
                       f"EXECUTE FUNCTION {function}()")
        return
    for name, event, table, condition, message in SQLITE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                   f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name, *_ in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _record_users(adding=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_since')
        batch_op.drop_column('failed_logins')
