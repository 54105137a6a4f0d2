"""The graded step of issue 20 (per-kind arrays, float32 scoring by formula, candidates from a
kind's nearest lists) chooses what the step before it chose (a scan of the whole kind in float64,
kept in benchmarks/graded_baseline.py): the same item, end and alternatives on every turn of
many walks on the sample catalog, the questions' examples and the web chat's alternatives
included. Both run live, one after the other, through the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import graded_baseline
from gradrec_core import Engine, kinds
from gradrec_core import graded
from gradrec_core.critique import take_turn

# each walk: several turns from one start (memory of earlier critiques, reversals, filters)
WALKS = (
    ("darker", "darker", "a bit darker", "lighter"),
    ("cheaper", "much cheaper", "under 40"),
    ("does it come in black?", "cheaper", "darker"),
    ("more formal", "longer", "a bit more formal"),
    ("under 40", "darker", "more expensive"),
    ("lighter", "lighter", "lighter", "darker"),
    ("something completely different", "cheaper"),
    ("in red", "not in red", "shorter"),
    ("what colours does it come in?", "higher heels", "more casual"),
)


def _walk(engine: Engine, session: str, start: str, texts: tuple[str, ...]) -> list[Any]:
    engine.start(session, start)
    out: list[Any] = []
    for text in texts:
        turn = take_turn(engine, session, text)
        step = turn.step
        examples = tuple((e.value, e.item.id) for e in turn.values.examples) if turn.values else ()
        out.append((text, step.item.id if step and step.item else None, step.end_reached if step else None,
                    tuple(i.id for i in step.alternatives) if step else (), examples))
    alternatives = engine.alternatives(session, 3)
    out.append(("alternatives", tuple(i.id for i in alternatives.items)))
    return out


def _starts(engine: Engine, per_kind: int) -> list[str]:
    out = []
    for kind in engine.categories():
        rows = engine.index.rows_in_category(kind)
        out += [engine.index.items[int(r)].id for r in rows[:: max(1, len(rows) // per_kind)][:per_kind]]
    return out


def _compare(engine: Engine, per_kind: int) -> tuple[int, list[str]]:
    turns = 0
    differences = []
    for n, start in enumerate(_starts(engine, per_kind)):
        texts = WALKS[n % len(WALKS)]
        new = _walk(engine, f"new-{n}", start, texts)
        with graded_baseline.reference():
            old = _walk(engine, f"old-{n}", start, texts)
        turns += len(new)
        differences += [f"{start}: {a} != {b}" for a, b in zip(new, old) if a != b]
    return turns, differences


def test_the_step_chooses_what_the_kind_scan_chose(sample_index_dir: Path) -> None:
    """Every kind of the sample catalog fits `EXACT_LIMIT`: the candidates are the same rows,
    scored by formula in float32 instead of projections in float64; no choice may differ."""
    engine = Engine.open(sample_index_dir)
    turns, differences = _compare(engine, per_kind=4)
    assert turns >= 150
    assert not differences, "\n".join(differences)


def test_candidates_from_the_nearest_lists_choose_nearly_the_same(sample_index_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With the limits shrunk so that the sample's kinds (~400 items) take the path a big kind
    takes (lists of ~32 rows, a few hundred candidates scored from the lists nearest the item),
    the choices stay the kind scan's on most turns; the differences are printed (run with -s)."""
    monkeypatch.setattr(kinds, "EXACT_LIMIT", 48)
    monkeypatch.setattr(kinds, "LIST_SIZE", 24)
    monkeypatch.setattr(graded, "EXACT_LIMIT", 48)
    monkeypatch.setattr(graded, "PROBE_ROWS", 96)
    engine = Engine.open(sample_index_dir)  # a fresh index: its lists are built with the limits above
    turns, differences = _compare(engine, per_kind=2)
    print(f"\n{len(differences)} of {turns} turns differ from the kind scan with candidates from the nearest lists")
    for d in differences:
        print("  ", d)
    assert len(differences) <= 0.15 * turns
