"""Who may do what. The service layer checks these; the GUI only mirrors them."""

from __future__ import annotations

ROLES = ("coordinator", "investigator", "pharmacist", "statistician", "admin")
ROLES = (*ROLES, "monitor") if "monitor" not in ROLES else ROLES

PERMISSIONS: dict[str, frozenset[str]] = {
    "study.read": frozenset(ROLES),
    "participants.write": frozenset({"coordinator", "investigator"}),
    "enrol": frozenset({"coordinator"}),
    "visits.write": frozenset({"coordinator"}),
    "codes.check": frozenset({"coordinator", "investigator"}),
    "imports.write": frozenset({"coordinator"}),
    "users.manage": frozenset({"admin"}),
    "allocation.generate": frozenset({"statistician"}),
    "allocation.report": frozenset({"statistician"}),
    "allocation.dispensing": frozenset({"pharmacist", "statistician"}),
    "study.lock": frozenset({"investigator"}),
    "study.unblind": frozenset({"statistician"}),
    "emergency.unblind": frozenset({"investigator"}),
    "analysis.run": frozenset({"statistician", "investigator"}),
    "data.export": frozenset({"coordinator", "investigator", "statistician"}),
    "audit.read": frozenset({"coordinator", "investigator", "statistician", "admin"}),
    "values.enter": frozenset({"coordinator"}),
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
