"""lock triggers: the database itself refuses changes to study data after lock

Revision ID: 0002
Revises: 0001

Screens and services refuse changes after lock (services.lifecycle.require_open);
these triggers make the database refuse them too, so a raw SQL client, a script
or a forgotten service check fails with "study is locked". They hold on SQLite
and PostgreSQL alike:

- study data tables: no INSERT, UPDATE or DELETE (nor TRUNCATE) while the
  study's stage is locked or unblinded;
- study: while locked, only its stage changes, and only in the transitions
  TrialDesk makes, each backed by its signed record written first in the same
  transaction: into locked with an active study_locks row, locked -> running
  once that row is voided (unlock), locked -> unblinded with a whole-study
  unblindings row; an unblinded study never changes again;
- study_locks: added only to a running study, changed once (voided by an
  unlock), never deleted;
- unblindings: never changed or deleted, none added after unblinding;
- revealed_conditions: written only while locked (the unblinding itself),
  never changed or deleted.

The audit log, users and the other tables stay writable. On PostgreSQL the data
guard is a statement trigger (bulk imports pay once per statement) that reads
the stage with FOR KEY SHARE, so a writer racing a lock waits for it and then
sees "locked"; the lock takes the study row FOR UPDATE first. SQLite writers are
serialized already (BEGIN IMMEDIATE).

A later migration that batch-alters one of these tables on SQLite (copy, drop,
rename) loses that table's triggers and must drop and recreate them.
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

DATA_TABLES = ("allocation", "allocation_slots", "dose_codes", "sealed_keys", "participants",
               "visits", "imports", "observations", "item_responses", "mapping_profiles")
STUDY_CONTENT = ("id", "title", "protocol_toml", "protocol_sha256", "synthetic", "created_at")
LOCK_RECORD = ("id", "locked_at", "signer", "meaning", "reason", "data_digest", "audit_head")

CLOSED = "EXISTS (SELECT 1 FROM study WHERE stage IN ('locked', 'unblinded'))"
ACTIVE_LOCK = "EXISTS (SELECT 1 FROM study_locks WHERE voided_at IS NULL)"
STUDY_UNBLINDING = "EXISTS (SELECT 1 FROM unblindings WHERE kind = 'study')"

M_DATA = "study is locked: {table} cannot be changed; its data are final"
M_STUDY_CONTENT = "study is locked: only its stage may change, through TrialDesk"
M_STUDY_DELETE = "study is locked: the study cannot be deleted"
M_UNBLINDED = "study is locked and unblinded: its stage can never change again"
M_INTO_LOCKED = "study is locked only with a signed lock record (TrialDesk lock)"
M_UNLOCK = "study is locked: unlocking needs the lock signature voided first (TrialDesk unlock)"
M_INTO_UNBLINDED = ("study is unblinded only after lock, with an unblinding record "
                    "(TrialDesk unblind)")
M_FROM_LOCKED = "study is locked: it can only be unlocked or unblinded"
M_LOCK_ADD = "study is locked only while it is running: a lock record cannot be added now"
M_LOCK_CHANGE = "study lock records change once, when an unlock voids them"
M_LOCK_DELETE = "study lock records are permanent: a lock is voided by unlocking, not deleted"
M_UNBLINDING_ADD = "study is locked and unblinded: no further unblinding can be recorded"
M_UNBLINDING_CHANGE = "study unblinding records are permanent"
M_REVEAL_ADD = "study is locked: conditions are revealed only by the study unblinding"
M_REVEAL_CHANGE = "study is locked: revealed conditions are final"


# -- SQLite: row triggers with a WHEN clause each ----------------------------------------

def _changed(columns: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns) + ")"


def _sqlite_triggers() -> list[tuple[str, str, str, str, str]]:
    """(name, event, table, condition, message) for every SQLite trigger."""
    out = []
    for table in DATA_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            out.append((f"lock_{table}_{event.lower()}", event, table, CLOSED,
                        M_DATA.format(table=table)))
    old_closed = "OLD.stage IN ('locked', 'unblinded')"
    moved = "NEW.stage IS NOT OLD.stage"
    out += [
        ("lock_study_content", "UPDATE", "study", f"{old_closed} AND {_changed(STUDY_CONTENT)}",
         M_STUDY_CONTENT),
        ("lock_study_delete", "DELETE", "study", old_closed, M_STUDY_DELETE),
        ("lock_study_unblinded", "UPDATE", "study", f"{moved} AND OLD.stage = 'unblinded'",
         M_UNBLINDED),
        ("lock_study_into_locked", "UPDATE", "study",
         f"{moved} AND NEW.stage = 'locked' AND NOT {ACTIVE_LOCK}", M_INTO_LOCKED),
        ("lock_study_unlock", "UPDATE", "study",
         f"OLD.stage = 'locked' AND NEW.stage = 'running' AND {ACTIVE_LOCK}", M_UNLOCK),
        ("lock_study_into_unblinded", "UPDATE", "study",
         f"{moved} AND NEW.stage = 'unblinded' AND (OLD.stage IS NOT 'locked' "
         f"OR NOT {STUDY_UNBLINDING})", M_INTO_UNBLINDED),
        ("lock_study_from_locked", "UPDATE", "study",
         "OLD.stage = 'locked' AND NEW.stage NOT IN ('locked', 'running', 'unblinded')",
         M_FROM_LOCKED),
        ("lock_study_locks_insert", "INSERT", "study_locks",
         "NOT EXISTS (SELECT 1 FROM study WHERE stage = 'running')", M_LOCK_ADD),
        ("lock_study_locks_update", "UPDATE", "study_locks",
         f"OLD.voided_at IS NOT NULL OR NEW.voided_at IS NULL OR {_changed(LOCK_RECORD)}",
         M_LOCK_CHANGE),
        ("lock_study_locks_delete", "DELETE", "study_locks", "1", M_LOCK_DELETE),
        ("lock_unblindings_insert", "INSERT", "unblindings",
         "EXISTS (SELECT 1 FROM study WHERE stage = 'unblinded')", M_UNBLINDING_ADD),
        ("lock_unblindings_update", "UPDATE", "unblindings", "1", M_UNBLINDING_CHANGE),
        ("lock_unblindings_delete", "DELETE", "unblindings", "1", M_UNBLINDING_CHANGE),
        ("lock_revealed_conditions_insert", "INSERT", "revealed_conditions",
         "NOT EXISTS (SELECT 1 FROM study WHERE stage = 'locked')", M_REVEAL_ADD),
        ("lock_revealed_conditions_update", "UPDATE", "revealed_conditions", "1",
         M_REVEAL_CHANGE),
        ("lock_revealed_conditions_delete", "DELETE", "revealed_conditions", "1",
         M_REVEAL_CHANGE),
    ]
    return out


def _sqlite_upgrade() -> None:
    for name, event, table, condition, message in _sqlite_triggers():
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                   f"WHEN {condition} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _sqlite_downgrade() -> None:
    for name, *_ in _sqlite_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


# -- PostgreSQL: trigger functions ---------------------------------------------------------

def _pg_function(name: str, body: str, declare: str = "") -> str:
    # SET search_path FROM CURRENT: the body finds `study` in the schema the triggers
    # were created in, whatever search_path the client that fires them has.
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
            f"SET search_path FROM CURRENT AS $fn$\n{declare}BEGIN\n{body}\nEND\n$fn$")


def _row(values: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{values}.{c}" for c in columns) + ")"


PG_FUNCTIONS = {
    "trialdesk_guard_data": _pg_function("trialdesk_guard_data", declare="""DECLARE
  current_stage text;
