"""What the sign-in screen may show before anyone has logged in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from db.models import Study
from services.context import App
from services.errors import no_study


@dataclass(frozen=True)
class StudyBanner:
    title: str
    synthetic: bool
    stage: str


def study_banner(app: App) -> StudyBanner:
    """Title, stage and demo flag: no names and no data, so it needs no login.

    The sign-in dialog lists the demo accounts only for the synthetic demo, and
    the window title and status bar show the title and stage.
    """
    with app.read() as s:
        study = s.scalar(select(Study))
    if study is None:
        raise no_study()
    return StudyBanner(study.title, study.synthetic, study.stage)
