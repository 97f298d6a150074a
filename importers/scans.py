"""Scan summaries: per-scan tables (MRIQC group tables, ROI exports) keyed by columns or BIDS names.

Participants and visits come from key columns or from a BIDS name such as
sub-007_ses-02_task-faces_bold; a file without sessions (an MRIQC group table)
needs the one visit all its rows belong to. Columns map to the protocol's scan
measures by name or a known alias; the rest are listed and left out.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from importers.extract import (
    Extract,
    Stop,
    check_mapped,
    drop_columns,
    empty_values,
    fixed_visit,
    guarded,
    melt,
    pick_column,
    refuse_non_data,
    unmatched_warnings,
)
from importers.keys import (
    PARTICIPANT_NAMES,
    VISIT_NAMES,
    VisitNames,
    bids_column,
    bids_entities,
    bids_table,
    find_column,
    norm,
    same_label,
)
from importers.mapping import Mapping
from importers.problems import Problem
from importers.reading import Table
from trialcore.protocol import Protocol

# Other names tools give the protocol's scan measures (MRIQC, fMRIPrep confounds, ROI tools).
ALIASES = {
    "fd_mean": ("mean_fd", "meanfd", "fd", "framewise_displacement",
                "mean_framewise_displacement"),
    "tsnr": ("temporal_snr", "tsnr_mean", "mean_tsnr"),
    "amygdala_threat": ("amygdala", "amyg_threat", "amygdala_beta"),
    "sgacc_threat": ("sgacc", "sgacc_beta"),
    "amyg_sgacc_conn": ("amygdala_sgacc", "amyg_sgacc", "amyg_sgacc_fc",
                        "amygdala_sgacc_connectivity"),
}


def measure_columns(columns: list[str], protocol: Protocol,
                    explicit: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """File column → scan measure (explicit choice, exact name, alias) and the unmatched rest."""
    scan = {m.name for m in protocol.measures if m.kind == "scan"}
    by_name = {norm(m): m for m in scan}
    by_alias = {norm(a): m for m, aliases in ALIASES.items() if m in scan for a in aliases}
    chosen = dict(explicit)
    mapped: dict[str, str] = {}
    unmatched = []
    for col in columns:
        key = col
        target = chosen[key] if key in chosen else by_name.get(norm(col)) or \
            by_alias.get(norm(col))
        if target and target not in scan:
            raise Stop(f"column {col} is mapped to {target!r}, which is not a scan measure of "
                       f"the protocol ({', '.join(sorted(scan))})", column=col)
        if target:
            mapped[col] = target
        elif key not in chosen:
            unmatched.append(col)
    taken: dict[str, str] = {}
    for col, target in mapped.items():
        if target in taken:
            raise Stop(f"columns {taken[target]} and {col} both hold {target}; map one of "
                       "them to nothing or drop it", column=col)
        taken[target] = col
    return mapped, unmatched


def extract_scans(table: Table, protocol: Protocol, mapping: Mapping) -> Extract:
    """Find keys and measures; problems that stop the import come back as errors."""
    out = Extract("scans", f"scans {table.format}", table, replace(mapping), empty_values())
    try:
        refuse_non_data(table)
        _extract(out, protocol)
    except Stop as stop:
        out.errors.append(stop.problem)
    return out


def _extract(out: Extract, protocol: Protocol) -> None:
    table, mapping = out.table, out.mapping
    frame, dropped = drop_columns(table, mapping.drop_columns)
    mapping.drop_columns = dropped
    columns = [str(c) for c in frame.columns]
    pcol = pick_column(frame, mapping.participant_column, "participant") or \
        find_column(columns, PARTICIPANT_NAMES)
    vcol = pick_column(frame, mapping.visit_column, "visit") or find_column(columns, VISIT_NAMES)
    bcol = pick_column(frame, mapping.bids_column, "BIDS names")
    if bcol is None and (pcol is None or vcol is None):
        bcol = bids_column(frame)
    sub = ses = None
    if mapping.bids_filter and bcol is None:
        raise Stop("a BIDS filter needs BIDS names (sub-01_task-rest_run-1_bold), and the "
                   "file has none", option="bids_filter")
    if bcol is not None:
        frame = _filtered(out, frame, bcol)
        sub, ses = bids_entities(frame[bcol])
    if pcol is None and sub is None:
        raise Stop("no participant column: name it participant (or subject, sub, id) or "
                   "give BIDS names like sub-007_ses-02_task-faces_bold")
    participant = frame[pcol] if pcol else ("sub-" + sub)
    keys = {c for c in (pcol, vcol, bcol) if c}
    mapping.participant_column, mapping.visit_column, mapping.bids_column = pcol, vcol, bcol
    out.participant_column = pcol or bcol
    out.visit_column = vcol or bcol
    out.treatment = [c for c in guarded(frame, protocol) if c not in keys]
    check_mapped(columns, mapping.columns)
    candidates = [c for c in columns if c not in keys and c not in out.treatment]
    targets, out.unmatched = measure_columns(candidates, protocol, mapping.columns)
    mapping.columns = {**{k: v for k, v in mapping.columns.items() if not v}, **targets}
    out.warnings += unmatched_warnings(out.unmatched, "scan measure")
    if not targets:
        scan = ", ".join(m.name for m in protocol.measures if m.kind == "scan")
        raise Stop(f"no column matches a scan measure of the protocol ({scan}); map columns "
                   "in a profile or rename them")
    names = VisitNames(protocol, mapping.visits)
    has_sessions = vcol is not None or (ses is not None and ses.notna().any())
    if mapping.visit is not None:
        if has_sessions:
            raise Stop(f"the file names its own visits ({vcol or bcol}); do not also choose one "
                       "visit for all rows, or leave that column out", column=vcol or bcol,
                       option="visit")
        mapping.visit = fixed_visit(mapping.visit, names)
        out.visit_column = None
        labels = pd.Series(mapping.visit, index=frame.index, dtype=object)
    elif vcol is not None:
        labels = frame[vcol]
    elif has_sessions:
        labels = ses
    else:
        raise Stop(f"{table.name} has no visit or session column and its BIDS names have no "
                   "ses- part: say which visit all rows belong to (visits: "
                   f"{', '.join(names.ids)})", option="visit")
    visit = names.resolve(labels)
    out.warnings += [Problem(None, out.visit_column, n) for n in dict.fromkeys(names.notes)]
    out.values = melt(out.table, frame, targets, participant.astype(object), visit,
                      labels.astype(object))


def _filtered(out: Extract, frame: pd.DataFrame, bcol: str) -> pd.DataFrame:
    """Only the scans the user chose by BIDS entity (task, run, acq...); the others are
    skipped and counted. Several scans left for one participant and session that differ
    in an entity are refused, naming the choices found."""
    entities = bids_table(frame[bcol])
    chosen = out.mapping.bids_filter
    keep = np.ones(len(frame), dtype=bool)
    for key, wanted in chosen.items():
        if not str(wanted).strip():
            raise Stop(f"BIDS filter {key!r}: write it as KEY=VALUE (task=rest, run=1)",
                       option="bids_filter")
        if key not in entities.columns:
            raise Stop(f"the BIDS names in {bcol} have no {key}- entity to choose by; they "
                       f"have {', '.join(entities.columns)}", column=bcol,
                       option="bids_filter")
        found = entities[key].to_numpy()
        match = np.array([same_label(x, wanted) for x in found])
        if not match.any():
            labels = sorted({str(x) for x in found if isinstance(x, str)})
            raise Stop(f"no BIDS name in {bcol} has {key}-{wanted}; the {key} labels are "
                       f"{', '.join(labels) or 'none'}", column=bcol, option="bids_filter")
        keep &= match
    if not keep.all():
        shown = " ".join(f"{k}-{v}" for k, v in chosen.items())
        frame = out.skip(~keep, f"not the chosen scans ({shown})")[frame.columns]
        entities = entities[keep]
    varying = [e for e in entities.columns if e not in ("sub", "ses")
               and entities[e].nunique(dropna=False) > 1]
    pairs = entities.reindex(columns=["sub", "ses"]).astype(str)
    if varying and pairs.duplicated().any():
        choices = "; ".join(f"{e}: {', '.join(sorted(entities[e].dropna().astype(str).unique()))}"
                            for e in varying)
        raise Stop(f"the file has several scans per participant and session that differ in "
                   f"{', '.join(varying)} ({choices}); choose which to import", column=bcol,
                   option="bids_filter")
    return frame
