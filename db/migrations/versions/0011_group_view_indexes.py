"""group view indexes: a covering index for one measure's values, visits by status

Revision ID: 0011
Revises: 0010

The group view reads one measure's values at the dosing visits, and the quality
values of the same scans, for every participant (services/plot_data.py,
group_table). With an index on `measure` alone, each of those 30,000 values (at
10,000 participants) was a lookup in the table; an index on (measure, visit,
participant_id, value) holds all that is read, in the order it is read. It takes the
place of the index on `measure`, whose queries it serves as well. The few visits
logged missed or cancelled are found by an index on `status` instead of a scan of
every visit.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COVERING = ("measure", "visit", "participant_id", "value")


def upgrade() -> None:
    op.create_index("ix_observations_measure_visit", "observations", list(COVERING))
    op.drop_index("ix_observations_measure", table_name="observations")
    op.create_index("ix_visits_status", "visits", ["status"])


def downgrade() -> None:
    op.drop_index("ix_visits_status", table_name="visits")
    op.create_index("ix_observations_measure", "observations", ["measure"])
    op.drop_index("ix_observations_measure_visit", table_name="observations")
