"""Refusals that carry a message fit for the user (CLI exit 1, a GUI message box)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A rule, bad input or a wrong credential: nothing was written."""

    def __init__(self, message: str, details: list[Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class PermissionDenied(Refused):
    pass


class NotFound(Refused):
    pass


class Conflict(Refused):
    """Someone else saved the same record first; the caller must reload."""


class PasswordNeeded(Refused):
    """The database server asked for a password that neither the URL, the keyring nor
    ~/.pgpass gave: a front end may ask the user and open it again with one."""


class Busy(Refused):
    """Another user held the database longer than we could wait; nothing was written and
    trying again is safe."""


class Collision(Conflict):
    """Two users saved the same new record at the same moment and the database kept the
    other's; nothing was written, and trying again reports what is there now."""
