"""Screenshots of the window at a laptop's 1024×700 and a desktop's 1400×900, for looking at.

    QT_QPA_PLATFORM=offscreen python -m tools.screenshots [--stage setup running ...]
        [--role coordinator ...] [--width 1024 1400] [--out DIR]

Builds the synthetic demo at each stage in a temporary database, opens the main window as
each role and saves every tab, and a few dialogs, as PNG files named
<stage>-<role>-<screen>-<width>.png in screenshots/ (ignored by git). A window that cannot
shrink to the size asked for (a layout wider than a laptop's screen) is named on stderr.

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
ROLES = ("coordinator", "investigator", "monitor", "pharmacist", "randomizer", "statistician")


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


def shoot(stage: str, out: Path, roles: tuple[str, ...],
          sizes: tuple[tuple[int, int], ...] = SIZES) -> None:
    from gui.common.events import events
    from gui.participants.enrol_dialog import EnrolDialog
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
            name = f"{stage}-{role}-{title.lower().replace(' ', '-')}"
            _save(qapp, window, out, name, sizes)
            pages = getattr(view, "pages", None)  # a tab with pages of its own (Analysis)
            for page in range(1, pages.count() if pages is not None else 0):
                pages.setCurrentIndex(page)
                _save(qapp, window, out,
                      f"{name}-{pages.tabText(page).lower().replace(' ', '-')}", sizes)
        if role == "coordinator" and stage in ("setup", "running"):
            dialog = EnrolDialog(app, actor, window)
            dialog.show()
            _settle(qapp)
            dialog.grab().save(str(out / f"{stage}-{role}-enrol-dialog.png"))
            _delete(qapp, dialog)
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
