"""The reference study of the brief with synthetic data, at any stage.

Each stage builds on the one before; every later feature adds its step here so
that `demo --stage X` shows what the product can do at X. The title says the
data are synthetic, and a database holding a real study is never replaced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from db.migrate import upgrade
from db.models import Base
from services import accounts, participants
from services.context import Actor, App
from services.errors import Refused
from services.study import init_study

PROTOCOL = Path(__file__).resolve().parent.parent / "resources" / "reference_protocol.toml"
STAGES = ("setup", "running", "locked", "unblinded")
ACCOUNTS = (
    ("admin", "admin", "demo-admin"),
    ("cora", "coordinator", "demo-coordinator"),
    ("ivan", "investigator", "demo-investigator"),
    ("phil", "pharmacist", "demo-pharmacist"),
    ("stella", "statistician", "demo-statistician"),
)
PASSPHRASE = "demo sealing passphrase"
EMERGENCY_PASSPHRASE = "demo emergency passphrase"
PARTICIPANTS = 16


@dataclass
class DemoStudy:
    app: App
    stage: str
    today: dt.date
    accounts: list[dict[str, str]] = field(default_factory=list)

    def actor(self, role: str) -> Actor:
        name = next(a["user"] for a in self.accounts if a["role"] == role)
        return Actor(name, role)

    def summary(self) -> dict[str, object]:
        return {"db": self.app.safe_url, "stage": self.stage, "accounts": self.accounts,
                "passphrase": PASSPHRASE, "emergency_passphrase": EMERGENCY_PASSPHRASE}


def _clear_synthetic(app: App) -> None:
    """Replace an earlier demo; refuse to touch a real study."""
    if not app.has_study():
        return
    with app.read() as s:
        synthetic = s.execute(text("SELECT synthetic FROM study")).scalar()
    if not synthetic:
        raise Refused(f"{app.safe_url} holds a real study; the demo only "
                      "replaces an earlier demo. Use --db to name another database.")
    Base.metadata.drop_all(app.engine)
    with app.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    upgrade(app.engine)
    app.__dict__.pop("protocol", None)


def build(app: App, stage: str = "running", today: dt.date | None = None) -> DemoStudy:
    if stage not in STAGES:
        raise Refused(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    _clear_synthetic(app)
    demo = DemoStudy(app, stage, today or dt.date.today())
    admin_name, _, admin_password = ACCOUNTS[0]
    init_study(app, PROTOCOL, admin_name, admin_password, synthetic=True)
    admin = Actor(admin_name, "admin")
    demo.accounts.append({"user": admin_name, "role": "admin", "password": admin_password})
    for name, role, password in ACCOUNTS[1:]:
        accounts.add_user(app, admin, name, role, password)
        demo.accounts.append({"user": name, "role": role, "password": password})
    _register(demo)
    return demo


def _register(demo: DemoStudy) -> None:
    """16 people registered over the last eight weeks, half in each stratum."""
    coordinator = demo.actor("coordinator")
    strata = demo.app.protocol.strata
    for i in range(1, PARTICIPANTS + 1):
        participants.add(
            demo.app, coordinator, i,
            stratum=strata[(i - 1) % len(strata)],
            stratum_reason="synthetic demo: stratum from a simulated baseline scan",
            registered_on=demo.today - dt.timedelta(days=60 - 3 * i),
        )
