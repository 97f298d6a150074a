"""Message boxes that never block: opened with open(), so the event loop (and tests) go on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.common.hints import worded
from services.errors import Refused


def show_message(parent: QWidget | None, title: str, text: str, *,
                 icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
    """Open a window-modal box and return it (callers keep it, tests read it)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box


def describe(exc: Refused, headline: str | None = None) -> str:
    """The refusal's message and one line per detail (protocol key, file row and column).

    A caller that knows the details repeat the message passes a shorter headline.
    """
    if not exc.details:
        return worded(exc)
    lines = "\n".join(f"• {_detail(d)}" for d in exc.details)
    return f"{headline or worded(exc)}\n{lines}"


def _detail(detail: Any) -> str:
    if not isinstance(detail, dict):
        return str(detail)
    where = ", ".join(str(v) if k == "key" else f"{k} {v}"
                      for k, v in detail.items() if k != "message" and v is not None)
    message = detail.get("message", "")
    return f"{where}: {message}" if where and message else where or str(message)
