"""What `trialdesk --version` prints and what a crash report carries.

A site's IT person asks "which TrialDesk is this?" before anything else: the app's
version, the database schema it writes, and the versions of the libraries whose
behaviour the study's results depend on (Qt draws, SQLAlchemy and the database store,
pandas/statsmodels compute). Nothing here touches a study.
"""

from __future__ import annotations

import platform
import sqlite3
import sys
from importlib import metadata

LIBRARIES = ("PySide6-Essentials", "SQLAlchemy", "alembic", "pandas", "numpy", "scipy",
             "statsmodels", "pyqtgraph", "openpyxl", "cryptography", "psycopg")


def app_version() -> str:
    """The installed distribution's version; a source checkout without an install says so."""
    try:
        return metadata.version("trialdesk")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def versions() -> dict[str, str]:
    """App, schema and library versions, in the order people read them."""
    from db.migrate import newest_revision

    found: dict[str, str] = {"trialdesk": app_version(), "schema": newest_revision(),
                             "python": platform.python_version(),
                             "platform": platform.platform(terse=True),
                             "sqlite": sqlite3.sqlite_version}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    if getattr(sys, "frozen", False):
        found["bundle"] = "PyInstaller"
    return found


def version_text() -> str:
    v = versions()
    head = f"TrialDesk {v['trialdesk']} (database schema {v['schema']})"
    rest = [f"  {name}: {value}" for name, value in v.items()
            if name not in ("trialdesk", "schema")]
    return "\n".join([head, *rest])
