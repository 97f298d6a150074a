"""The study's stage gates every change: data are final once the study is locked."""

from __future__ import annotations

from services.context import App
from services.errors import Refused
from services.study import stage


def require_open(app: App) -> None:
    current = stage(app)
    if current in ("locked", "unblinded"):
        raise Refused(f"the study is {current}: study data can no longer be changed")
