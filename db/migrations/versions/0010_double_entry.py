"""double data entry: a hand-entered value of a double-entry measure, entered twice

Revision ID: 0010
Revises: 0009

A measure the protocol marks `double_entry = true` is entered by two different
people; `double_entries` keeps each value's first and second entry, the mismatch
and its resolution until the value is stored (services/double_entry.py). It is
study data: 0002's lock guard, as 0007 gives its tables, on SQLite and PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "double_entries"
LOCKED = "EXISTS (SELECT 1 FROM study WHERE stage IN ('locked', 'unblinded'))"
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('visit', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('first_value', sa.String(length=64), nullable=False),
        sa.Column('first_by', sa.String(length=64), nullable=False),
        sa.Column('first_at', sa.DateTime(), nullable=False),
        sa.Column('second_value', sa.String(length=64), nullable=True),
        sa.Column('second_by', sa.String(length=64), nullable=True),
        sa.Column('second_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_value', sa.String(length=64), nullable=True),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_double_entries_participant_id', TABLE, ['participant_id'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER lock_{TABLE} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {TABLE} FOR EACH STATEMENT EXECUTE FUNCTION trialdesk_guard_data()")
        return
    message = f"study is locked: {TABLE} cannot be changed; its data are final"
    for event in EVENTS:
        op.execute(f"CREATE TRIGGER lock_{TABLE}_{event.lower()} BEFORE {event} ON {TABLE} "
                   f"FOR EACH ROW WHEN {LOCKED} BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS lock_{TABLE} ON {TABLE}")
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS lock_{TABLE}_{event.lower()}")
    op.drop_index('ix_double_entries_participant_id', table_name=TABLE)
    op.drop_table(TABLE)
