"""The study dashboard: enrolment per stratum against target, visits done against expected,
and the deviations, missed visits and withdrawals behind those numbers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.common.freshness import Freshness
from gui.common.table_model import Column, RowTableModel
from gui.common.widgets import fit_columns, row_table
from services import dashboard
from services.context import Actor, App
from trialcore.roles import roles_with

if TYPE_CHECKING:
    from gui.dashboard.charts import EnrolmentPlot, FlowFigure
    from gui.plots.export import Figure
    from gui.plots.export_dialog import Exports

ID = Column("ID", lambda r: r["participant"])  # short: three lists share a laptop's width
# Each list: its title, its columns, and the columns never cut (a visit, a date).
LISTS: dict[str, tuple[str, list[Column], tuple[int, ...]]] = {
    "deviations": ("Protocol deviations", [
        ID,
        Column("Visit", lambda r: r["visit_label"]),
        Column("Date", lambda r: r["actual"] or ""),
        Column("Days", lambda r: f"{r['days']:+d}", lambda r: r["days"]),
        Column("Reason", lambda r: r["reason"] or "", tooltip=lambda r: r["reason"] or ""),
    ], (1, 2)),
    "missed": ("Missed visits", [
        ID,
        Column("Visit", lambda r: r["visit_label"]),
        Column("Date", lambda r: r["date"] or ""),
        Column("Reason", lambda r: r["reason"] or "", tooltip=lambda r: r["reason"] or ""),
    ], (1, 2)),
    "withdrawals": ("Withdrawals", [
        ID,
        Column("Stratum", lambda r: r["stratum"] or ""),
        Column("On", lambda r: r["on"] or ""),
        Column("Reason", lambda r: r["reason"] or "", tooltip=lambda r: r["reason"] or ""),
    ], (2,)),
}


OVER = "QProgressBar::chunk { background: #b3261e; } QProgressBar { color: #b3261e; }"


NEXT_STEPS = {  # services.dashboard.NEXT_STEPS, worded with the window's tabs and buttons
    "register": "Next step: register the first participants (Participants tab → Add…).",
    "generate_allocation": f"Next step: the {' or '.join(roles_with('allocation.generate'))} "
                           "generates the allocation list (Randomization tab → Generate "
                           "allocation list…); enrolment starts once it exists.",
    "enrol": "Next step: enrol the registered participants (Randomization tab → Enrol "
             "participant…).",
}


def _bar(value: int, maximum: int, text: str, *, over: bool = False) -> QProgressBar:
    """A filled bar with its numbers; red when past its target (the service says when)."""
    bar = QProgressBar()
    bar.setRange(0, max(maximum, 1))
    bar.setValue(min(value, max(maximum, 1)))
    bar.setFormat(text)
    bar.setTextVisible(True)
    if over:
        bar.setStyleSheet(OVER)
        bar.setToolTip("More participants enrolled than the protocol's target.")
    return bar


class DashboardView(QWidget):
    def __init__(self, app: App, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.app, self.actor = app, actor
        self.data: dict[str, Any] = {}
        self.fresh = Freshness(app)
        self.people = QLabel()
        self.next_step = QLabel()
        self.next_step.setWordWrap(True)
        self.next_step.setStyleSheet("background: #e3f2fd; color: #000; padding: 6px;")
        self.emergency = QLabel()
        self.emergency.setWordWrap(True)
        self.emergency.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.enrolment = QGridLayout()
        self.progress = QGridLayout()
        self.models = {key: RowTableModel(columns, self) for key, (_, columns, _) in LISTS.items()}
        self.tables: dict[str, QTableView] = {}
        self.boxes: dict[str, QGroupBox] = {}
        top = QHBoxLayout()
        for title, grid in (("Enrolment against target", self.enrolment),
                            ("Visits", self.progress)):
            box = QGroupBox(title)
            box.setLayout(grid)
            top.addWidget(box, 1)
        lists_page = QWidget()
        lists = QHBoxLayout(lists_page)
        lists.setContentsMargins(0, 0, 0, 0)
        for key, (title, _, _) in LISTS.items():
            self.tables[key] = table = row_table(self.models[key], 0)
            # The reason takes what room is left and is cut with "…" (its tooltip is whole):
            # the lists never scroll sideways, even on a laptop's screen.
            table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            header = table.horizontalHeader()
            header.setSectionResizeMode(header.count() - 1, QHeaderView.ResizeMode.Stretch)
            table.setTextElideMode(Qt.TextElideMode.ElideRight)
            box = self.boxes[key] = QGroupBox(title)
            QVBoxLayout(box).addWidget(self.tables[key])
            lists.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.people)
        layout.addWidget(self.next_step)
        layout.addWidget(self.emergency)
        layout.addLayout(top)
        layout.addWidget(self._charts(lists_page), 1)
        self.refresh()

    def _charts(self, lists_page: QWidget) -> QTabWidget:
        """The lists, the enrolment curve and the flow, one at a time (a laptop's screen
        has no room for all three), the figures exportable like the other plots. The
        dashboard is the first tab: the figures (and pyqtgraph) are made when first shown."""
        self.enrolment_plot: EnrolmentPlot | None = None
        self.flow: FlowFigure | None = None
        self.exports: Exports | None = None
        self.pages = QTabWidget()
        self.pages.addTab(lists_page, "Lists")
        for title in ("Enrolment over time", "Participant flow"):
            page = QWidget()
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            self.pages.addTab(page, title)
        self.pages.currentChanged.connect(self._page_shown)
        self.export_button = QPushButton("Export &chart…", clicked=self._export)
        self.pages.setCornerWidget(self.export_button)
        return self.pages

    def _page_shown(self, index: int) -> None:
        if index > 0 and self.enrolment_plot is None:
            self._build_charts()

    def _build_charts(self) -> None:
        import pyqtgraph as pg

        from gui.dashboard.charts import EnrolmentPlot, FlowFigure
        from gui.plots.export_dialog import Exports

        self.enrolment_plot, self.flow = EnrolmentPlot(), FlowFigure()
        for index, figure in ((1, self.enrolment_plot), (2, self.flow)):
            view = pg.GraphicsView(background="w")
            view.setCentralItem(figure)
            self.pages.widget(index).layout().addWidget(view)
        self.exports = Exports(self, self.figures)
        self._draw_charts()

    def _draw_charts(self) -> None:
        if self.enrolment_plot is not None and self.flow is not None:
            self.enrolment_plot.set_data(dashboard.enrolment_over_time(self.app, self.actor))
            self.flow.set_data(dashboard.flow(self.app, self.actor))

    def figures(self) -> list[Figure]:
        """The figure on the page shown first, then the other."""
        if self.enrolment_plot is None or self.flow is None:
            return []
        both: list[Figure] = [self.enrolment_plot, self.flow]
        return both[::-1] if self.pages.currentIndex() == 2 else both

    def _export(self) -> None:
        if self.exports is None:
            self._build_charts()
        assert self.exports is not None
        self.exports.export()

    def refresh(self) -> None:
        """Called when the tab is shown: recount from the database if anything changed."""
        if not self.fresh.stale():
            return
        self.data = d = dashboard.summary(self.app, self.actor, today=dt.date.today())
        p = d["participants"]
        self.people.setText(f"<b>{p['total']}</b> participants: {p['registered']} registered "
                            f"(not yet enrolled), {p['enrolled']} enrolled, "
                            f"{p['withdrawn']} withdrawn")
        step = NEXT_STEPS.get(d["next_step"] or "")
        self.next_step.setText(step or "")
        self.next_step.setVisible(step is not None)
        opened = d["emergency_unblinded"]
        self.emergency.setText(f"Emergency envelope opened for {', '.join(opened)}: their "
                               "conditions are known to the investigator." if opened else "")
        self.emergency.setVisible(bool(opened))
        _clear(self.enrolment)
        for i, s in enumerate(d["strata"]):
            target = s["target"]
            text = f"{s['enrolled']} of {target}" if target else f"{s['enrolled']} (no target)"
            if s["withdrawn"]:
                text += f" ({s['withdrawn']} withdrawn)"
            if s["over_target"]:
                text += f" — {s['enrolled'] - target} over target"
            self.enrolment.addWidget(QLabel(s["stratum"]), i, 0)
            self.enrolment.addWidget(_bar(s["enrolled"], target or s["enrolled"], text,
                                          over=s["over_target"]), i, 1)
        v = d["visits"]
        _clear(self.progress)
        self.progress.addWidget(QLabel("Done / expected by today"), 0, 0)
        self.progress.addWidget(_bar(v["done"], v["expected"],
                                     f"{v['done']} of {v['expected']}"), 0, 1)
        self.progress.addWidget(QLabel("Done / planned"), 1, 0)
        self.progress.addWidget(_bar(v["done"], v["planned"],
                                     f"{v['done']} of {v['planned']}"), 1, 1)
        self.progress.addWidget(QLabel(f"Missed: {v['missed']}   Overdue: {v['overdue']}   "
                                       f"Deviations: {v['deviations']}"), 2, 0, 1, 2)
        self._draw_charts()
        for key, (title, _, whole) in LISTS.items():
            self.models[key].set_rows(d[key])
            fit_columns(self.tables[key], widest=110, whole=whole)
            self.boxes[key].setTitle(f"{title} ({len(d[key])})")


def _clear(grid: QGridLayout) -> None:
    while grid.count():
        item = grid.takeAt(0)
        if item.widget():
            item.widget().deleteLater()
