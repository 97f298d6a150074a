"""Every read of outcome values follows one rule (`data.read`, as for `data.export`): the
pharmacist (unblinded) and the admin (accounts only) see no values anywhere."""

from __future__ import annotations

import pytest

from services import audit_trail, exports, imports, plot_data
from services.context import App
from services.errors import PermissionDenied
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS, make_study


@pytest.mark.parametrize("who", ["phil", "admin"])
def test_no_outcome_values_for_roles_that_may_not_export(app: App, db_url: str, who: str,
                                                         tmp_path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    actors = make_study(app, ("cora", "phil"))
    actor = actors[who]
    measure = app.protocol.measures[0].name
    reads = [lambda: imports.provenance(app, actor),
             lambda: plot_data.participant_plots(app, actor, 1),
             lambda: plot_data.group_plot(app, actor, measure),
             lambda: exports.export(app, actor, tmp_path / "x.csv")]
    for read in reads:
        with pytest.raises(PermissionDenied, match=r"data\.(read|export) is for coordinator"):
            read()
    r = cli(capsys, monkeypatch, db_url, "--json", "import", "values", user=who,
            password=PASSWORDS[who])
    assert r.code == 1 and "data.read" in r.json["error"]
    assert imports.provenance(app, actors["cora"]) == []


def test_the_admin_reads_no_audit_trail(app: App) -> None:
    admin = make_study(app)["admin"]
    with pytest.raises(PermissionDenied, match=r"audit\.read"):
        audit_trail.entries(app, admin)
    with pytest.raises(PermissionDenied, match=r"audit\.read"):
        audit_trail.verify(app, admin)
