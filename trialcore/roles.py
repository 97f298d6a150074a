"""Who may do what. The service layer checks these; the GUI only mirrors them.

The roles follow a double-blind trial: the randomizer (independent, unblinded
statistician) makes the list and holds the sealing passphrase; the pharmacist
prints the dispensing list with a passphrase of their own; the trial
statistician stays blinded and analyses after unblinding, which needs the
randomizer's passphrase; the monitor reads what blinded roles read.
"""

from __future__ import annotations

ROLES = ("coordinator", "investigator", "monitor", "pharmacist", "randomizer",
         "statistician", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "study.read": frozenset(ROLES),
    "participants.write": frozenset({"coordinator", "investigator"}),
    "enrol": frozenset({"coordinator"}),
    "visits.write": frozenset({"coordinator"}),
    "codes.check": frozenset({"coordinator", "investigator"}),
    "imports.write": frozenset({"coordinator"}),
    "users.manage": frozenset({"admin"}),
    "allocation.generate": frozenset({"randomizer"}),
    "allocation.report": frozenset({"randomizer"}),
    "allocation.handover": frozenset({"randomizer"}),
    "allocation.dispensing": frozenset({"pharmacist"}),
    "study.lock": frozenset({"investigator"}),
    "study.unblind": frozenset({"statistician"}),
    "emergency.unblind": frozenset({"investigator"}),
    "analysis.run": frozenset({"statistician", "investigator"}),
    "data.export": frozenset({"coordinator", "investigator", "monitor", "statistician"}),
    # outcome values however shown (import values, plots): whoever may export them
    "data.read": frozenset({"coordinator", "investigator", "monitor", "statistician"}),
    # the trail holds before/after values: blinded readers of outcome data only (not the
    # admin, and not the randomizer, who knows the allocation)
    "audit.read": frozenset({"coordinator", "investigator", "monitor", "statistician"}),
    "values.enter": frozenset({"coordinator"}),
    # deciding a double data entry mismatch: blinded data people who may decide a value
    # (services.data_entry.resolve also refuses either of the two who typed it)
    "values.resolve": frozenset({"coordinator", "investigator"}),
    "queries.read": frozenset({"coordinator", "investigator", "monitor"}),
    "queries.raise": frozenset({"monitor"}),
    "queries.answer": frozenset({"coordinator"}),
    "sdv.mark": frozenset({"monitor"}),
    "ae.write": frozenset({"coordinator", "investigator"}),
    "ae.read": frozenset({"coordinator", "investigator", "monitor", "statistician"}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def roles_with(permission: str) -> list[str]:
    return [r for r in ROLES if r in PERMISSIONS[permission]]
