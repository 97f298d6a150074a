"""Screenshots of the window at a laptop's 1024×700 and a desktop's 1400×900, for looking at.

    QT_QPA_PLATFORM=offscreen python -m tools.screenshots [--stage setup running ...]
        [--role coordinator ...] [--width 1024 1400] [--out DIR]

Builds the synthetic demo at each stage in a temporary database, opens the main window as
each role and saves every tab as PNG files named <stage>-<role>-<screen>-<width>.png, and
every dialog a tab's "…" button or a menu's "…" entry opens as
<stage>-<role>-<tab or menu>-<button>-dialog.png, in screenshots/ (ignored by git). A window
that cannot shrink to the size asked for, or a dialog larger than a laptop's screen, is named
on stderr.

Every window and dialog is deleted (deleteLater, then the deferred deletions run) before the
next is made, as the launcher does when a window closes. A window only dropped is left to
Python's cycle collector, which destroys the whole widget tree whenever it next runs: while
another window is being built, or on a worker thread running that window's jobs. Its
wrappers' attributes are already cleared by then, yet the C++ destructors still call into
them (event filters, slots): the segfaults of issue 15.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QWidget

from services import demo, participants
from services.context import Actor, App

SIZES = ((1024, 700), (1400, 900))
ROLES = ("admin", "coordinator", "investigator", "monitor", "pharmacist", "randomizer",
         "statistician")


def _settle(qapp: QApplication, until: Callable[[], bool] = lambda: True) -> None:
    """Let queued layout, paint and short background jobs finish."""
    from PySide6.QtCore import QDeadlineTimer, QThread

    deadline = QDeadlineTimer(60_000)
    while True:
        qapp.processEvents()
        if until() or deadline.hasExpired():
            break
        QThread.msleep(20)
    for _ in range(5):
        qapp.processEvents()


def _delete(qapp: QApplication, widget: QWidget) -> None:
    """Close and destroy the widget now, on this (the GUI) thread; see the module's docstring."""
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    _settle(qapp)


def _save(qapp: QApplication, widget: QWidget, out: Path, name: str,
          sizes: tuple[tuple[int, int], ...]) -> None:
    for width, height in sizes:
        widget.resize(width, height)
        _settle(qapp)
        image = widget.grab()
        image.save(str(out / f"{name}-{width}.png"))
        if (image.width(), image.height()) != (width, height):  # a screen that will not fit
            print(f"{name}: {image.width()}×{image.height()} at {width}×{height}",
                  file=sys.stderr)


def _slug(text: str) -> str:
    return text.replace("&&", "and").replace("&", "").rstrip("…").strip().lower() \
        .replace(" ", "-")


def _opened(qapp: QApplication, open_it: Callable[[], None], before: set[QWidget]
            ) -> list[QWidget]:
    """The windows (dialogs, wizards, message boxes) that open_it() opened."""
    open_it()
    _settle(qapp)
    return [w for w in qapp.topLevelWidgets() if w.isVisible() and w not in before]


def _shoot_dialogs(qapp: QApplication, out: Path, name: str,
                   openers: list[tuple[str, Callable[[], None]]]) -> None:
    """Open each dialog as a click would, save it at the size it opens with (named on
    stderr if that is more than a laptop's screen), and close and delete it."""
    from PySide6.QtWidgets import QFileDialog

    for text, open_it in openers:
        before = set(qapp.topLevelWidgets())
        for dialog in _opened(qapp, open_it, before):
            if not isinstance(dialog, QFileDialog):  # Qt's own, not the app's layout
                image = dialog.grab()
                image.save(str(out / f"{name}-{_slug(text)}-dialog.png"))
                if image.width() > SIZES[0][0] or image.height() > SIZES[0][1]:
                    print(f"{name}-{_slug(text)}-dialog: {image.width()}×{image.height()}, "
                          f"larger than {SIZES[0][0]}×{SIZES[0][1]}", file=sys.stderr)
            _delete(qapp, dialog)


def _buttons(view: QWidget) -> list[tuple[str, Callable[[], None]]]:
    """The view's "…" buttons that a user could click now (with the first row selected)."""
    from PySide6.QtWidgets import QPushButton, QTableView

    table = getattr(view, "table", None)
    if isinstance(table, QTableView) and table.model().rowCount() > 0:
        table.selectRow(0)
    return [(b.text(), b.click) for b in view.findChildren(QPushButton)
            if b.text().endswith("…") and b.isVisible() and b.isEnabled()]


def _menu_actions(window: QWidget) -> list[tuple[str, Callable[[], None]]]:
    """The menus' "…" entries this user may use (File → Export data…, Account → …)."""
    return [(action.text(), action.trigger)
            for menu in window.menuBar().actions() if menu.menu() is not None
            for action in menu.menu().actions()
            if action.text().endswith("…") and action.isEnabled()]


def shoot(stage: str, out: Path, roles: tuple[str, ...],
          sizes: tuple[tuple[int, int], ...] = SIZES) -> None:
    """Every tab and page of the window as each role, and every dialog its tabs' "…"
    buttons and its menus' "…" entries open."""
    from gui.common.events import events
    from gui.window.main_window import MainWindow

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="trialdesk-shots-"))
    app = App(f"sqlite:///{folder / 'demo.sqlite'}")
    built = demo.build(app, stage)
    for role in roles:
        actor: Actor = built.actor(role)
        window = MainWindow(app, actor)
        window.show()
        _settle(qapp, lambda w=window: not w.runner.runs)
        people = participants.list_participants(app, actor)
        if people:  # the Visits, plots and Imports tabs show someone, as after a click
            events().select_participant(people[0].label)
        for i in range(window.tabs.count()):
            title = window.tabs.tabText(i)
            view = window.show_tab(title)
            runner = getattr(view, "runner", None)
            _settle(qapp, lambda r=runner: r is None or not r.runs)
            name = f"{stage}-{role}-{_slug(title)}"
            _save(qapp, window, out, name, sizes)
            pages = getattr(view, "pages", None)  # a tab with pages of its own (Analysis)
            for page in range(1, pages.count() if pages is not None else 0):
                pages.setCurrentIndex(page)
                _save(qapp, window, out, f"{name}-{_slug(pages.tabText(page))}", sizes)
            _shoot_dialogs(qapp, out, name, _buttons(view))
        _shoot_dialogs(qapp, out, f"{stage}-{role}-menu", _menu_actions(window))
        _delete(qapp, window)
    app.close()


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", nargs="+", choices=demo.STAGES, default=list(demo.STAGES))
    parser.add_argument("--role", nargs="+", choices=ROLES, default=list(ROLES))
    parser.add_argument("--width", nargs="+", type=int, choices=[w for w, _ in SIZES],
                        default=[w for w, _ in SIZES])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for stage in args.stage:
        shoot(stage, args.out, tuple(args.role),
              tuple(size for size in SIZES if size[0] in args.width))


if __name__ == "__main__":
    main()
