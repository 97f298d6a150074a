"""audit head: the newest audit entry, kept by a trigger, so a deleted tail is named

Revision ID: 0009
Revises: 0007

A hash chain proves every entry up to its last one, but a chain whose last
entries were deleted is still a valid chain: `audit verify` could only see that
the tables hold changes the trail does not record, which is also what a row
changed behind TrialDesk's back looks like. `audit_head` holds one row, the
sequence number and hash of the newest entry ever appended; a trigger on
`audit_log` moves it forward on every insert (deletes leave it), so verify can
say "the trail is shorter than the tables: N entries missing at the end". The
row is filled from the trail as it stands when this migration runs.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = "0007"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # trialcore.audit_chain.GENESIS, as the migration saw it

PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION trialdesk_audit_head() RETURNS trigger LANGUAGE plpgsql "
    "SET search_path FROM CURRENT AS $fn$\nBEGIN\n"
    "UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1 AND seq < NEW.seq;\n"
    "RETURN NULL;\nEND\n$fn$")


M_HEAD = "audit_head holds one row, moved only by new audit entries"
PG_GUARD = (
    "CREATE OR REPLACE FUNCTION trialdesk_audit_head_guard() RETURNS trigger LANGUAGE "
    f"plpgsql SET search_path FROM CURRENT AS $fn$\nBEGIN\nRAISE EXCEPTION '{M_HEAD}';\n"
    "END\n$fn$")


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        ).first()
    conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": last[0] if last else 0, "hash": last[1] if last else GENESIS})
    if conn.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION trialdesk_audit_head()")
        # Its one row is neither added to nor taken away: with none, a cut trail could
        # no longer be named; with two, which one counts would be undefined.
        op.execute(PG_GUARD)
        op.execute("CREATE TRIGGER audit_head_one_row BEFORE INSERT OR DELETE OR TRUNCATE "
                   "ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION "
                   "trialdesk_audit_head_guard()")
    else:
        for event in ("INSERT", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_head_one_row_{event.lower()} BEFORE {event} "
                       f"ON audit_head BEGIN SELECT RAISE(ABORT, '{M_HEAD}'); END")
        op.execute("CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_log "
                   "FOR EACH ROW BEGIN UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash "
                   "WHERE id = 1 AND seq < NEW.seq; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_head_follows" + (
        " ON audit_log" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_one_row ON audit_head")
        op.execute("DROP FUNCTION trialdesk_audit_head()")
        op.execute("DROP FUNCTION trialdesk_audit_head_guard()")
    else:
        for event in ("insert", "delete"):
            op.execute(f"DROP TRIGGER audit_head_one_row_{event}")
    op.drop_table('audit_head')
