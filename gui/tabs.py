"""The main window's tabs, in order. A feature adds its tab by appending to TABS.

A factory is called as factory(app, actor, parent) and returns the tab's widget.
A widget with a refresh() method has it called whenever its tab is shown, so
it picks up what was changed on other tabs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from gui.allocation_tab import AllocationTab
from gui.analysis_view import AnalysisView
from gui.audit_view import audit_tab
from gui.dashboard_view import DashboardView
from gui.due_view import DueView
from gui.import_tab import ImportsTab
from gui.lock_view import LockView
from gui.participants_view import ParticipantsView
from gui.plots.group_view import GroupView
from gui.plots.participant_tab import ParticipantPlotsTab
from gui.visits_view import VisitsView
from services.context import Actor, App

TabFactory = Callable[[App, Actor, QWidget], QWidget]

TABS: list[tuple[str, TabFactory]] = [
    ("Dashboard", DashboardView),
    ("Participants", ParticipantsView),
    ("Visits", VisitsView),
    ("Due", DueView),
    ("Randomization", AllocationTab),
    ("Imports", ImportsTab),
    ("Participant plots", ParticipantPlotsTab),
    ("Group plots", GroupView),
    ("Lock", LockView),
    ("Analysis", AnalysisView),
    ("Audit trail", audit_tab),
]
