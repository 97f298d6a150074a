"""How the import wizard words the choice a problem points to: by its own controls.

The service's problems name an option (`Problem.option`, importers.problems.OPTIONS)
rather than a command-line flag, so a GUI user reads which box to tick or which
field to fill, never "--drop-column group".
"""

from __future__ import annotations

from services.imports import Problem

CONTROLS = {
    "drop_column": "tick \u201cDrop column {value!r}\u201d on the Format and mapping page",
    "participant_column": "choose the Participant column on the Format and mapping page",
    "visit_column": "choose the Visit column on the Format and mapping page",
    "visit": "choose the Visit column or the Visit of all rows on the Format and mapping page",
    "update": "tick \u201cChange values that are stored already\u201d and give a reason",
    "keep_test": "tick \u201cImport Qualtrics previews, tests and spam\u201d on the first page",
    "decimal": "choose the Decimal mark \u201c{value}\u201d on the first page",
    "only_registered": "tick \u201cOnly participants in the register\u201d on the first page",
    "bids_filter": "fill in \u201cOnly scans with\u201d (e.g. task=rest run=1) on the first page",
    "format": "choose the Format on the first page",
}


def control(problem: Problem) -> str:
    """The wizard control that resolves `problem`, in words ('' if none)."""
    if problem.option is None:
        return ""
    return CONTROLS.get(problem.option, "").format(value=problem.value or "")


def shown(problem: Problem) -> str:
    """The problem's message with the control that resolves it."""
    words = control(problem)
    return f"{problem.message} ({words})" if words else problem.message
