"""item answers as one row per participant and visit (response_sets)

Revision ID: 0003
Revises: 0002

A questionnaire import of a million answers wrote a million item_responses rows,
each with its index entries, foreign-key checks and audit fingerprint; grouped
per participant and visit (trialcore/response_sets.py) it writes thousands.
Stored answers move over with their values and import ids, the lock triggers
of 0002 are made for the new table, and one audit entry per direction records
the move with the digest delta that keeps `audit verify` true. The canonical
export writes response sets as the item lines it wrote before, so a lock's
signed digest still matches after this migration.
"""

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from db.audit import Entry, append_entries, canonical_row
from trialcore.audit_chain import DIGEST_MODULUS, row_fingerprint
from trialcore.response_sets import decode, encode

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LOCKED = "EXISTS (SELECT 1 FROM study WHERE stage IN ('locked', 'unblinded'))"
_meta = sa.MetaData()
SETS = sa.Table("response_sets", _meta, sa.Column("id", sa.Integer),
                sa.Column("participant_id", sa.Integer), sa.Column("visit", sa.String(64)),
                sa.Column("answers", sa.Text), sa.Column("import_id", sa.Integer),
                sa.Column("version", sa.Integer))
ITEMS = sa.Table("item_responses", _meta, sa.Column("id", sa.Integer),
                 sa.Column("participant_id", sa.Integer), sa.Column("visit", sa.String(64)),
                 sa.Column("item", sa.String(64)), sa.Column("value", sa.Float),
                 sa.Column("import_id", sa.Integer), sa.Column("version", sa.Integer))


def _lock_triggers(table: str) -> None:
    """0002's guard for a study data table, for `table`."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER lock_{table} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION trialdesk_guard_data()")
        return
    message = f"study is locked: {table} cannot be changed; its data are final"
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER lock_{table}_{event.lower()} BEFORE {event} ON {table} "
                   f"FOR EACH ROW WHEN {LOCKED} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _digest(table: sa.Table, rows: list[dict]) -> int:
    return sum(row_fingerprint(canonical_row(table, r)) for r in rows) % DIGEST_MODULUS


def _recorded(conn: sa.Connection, table: str) -> int:
    """What the audit trail's digest deltas say `table` holds now."""
    total = 0
    for (after,) in conn.execute(sa.text("SELECT after FROM audit_log WHERE after LIKE :d"),
                                 {"d": "%digest_delta%"}):
        delta = json.loads(after).get("digest_delta", {}).get(table)
        total += int(delta, 16) if delta else 0
    return total % DIGEST_MODULUS


def _record_move(conn: sa.Connection, into: sa.Table, rows: list[dict], what: str) -> None:
    """One audit entry whose delta makes the trail agree with the table's new content."""
    delta = _digest(into, rows) - _recorded(conn, into.name)
    append_entries(conn, "migration", [Entry(
        action="migration", entity="migration", entity_key=f"revision {revision}: {into.name}",
        after={"rows": len(rows), "moved": what}, digest_delta={into.name: delta})])


def upgrade() -> None:
    op.create_table('response_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('visit', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'visit')
    )
    with op.batch_alter_table('response_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_sets_import_id'), ['import_id'],
                              unique=False)
    conn = op.get_bind()
    grouped: dict[tuple[int, str], dict] = defaultdict(dict)
    for r in conn.execute(sa.select(ITEMS)).mappings():
        grouped[r["participant_id"], r["visit"]][r["item"]] = (r["value"], r["import_id"])
    rows = [{"participant_id": p, "visit": v, "answers": encode(answers),
             "import_id": max((i for _, i in answers.values() if i is not None), default=None),
             "version": 1} for (p, v), answers in sorted(grouped.items())]
    if rows:
        conn.execute(SETS.insert(), rows)
        _record_move(conn, SETS, rows, "item_responses grouped into response_sets")
    op.drop_table('item_responses')
    _lock_triggers('response_sets')


def downgrade() -> None:
    op.create_table('item_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('visit', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('participant_id', 'visit', 'item')
    )
    with op.batch_alter_table('item_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_responses_import_id'), ['import_id'],
                              unique=False)
    conn = op.get_bind()
    rows = [{"participant_id": s["participant_id"], "visit": s["visit"], "item": item,
             "value": value, "import_id": source, "version": 1}
            for s in conn.execute(sa.select(SETS).order_by(SETS.c.participant_id,
                                                           SETS.c.visit)).mappings()
            for item, (value, source) in sorted(decode(s["answers"]).items())]
    if rows:
        conn.execute(ITEMS.insert(), rows)
        _record_move(conn, ITEMS, rows, "response_sets split into item_responses")
    op.drop_table('response_sets')
    _lock_triggers('item_responses')
