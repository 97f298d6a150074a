"""roles split for the blind: randomizer, blinded statistician, monitor

Revision ID: 0004
Revises: 0003

Until 0003 one `statistician` generated the allocation list, held the sealing
passphrase, could print the dispensing list and ran the analysis: the person
analysing the data could read the allocation at any time. From 0004 on:

- `randomizer` (independent statistician) generates the list, checks its
  balance, holds the sealing passphrase and types it at unblinding;
- `statistician` (trial statistician) is blinded: analysis after unblinding,
  and runs `unblind` with the randomizer's passphrase;
- `pharmacist` prints the dispensing list from a copy of the key sealed under
  the pharmacist's own passphrase (no passphrase is shared);
- `monitor` is a new blinded, read-only role.

What this migration does to an existing study:

- a `statistician` account that generated the allocation list (its name is in
  `allocation.generated_by`) becomes `randomizer`: that person chose, and
  holds, the sealing passphrase. Other `statistician` accounts stay blinded
  statisticians. Each change is an audit entry (actor `migration`) whose
  digest delta keeps `audit verify` true.
- no schema change: the pharmacist's copy is one more `sealed_keys` row
  (kind `dispensing`). An old study has none, so the pharmacist cannot print
  until the randomizer runs `allocation handover --reason R` with the sealing
  passphrase (TRIALDESK_PASSPHRASE) while the pharmacist types a new
  dispensing passphrase of their own (TRIALDESK_DISPENSING_PASSPHRASE).
  Until then `allocation dispensing` is refused, with that instruction.

Downgrade: `randomizer` accounts become `statistician` again and `monitor`
accounts, which the older TrialDesk does not know, are disabled (active =
false), each audited the same way. Dispensing copies stay in `sealed_keys`;
the older TrialDesk never reads them.
"""

import sqlalchemy as sa
from alembic import op

from db.audit import Entry, append_entries, canonical_row, redacted
from trialcore.audit_chain import row_fingerprint

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_meta = sa.MetaData()
USERS = sa.Table("users", _meta, sa.Column("id", sa.Integer), sa.Column("name", sa.String(64)),
                 sa.Column("role", sa.String(16)), sa.Column("password_hash", sa.String(255)),
                 sa.Column("active", sa.Boolean), sa.Column("created_at", sa.DateTime),
                 sa.Column("version", sa.Integer))
ALLOCATION = sa.Table("allocation", _meta, sa.Column("generated_by", sa.String(64)))


def _change(conn: sa.Connection, where: sa.ColumnElement[bool], values: dict,
            why: str) -> None:
    """Update the matching accounts, each with an audit entry and its digest delta."""
    entries = []
    for row in conn.execute(sa.select(USERS).where(where).order_by(USERS.c.id)).mappings():
        before = canonical_row(USERS, row)
        after = canonical_row(USERS, {**row, **values})
        conn.execute(USERS.update().where(USERS.c.id == row["id"])
                     .values(**values, version=row["version"] + 1))
        entries.append(Entry(
            action="migration", entity="users", entity_key=row["name"],
            before=redacted("users", before), after=redacted("users", after),
            reason=f"revision {revision}: {why}",
            digest_delta={"users": row_fingerprint(after) - row_fingerprint(before)}))
    if entries:
        append_entries(conn, "migration", entries)


def upgrade() -> None:
    conn = op.get_bind()
    generators = [name for (name,) in conn.execute(sa.select(ALLOCATION.c.generated_by))]
    _change(conn, (USERS.c.role == "statistician") & USERS.c.name.in_(generators),
            {"role": "randomizer"},
            "generated the allocation list and holds the sealing passphrase")


def downgrade() -> None:
    conn = op.get_bind()
    _change(conn, USERS.c.role == "randomizer", {"role": "statistician"},
            "the older TrialDesk has no randomizer role")
    _change(conn, (USERS.c.role == "monitor") & USERS.c.active.is_(True), {"active": False},
            "the older TrialDesk has no monitor role")
