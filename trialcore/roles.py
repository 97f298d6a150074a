"""Who may do what. The service layer checks these; the GUI only mirrors them."""

from __future__ import annotations

ROLES = ("coordinator", "investigator", "pharmacist", "statistician", "admin")

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
    # outcome values however shown (import values, plots): whoever may export them
    "data.read": frozenset({"coordinator", "investigator", "statistician", "monitor"}),
    "audit.read": frozenset({"coordinator", "investigator", "statistician"}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def roles_with(permission: str) -> list[str]:
    return [r for r in ROLES if r in PERMISSIONS[permission]]
