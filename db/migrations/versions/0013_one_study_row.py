"""one study row: a database holds one study, so a second study row is refused

Revision ID: 0013
Revises: 0011

TrialDesk reads its study as the one row of `study`; migration 0002 guards that
row's updates and deletes after lock but let a raw INSERT add a second row, which
the app would then read in an undefined order (audit verify names such a row, but
only when someone runs it). The database itself now refuses any second row, at
every stage, on SQLite and PostgreSQL alike. TrialDesk writes the row once, at
`init`, so no path of its own is affected.
"""

from alembic import op

revision = '0013'
down_revision = "0011"
branch_labels = None
depends_on = None

M_ONE_STUDY = "study holds one row: a database keeps one study, a second cannot be added"

PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION trialdesk_one_study() RETURNS trigger LANGUAGE plpgsql "
    "SET search_path FROM CURRENT AS $fn$\nBEGIN\n"
    # The lock on the table (not a row) makes two first inserts racing each other wait,
    # so the second one sees the first.
    "LOCK TABLE study IN SHARE ROW EXCLUSIVE MODE;\n"
    f"IF EXISTS (SELECT 1 FROM study) THEN RAISE EXCEPTION '{M_ONE_STUDY}'; END IF;\n"
    "RETURN NEW;\nEND\n$fn$")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER one_study BEFORE INSERT ON study FOR EACH ROW "
                   "EXECUTE FUNCTION trialdesk_one_study()")
    else:
        op.execute("CREATE TRIGGER one_study BEFORE INSERT ON study FOR EACH ROW "
                   "WHEN EXISTS (SELECT 1 FROM study) "
                   f"BEGIN SELECT RAISE(ABORT, '{M_ONE_STUDY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER one_study ON study")
        op.execute("DROP FUNCTION trialdesk_one_study()")
    else:
        op.execute("DROP TRIGGER one_study")