""", body="""  SELECT stage INTO current_stage FROM study LIMIT 1 FOR KEY SHARE;
  IF current_stage IN ('locked', 'unblinded') THEN
    RAISE EXCEPTION 'study is locked: % cannot be changed; its data are final', TG_TABLE_NAME;
  END IF;
  RETURN NULL;"""),
    "trialdesk_guard_study": _pg_function("trialdesk_guard_study", body=f"""  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    IF {CLOSED} THEN RAISE EXCEPTION '{M_STUDY_DELETE}'; END IF;
    RETURN OLD;
  END IF;
  IF OLD.stage IN ('locked', 'unblinded')
     AND to_jsonb(NEW) - 'stage' - 'version' IS DISTINCT FROM to_jsonb(OLD) - 'stage' - 'version' THEN
    RAISE EXCEPTION '{M_STUDY_CONTENT}';
  END IF;
  IF NEW.stage IS DISTINCT FROM OLD.stage THEN
    IF OLD.stage = 'unblinded' THEN
      RAISE EXCEPTION '{M_UNBLINDED}';
    ELSIF NEW.stage = 'locked' AND NOT {ACTIVE_LOCK} THEN
      RAISE EXCEPTION '{M_INTO_LOCKED}';
    ELSIF OLD.stage = 'locked' AND NEW.stage = 'running' AND {ACTIVE_LOCK} THEN
      RAISE EXCEPTION '{M_UNLOCK}';
    ELSIF NEW.stage = 'unblinded' AND (OLD.stage <> 'locked' OR NOT {STUDY_UNBLINDING}) THEN
      RAISE EXCEPTION '{M_INTO_UNBLINDED}';
    ELSIF OLD.stage = 'locked' AND NEW.stage NOT IN ('running', 'unblinded') THEN
      RAISE EXCEPTION '{M_FROM_LOCKED}';
    END IF;
  END IF;
  RETURN NEW;"""),
    "trialdesk_guard_study_locks": _pg_function("trialdesk_guard_study_locks", body=f"""  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION '{M_LOCK_DELETE}';
  ELSIF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM study WHERE stage = 'running') THEN
      RAISE EXCEPTION '{M_LOCK_ADD}';
    END IF;
  ELSIF OLD.voided_at IS NOT NULL OR NEW.voided_at IS NULL
        OR {_row('NEW', LOCK_RECORD)} IS DISTINCT FROM {_row('OLD', LOCK_RECORD)} THEN
    RAISE EXCEPTION '{M_LOCK_CHANGE}';
  END IF;
  RETURN NEW;"""),
    "trialdesk_guard_unblindings": _pg_function("trialdesk_guard_unblindings", body=f"""  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION '{M_UNBLINDING_CHANGE}';
  ELSIF EXISTS (SELECT 1 FROM study WHERE stage = 'unblinded') THEN
    RAISE EXCEPTION '{M_UNBLINDING_ADD}';
  END IF;
  RETURN NEW;"""),
    "trialdesk_guard_revealed": _pg_function("trialdesk_guard_revealed", body=f"""  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION '{M_REVEAL_CHANGE}';
  ELSIF NOT EXISTS (SELECT 1 FROM study WHERE stage = 'locked') THEN
    RAISE EXCEPTION '{M_REVEAL_ADD}';
  END IF;
  RETURN NEW;"""),
}

# (trigger, table, timing and events, level, function)
PG_TRIGGERS = [
    *((f"lock_{t}", t, "BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE", "STATEMENT",
       "trialdesk_guard_data") for t in DATA_TABLES),
    ("lock_study", "study", "BEFORE UPDATE OR DELETE", "ROW", "trialdesk_guard_study"),
    ("lock_study_truncate", "study", "BEFORE TRUNCATE", "STATEMENT", "trialdesk_guard_study"),
    ("lock_study_locks", "study_locks", "BEFORE INSERT OR UPDATE OR DELETE", "ROW",
     "trialdesk_guard_study_locks"),
    ("lock_study_locks_truncate", "study_locks", "BEFORE TRUNCATE", "STATEMENT",
     "trialdesk_guard_study_locks"),
    ("lock_unblindings", "unblindings", "BEFORE INSERT OR UPDATE OR DELETE", "ROW",
     "trialdesk_guard_unblindings"),
    ("lock_unblindings_truncate", "unblindings", "BEFORE TRUNCATE", "STATEMENT",
     "trialdesk_guard_unblindings"),
    ("lock_revealed_conditions", "revealed_conditions", "BEFORE INSERT OR UPDATE OR DELETE",
     "ROW", "trialdesk_guard_revealed"),
    ("lock_revealed_conditions_truncate", "revealed_conditions", "BEFORE TRUNCATE",
     "STATEMENT", "trialdesk_guard_revealed"),
]


def _pg_upgrade() -> None:
    for sql in PG_FUNCTIONS.values():
        op.execute(sql)
    for name, table, events, level, function in PG_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {events} ON {table} FOR EACH {level} "
                   f"EXECUTE FUNCTION {function}()")


def _pg_downgrade() -> None:
    for name, table, *_ in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
