"""data capture and monitoring: data queries and their messages, SDV marks, adverse events

Revision ID: 0007
Revises: 0005

Hand-entered values need no new column: a hand entry is written through the import
path with an `imports` row of kind "entry" (who, when), so observations and
response_sets keep naming the record that wrote each value. The four new tables
hold study data and get 0002's lock guard, on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("queries", "query_messages", "sdv_marks", "adverse_events")
LOCKED = "EXISTS (SELECT 1 FROM study WHERE stage IN ('locked', 'unblinded'))"


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


def _drop_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS lock_{table} ON {table}")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS lock_{table}_{event}")


def upgrade() -> None:
    op.create_table(
        'queries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('visit', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_by', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_queries_participant_id', 'queries', ['participant_id'])
    op.create_table(
        'query_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('query_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['query_id'], ['queries.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_query_messages_query_id', 'query_messages', ['query_id'])
    op.create_table(
        'sdv_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('visit', sa.String(length=64), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('participant_id', 'visit'))
    op.create_table(
        'adverse_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('term', sa.String(length=300), nullable=False),
        sa.Column('term_code', sa.String(length=32), nullable=True),
        sa.Column('dictionary', sa.String(length=64), nullable=True),
        sa.Column('onset', sa.Date(), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('serious', sa.Boolean(), nullable=False),
        sa.Column('related', sa.String(length=16), nullable=False),
        sa.Column('visit', sa.String(length=64), nullable=True),
        sa.Column('resolved', sa.Date(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('action', sa.Text(), nullable=True),
        sa.Column('reported_by', sa.String(length=64), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_adverse_events_participant_id', 'adverse_events', ['participant_id'])
    for table in TABLES:
        _lock_triggers(table)


def downgrade() -> None:
    for table in TABLES:
        _drop_triggers(table)
    op.drop_index('ix_adverse_events_participant_id', table_name='adverse_events')
    op.drop_table('adverse_events')
    op.drop_table('sdv_marks')
    op.drop_index('ix_query_messages_query_id', table_name='query_messages')
    op.drop_table('query_messages')
    op.drop_index('ix_queries_participant_id', table_name='queries')
    op.drop_table('queries')
