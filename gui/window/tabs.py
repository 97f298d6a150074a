"""The main window's tabs, in order. A feature adds its tab by appending to TABS.

A factory is called as factory(app, actor, parent) and returns the tab's widget.
The main window calls it the first time the tab is shown (the tab shown at start-up
is built with the window), so the widget must show current data once built. A
widget with a refresh() method has it called whenever its tab is shown again, so
it picks up what was changed on other tabs.

Each factory imports its view when called: a tab's modules (and the libraries they
use, such as pyqtgraph, pandas or scipy) are loaded only when the tab is first shown,
which keeps start-up short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module

from PySide6.QtWidgets import QVBoxLayout, QWidget

from services.context import Actor, App
from trialcore.roles import allowed

TabFactory = Callable[[App, Actor, QWidget], QWidget]


def lazy(module: str, name: str) -> TabFactory:
    """A factory that imports `module` only when the tab is first built."""

    def build(app: App, actor: Actor, parent: QWidget) -> QWidget:
        return getattr(import_module(module), name)(app, actor, parent)  # type: ignore[no-any-return]

    return build


def needs(permission: str, factory: TabFactory) -> TabFactory:
    """`factory`'s tab, shown only to a role with `permission` (see shown_to): a tab that
    could only say "not for you" would cost every other tab room in a laptop's tab bar."""

    def build(app: App, actor: Actor, parent: QWidget) -> QWidget:
        return factory(app, actor, parent)

    build.permission = permission  # type: ignore[attr-defined]
    return build


def shown_to(role: str, tabs: Sequence[tuple[str, TabFactory]]) -> list[tuple[str, TabFactory]]:
    """The tabs (of TABS) that `role` can use, in order."""
    return [(title, factory) for title, factory in tabs
            if (need := getattr(factory, "permission", None)) is None or allowed(role, need)]


TABS: list[tuple[str, TabFactory]] = [
    ("Dashboard", lazy("gui.dashboard.dashboard_view", "DashboardView")),
    ("Participants", lazy("gui.participants.participants_view", "ParticipantsView")),
    ("Visits", lazy("gui.visits.visits_view", "VisitsView")),
    ("Due", lazy("gui.visits.due_view", "DueView")),
    ("Randomization", lazy("gui.randomization.allocation_tab", "AllocationTab")),
    ("Imports", lazy("gui.imports.import_tab", "ImportsTab")),
    ("Participant plots", needs("data.read", lazy("gui.plots.participant_tab",
                                                  "ParticipantPlotsTab"))),
    ("Group plots", needs("data.read", lazy("gui.plots.group_view", "GroupView"))),
    ("Queries", needs("queries.read", lazy("gui.monitoring.queries_view", "queries_tab"))),
    ("Safety", needs("ae.read", lazy("gui.safety.adverse_events_view",
                                     "adverse_events_tab"))),
    ("Lock", lazy("gui.lock.lock_view", "LockView")),
    ("Analysis", needs("analysis.run", lazy("gui.analysis.analysis_view", "AnalysisView"))),
    ("Audit", lazy("gui.audit.audit_view", "audit_tab")),
]
# What a short title stands for, shown when the pointer rests on the tab.
TAB_TIPS = {"Due": "Visits due, overdue and booked, across participants",
            "Safety": "Adverse events", "Audit": "Audit trail: every change, who, when and why"}


class TabPage(QWidget):
    """A tab's page in the main window's QTabWidget: empty until build() makes the tab's
    widget, which then fills it (no margins, so it looks as if it were the page)."""

    def __init__(self, make: Callable[[], QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self.make = make
        self.view: QWidget | None = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(0)

    def build(self) -> QWidget:
        """The tab's widget, made on the first call."""
        if self.view is None:
            self.view = self.make()
            self.layout_.addWidget(self.view)
            self.view.show()  # now, not on the layout's queued call: shown with the page
        return self.view
