"""The main window: menus, the tabs of gui/window/tabs.py, and a status bar that always says who
is signed in, to which database, at which stage, and whether the audit trail is intact.

A tab's widget is built the first time the tab is shown (see gui/window/tabs.py): look a tab up
with tab(title), which builds it if need be, not with tabs.widget(i), its empty page.
"""

from __future__ import annotations

from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from gui.accounts.menu import AccountMenu
from gui.audit.audit_jobs import VerifyResult, export_audit, verify_text
from gui.audit.audit_view import AuditView
from gui.audit.trail_check import TrailCheck
from gui.common import heap
from gui.common.events import events
from gui.common.jobs import JobRunner
from gui.common.messages import show_message
from gui.common.read_only import ReadOnlyGate
from gui.window.study_files import StudyFiles
from gui.window.tabs import TAB_TIPS, TABS, TabPage, shown_to
from gui.window.warm_up import warm_up_for
from services.context import Actor, App
from services.sign_in import study_banner
from services.study import change_mark
from trialcore.roles import allowed

if TYPE_CHECKING:
    from gui.exports.export_dialog import ExportDialog


class MainWindow(QMainWindow):
    """One signed-in user on one database. Opening another database or creating a study
    is the launcher's business: the window only passes the choice on (self.files)."""

    closed = Signal(object)  # this window, once closed
    signed_out = Signal(object)  # this window, closed by Account → Sign out

    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.can_read_audit = allowed(actor.role, "audit.read")
        self.runner = JobRunner(self)
        self.files = StudyFiles(self)
        self.message: QMessageBox | None = None
        self.export_dialog: QFileDialog | None = None
        self.data_export: ExportDialog | None = None
        self.signing_out = False
        self.verified: VerifyResult | None = None  # the last verification of the trail
        # the window's check of the trail, which the Lock tab shares (and may ask again)
        self.trail = TrailCheck(app, actor, self.runner, self)
        self.trail.changed.connect(self._trail_checked)
        hub = events()
        hub.participant = None  # a new window starts without a current participant
        self.tabs = QTabWidget(documentMode=True)
        for title, factory in shown_to(actor.role, TABS):
            index = self.tabs.addTab(TabPage(partial(factory, app, actor, self)), title)
            self.tabs.setTabToolTip(index, TAB_TIPS.get(title, ""))
        self.setCentralWidget(self.tabs)
        self.read_only = ReadOnlyGate(self)
        self.warm_up = warm_up_for(actor.role)  # the plot tabs' imports, once idle
        self._build(self.tabs.currentIndex())  # the tab shown first; the others when shown
        self.tabs.currentChanged.connect(self._tab_shown)
        hub.data_changed.connect(self.refresh_status)
        hub.visit_requested.connect(self.show_visit)
        self._build_menus()
        self._build_status_bar()
        self.refresh_status()
        self.resize(1180, 720)
        self.verify_audit()
        heap.keep_for_the_window()  # what lives as long as the window: not walked again

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.warm_up is not None:
            self.warm_up.start_later(self)  # once: a later show finds it started or done

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New study from protocol…", self.files.new_study,
                     QKeySequence.StandardKey.New)
        self._action(file_menu, "&Open database…", self.files.open_database,
                     QKeySequence.StandardKey.Open)
        file_menu.addSeparator()
        self._action(file_menu, "Export &data…", self.export_data)
        export = self._action(file_menu, "&Export audit trail…", self.export_audit_trail)
        export.setEnabled(self.can_read_audit)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.account_menu = AccountMenu(self)
        self.menuBar().addMenu(self.account_menu)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About TrialDesk", self.about)

    def _action(self, menu: QWidget, text: str, slot: object,
                shortcut: QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.user_label = QLabel(f"{self.actor.name} ({self.actor.role})")
        self.database_label = QLabel(self.app.safe_url)
        self.stage_label = QLabel()
        self.audit_label = QLabel()
        self.user_label.setToolTip("Signed in as")
        self.database_label.setToolTip("Database")
        for label in (self.user_label, self.database_label, self.stage_label, self.audit_label):
            label.setContentsMargins(6, 0, 6, 0)
        bar = self.statusBar()
        bar.addWidget(self.user_label)
        bar.addWidget(self.database_label)
        bar.addPermanentWidget(self.stage_label)
        bar.addPermanentWidget(self.audit_label)

    def refresh_status(self) -> None:
        """Title, stage and the audit trail's length, re-read whenever a tab is shown
        (another user may lock) and whenever a view announces that the data changed."""
        banner = study_banner(self.app)
        self.setWindowTitle(f"{banner.title} — {self.app.safe_url} — TrialDesk")
        self.stage_label.setText(f"Stage: {banner.stage}")
        self.read_only.apply(banner.stage)
        self._show_audit_text()

    def tab(self, title: str) -> QWidget:
        """The widget of the tab called `title`, built now if it was not shown yet."""
        index = self._index(title)
        if self._build(index) and self.read_only.stage is not None:
            self.read_only.apply(self.read_only.stage)  # built unseen: covered all the same
        return self._page(index).build()

    def show_tab(self, title: str) -> QWidget:
        """Make the tab called `title` current, as a click on it would; its widget."""
        self.tabs.setCurrentIndex(self._index(title))
        return self.tab(title)

    def _index(self, title: str) -> int:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())].index(title)

    def _page(self, index: int) -> TabPage:
        page = self.tabs.widget(index)
        assert isinstance(page, TabPage)
        return page

    def _build(self, index: int) -> bool:
        """Build the tab's widget unless it was built already; True if built now."""
        page = self._page(index)
        if page.view is not None:
            return False
        if self.warm_up is not None:
            self.warm_up.wait()  # no import on this thread while it imports on its own
        view = page.build()
        for audit in [view, *view.findChildren(AuditView)]:
            if isinstance(audit, AuditView):
                audit.verified.connect(self.show_audit_status)
        current = events().participant
        if current is not None:  # announced before this tab existed to follow it
            events().participant_selected.emit(current)
        return True

    def show_visit(self, label: str, visit: str) -> None:
        """A link to a visit (a Lock record, a plotted point): the Visits tab, showing that
        participant with that visit selected (or only the participant, when visit is "").
        A window being torn down (the hub outlives it) has no tabs left to show."""
        if "Visits" not in [self.tabs.tabText(i) for i in range(self.tabs.count())]:
            return
        events().select_participant(label)
        view = self.show_tab("Visits")
        view.show_visit(label, visit)  # type: ignore[attr-defined]

    def _tab_shown(self, index: int) -> None:
        built = self._build(index)
        self.refresh_status()  # after building: the read-only gate covers the new widgets
        refresh = getattr(self._page(index).view, "refresh", None)
        if refresh and not built:  # a widget just built has just read everything
            refresh()

    def verify_audit(self) -> None:
        if not self.can_read_audit:
            self.audit_label.setText(f"Audit trail: not shown to the {self.actor.role} role")
            return
        self.audit_label.setText("Verifying the audit trail…")
        self.trail.check()

    def _trail_checked(self) -> None:
        """The shared check's outcome, once it ends (a role that may not read the trail
        keeps its note: the Lock tab alone shows such a role whether the trail holds)."""
        if self.can_read_audit and not self.trail.running and self.trail.result is not None:
            self.show_audit_status(self.trail.result)

    def show_audit_status(self, result: VerifyResult) -> None:
        self.verified = result
        self.audit_label.setToolTip("\n".join(result.problems))
        self.audit_label.setStyleSheet("" if result.ok else "color: #b3261e; font-weight: bold;")
        self._show_audit_text()

    def _show_audit_text(self) -> None:
        """The last verification, and how many entries were written since: a count that
        stood still while the trail grew would claim more than was checked."""
        if self.verified is None:
            return
        self.audit_label.setText(verify_text(self.verified, change_mark(self.app)))

    def export_audit_trail(self) -> None:
        self.export_dialog = export_audit(self.runner, self.app, self.actor, self,
                                          lambda text: self.statusBar().showMessage(text, 10000))

    def export_data(self) -> None:
        from gui.exports.export_dialog import ExportDialog  # imports pandas and openpyxl: when used

        self.data_export = ExportDialog(self.app, self.actor, self)
        self.data_export.open()

    def about(self) -> None:
        try:
            release = version("trialdesk")
        except PackageNotFoundError:
            release = "development"
        self.message = show_message(
            self, "About TrialDesk",
            f"TrialDesk {release}\n\nRuns randomized, double-blind trials: participants, "
            f"allocation, dose codes, visits, imports, lock, unblinding and an audit trail.\n\n"
            f"Database: {self.app.safe_url}\nQt {qVersion()}",
            icon=QMessageBox.Icon.Information)

    def _leave_the_hub(self) -> None:
        """A closed window is done with: neither it nor its tabs follow the events hub any
        more. The hub outlives every window, and a closed window lives on until it is
        deleted, which Python's garbage collector may do at any moment (in the middle of
        the next window's work): a view that followed the next window's participant then
        reloaded into its own half-deleted table."""
        hub = events()
        for receiver in (self, *self.findChildren(QWidget)):
            hub.disconnect(receiver)

    def sign_out(self) -> None:
        """Close this window; the launcher asks who signs in next, on the same database."""
        self.signing_out = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        for runner in self.findChildren(JobRunner):  # the tabs' runners too
            runner.cancel_all()
        self._leave_the_hub()
        heap.release()
        super().closeEvent(event)
        (self.signed_out if self.signing_out else self.closed).emit(self)
