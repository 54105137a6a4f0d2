"""Value turns ("does it come in black?", "under 40", "by <brand>") at issue 20's speed: the masks
of `Engine._most_held`, `_standing` and `_kind_with` are computed on the columns' integer codes
(`graded._holds`, `Engine._same`, `_filled`, `_distinct`) instead of comparing strings over the
whole kind or catalog. They must be the same masks, and the engine must give the same answers as
with the straightforward string comparisons, on both test catalogs (the sample and the retail one).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradrec_core import Engine
from gradrec_core import engine as engine_module
from gradrec_core.critique import take_turn
from gradrec_core.graded import _holds, _satisfies
from gradrec_core.ops import Exclude, Range, Require

from test_retail_e2e import ensure_retail_index

_session = itertools.count()


@pytest.fixture(scope="module", params=["sample", "retail"])
def engine(request: pytest.FixtureRequest, sample_index_dir: Path) -> Engine:
    return Engine.open(sample_index_dir if request.param == "sample" else ensure_retail_index())


def _row_sets(engine: Engine) -> list[np.ndarray]:
    """The whole catalog, the largest kind (ascending), and a shuffled subset with repeats."""
    index = engine.index
    every = np.arange(len(index))
    kind = max(engine.categories(), key=lambda k: len(index.rows_in_category(k)))
    rng = np.random.default_rng(0)
    return [every, index.rows_in_category(kind), rng.choice(len(index), len(index) // 3)]


def test_the_masks_on_codes_are_the_masks_on_strings(engine: Engine) -> None:
    index = engine.index
    checked = 0
    for c in index.schema.attributes:
        values = sorted(set(index.column(c.name)))
        assert values, c.name
        picks = values[:: max(1, len(values) // 12)] + ["no such value"]
        ops: list[Any] = []
        for v, w in zip(picks, picks[1:] + picks[:1]):
            # values as a planner writes them (lower-case) and as a shopper might (upper-case)
            ops += [Require(c.name, (v,)), Require(c.name, (v.upper(), w)), Exclude(c.name, (v,)),
                    Exclude(c.name, (v, w)), Require(c.name, tuple(values[:10]))]
        for op in ops:
            for rows in _row_sets(engine):
                assert np.array_equal(_holds(index, op, rows), _satisfies(index, op, rows)), (op, len(rows))
                checked += 1
        for rows in _row_sets(engine):
            for row in (0, int(rows[len(rows) // 2]), len(index) - 1):
                assert np.array_equal(engine._same(c.name, rows, row),
                                      index.column(c.name)[rows] == index.column(c.name)[row])
            assert np.array_equal(engine._filled(c.name, rows), index.column(c.name)[rows] != "")
        assert engine._distinct(c.name) == len(set(index.column(c.name)))
    for n in index.schema.numeric:  # numbers: `_satisfies` itself
        for op in (Range(n.name, None, 40.0), Range(n.name, 10.0, 60.0), Require(n.name, ("40",))):
            for rows in _row_sets(engine):
                assert np.array_equal(_holds(index, op, rows), _satisfies(index, op, rows), equal_nan=True)
    assert checked > 100


def _texts(engine: Engine, start: int) -> list[tuple[str, ...]]:
    """Value turns from one start: a colour (or any attribute's value) the item's kind has and one
    it lacks (a kind change, `_kind_with`), a budget where the catalog has prices, an exclusion."""
    index = engine.index
    schema = index.schema
    column = schema.colour_column or next(c.name for c in schema.attributes if len(c.values) > 3)
    values = index.column(column)
    mine = index.rows_in_category(index.items[start].category)
    inside = sorted(set(values[mine]) - {""})
    outside = sorted(set(values) - set(values[mine]) - {""})
    walks = [("does it come in black?", "cheaper" if schema.numeric else "in " + inside[0])]
    if inside:
        walks.append((f"in {inside[len(inside) // 2]}", f"not in {inside[-1]}"))
    if outside:
        walks.append((f"does it come in {outside[0]}?", f"in {outside[-1]}"))
    if any(n.name == "price" for n in schema.numeric):
        walks.append(("under 40", "under 25"))
    return walks


def _answers(engine: Engine, starts: list[int]) -> list[tuple[Any, ...]]:
    out = []
    for start in starts:
        for texts in _texts(engine, start):
            session = f"value-{next(_session)}"
            engine.start(session, engine.index.items[start].id)
            for text in texts:
                turn = take_turn(engine, session, text)
                step = turn.step
                out.append((start, text, turn.item.id if turn.item is not None else None,
                            step.end_reached if step else None, step.relaxed if step else None,
                            tuple(i.id for i in step.alternatives) if step else (), turn.answer))
    return out


def test_value_turns_answer_as_the_string_comparisons_did(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    index = engine.index
    starts = []
    for kind in engine.categories():
        rows = index.rows_in_category(kind)
        starts += [int(r) for r in rows[:: max(1, len(rows) // 2)][:2]]
    fast = _answers(engine, starts)
    kind_changes = sum(1 for s, _, item, *_ in fast
                       if item is not None and index.item(item).category != index.items[s].category)
    with monkeypatch.context() as m:
        m.setattr(engine_module, "_holds", _satisfies)
        m.setattr(Engine, "_same", lambda self, c, rows, row: self.index.column(c)[rows] == self.index.column(c)[row])
        m.setattr(Engine, "_filled", lambda self, c, rows: self.index.column(c)[rows] != "")
        m.setattr(Engine, "_distinct", lambda self, c: len(set(self.index.column(c))))
        plain = _answers(engine, starts)
    assert len(fast) >= 100
    assert kind_changes >= 5, "no turn took the kind-change path (`_kind_with`)"
    differences = [f"{a} != {b}" for a, b in zip(fast, plain) if a != b]
    assert not differences, "\n".join(differences)


def test_another_like_this_from_the_kinds_lists_is_the_exact_search_where_the_kind_fits(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """"Another one" without a critique to repeat (the nearest unseen item of the kind) reads the
    kind's nearest lists in a big catalog instead of a FAISS search filtered to the kind; where
    the kind is scored whole (every test kind: at most `kinds.EXACT_LIMIT` items) it finds what
    the FAISS search found: an item of the same kind as close (items with the same text, the
    retail catalog has many, tie: either may come first)."""
    index = engine.index
    starts = [int(index.rows_in_category(kind)[0]) for kind in engine.categories()]

    def walk() -> list[tuple[str | None, float | None]]:  # (kind, similarity) per step
        out = []
        for start in starts:
            session = f"another-{next(_session)}"
            engine.start(session, index.items[start].id)
            for _ in range(4):
                step = engine.another(session)
                out.append((step.item.category if step.item else None,
                            step.similarity))
        return out

    exact = walk()
    monkeypatch.setattr(engine_module, "SEARCH_EXACT_LIMIT", 0)  # as in a catalog of over 65,536 items
    assert all(len(index.rows_in_category(k)) <= 2048 for k in engine.categories())
    lists = walk()
    assert [kind for kind, _ in lists] == [kind for kind, _ in exact]
    assert [similarity for _, similarity in lists] == pytest.approx([similarity for _, similarity in exact], abs=1e-5)
    assert sum(item is not None for item, _ in exact) >= 4 * len(starts) - 2
