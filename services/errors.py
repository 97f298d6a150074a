"""Refusals that carry a message fit for the user (CLI exit 1, a GUI message box)."""

from __future__ import annotations

from typing import Any

# What the user can do about a refusal, named by the service and worded by each front end
# in its own terms (cli/hints.py: a command and its flags; gui/common/hints.py: a tab and a
# button), so the window never advises typing a command.
CREATE_STUDY = "create_study"  # the database is empty: make a study in it, or open another
GENERATE_ALLOCATION = "generate_allocation"  # the randomizer makes the allocation list
LOCK_FIRST = "lock_first"  # the study must be locked first
REPLACE_FILE = "replace_file"  # the target file exists: say to replace it, or choose another
RESOLVE_DOUBLE_ENTRY = "resolve_double_entry"  # a double-entry mismatch waits for a resolver


class Refused(Exception):
    """A rule, bad input or a wrong credential: nothing was written."""

    def __init__(self, message: str, details: list[Any] | None = None,
                 hint: str | None = None, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.hint = hint  # one of the names above, or None
        # the inputs the refusal is about ("reason", "term"): the command line names its
        # flags (--reason); the window's form shows the field beside the message
        self.fields = fields


def no_study(where: str = "this database") -> Refused:
    """The one refusal for a database that holds no study: every service raises this, and
    each front end words the remedy (a command, or File → New study from protocol…)."""
    return Refused(f"{where} holds no study yet", hint=CREATE_STUDY)


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
