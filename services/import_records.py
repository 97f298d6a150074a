"""The import log and where each stored value came from: what the Imports tab lists.

Kept apart from services.imports, whose readers and checks import pandas: listing
the imports, or one participant's values with their sources, does not need it, and
the Imports tab opens without it (services.imports offers both under its own name).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from db.models import ImportRecord, Observation, Participant, ResponseSet
from services.context import Actor, App, require
from trialcore.response_sets import decode, missing

LISTED = (ImportRecord.id, ImportRecord.kind, ImportRecord.file_name, ImportRecord.sha256,
          ImportRecord.size, ImportRecord.format, ImportRecord.by, ImportRecord.at,
          ImportRecord.rows, ImportRecord.inserted, ImportRecord.updated,
          ImportRecord.unchanged)


def list_imports(app: App, actor: Actor, *, options: bool = True) -> list[dict[str, Any]]:
    """Every import record, newest first: file, checksum, who, when and the counts, and
    unless `options` is False the options it ran with (a hand entry's are its values: half
    the time of listing a large study's imports, and the Imports tab does not show them)."""
    require(actor, "study.read")
    columns = (*LISTED, ImportRecord.options) if options else LISTED
    with app.read() as s:  # plain columns: ORM objects are slower to read
        records = s.execute(select(*columns).order_by(ImportRecord.id.desc())).all()
    return [{"id": r.id, "kind": r.kind, "file": r.file_name, "sha256": r.sha256,
             "size": r.size, "format": r.format, "by": r.by, "at": r.at.isoformat() + "Z",
             "rows": r.rows, "inserted": r.inserted, "updated": r.updated,
             "unchanged": r.unchanged, **({"options": json.loads(r.options)} if options else {})}
            for r in records]


def provenance(app: App, actor: Actor, participant: object | None = None) -> list[dict[str, Any]]:
    """Which import each stored value came from (None: entered another way), with the
    protocol's names of the visit and the value beside their ids."""
    from services.participants import number_of

    require(actor, "data.read")
    with app.read() as s:
        people = select(Participant.id, Participant.label).order_by(Participant.number)
        if participant is not None:
            people = people.where(Participant.number == number_of(app, participant))
        labels = dict(s.execute(people).all())
        files = dict(s.execute(select(ImportRecord.id, ImportRecord.file_name)).all())
        q = select(Observation.participant_id, Observation.visit, Observation.measure,
                   Observation.value, Observation.import_id)
        sets = select(ResponseSet.participant_id, ResponseSet.visit, ResponseSet.answers)
        if participant is not None:
            q = q.where(Observation.participant_id.in_(labels))
            sets = sets.where(ResponseSet.participant_id.in_(labels))
        values = [(*r, "observations", None) for r in s.execute(q)]
        for pid, visit, answers in s.execute(sets):
            codes = missing(answers)
            values += [(pid, visit, item, value, source, "item_responses", codes.get(item))
                       for item, (value, source) in decode(answers).items()]
    order = {pid: n for n, pid in enumerate(labels)}
    values.sort(key=lambda v: (v[5] != "observations", order[v[0]], v[1], v[2]))
    protocol = app.protocol  # the labels beside the ids: what the screens show
    return [{"participant": labels[pid], "visit": visit, "name": name, "value": value,
             "missing_code": code, "import_id": source, "file": files.get(source),
             "table": table, "visit_label": protocol.visit_label(visit),
             "label": protocol.name_label(name)}
            for pid, visit, name, value, source, table, code in values]
