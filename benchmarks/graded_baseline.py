"""Today's graded step before issue 20 (a scan of the item's whole kind, float64), kept only as
the reference the new step is checked against (tests/test_graded_equivalence.py) and the
same-run baseline of benchmarks/scale.py. Not used by the product.

`reference()` swaps it into the engine for the duration of a `with` block.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator, Sequence

import numpy as np

from gradrec_core import engine as engine_module
from gradrec_core.graded import (COLOUR_HOLD, HOLD_BONUS, LEVEL_PENALTY, NAME_HOLD, TEXT_MIN_GAIN, _EPS, Axis, Floor,
                                 TurnResult, TurnState, _band, _colour_hold, _fraction, _satisfies, _turn_parts,
                                 _value_words, quantiles)
from gradrec_core.index import ItemIndex
from gradrec_core.ops import Different, Exclude, Op, Range, Require, RequireText

_NAME_WORDS: dict[str, list[frozenset[str]]] = {}
_NAME_LOCK = threading.Lock()


def most_like(index: ItemIndex, rows: np.ndarray, current: int, hold_columns: Sequence[str],
              colour_hold: tuple[int, ...] = (0, 1, 2), n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every row scored by the old `_style` (what the engine did for examples and kind changes)."""
    score = _style(index, rows, current, [], hold_columns, colour_hold)
    order = np.argsort(-score, kind="stable")[:n]
    return rows[order], score[order]


def kind_neighbours(index: ItemIndex, row: int, k: int, category: str | None) -> np.ndarray:
    """A FAISS search of the whole index filtered to the kind (what "what colours" did)."""
    _, found = index.search(index.vectors[row], k, category=category)
    return found[0][found[0] >= 0]


@contextlib.contextmanager
def reference() -> Iterator[None]:
    """The engine runs the old step inside (and the old scoring of examples and kind changes,
    the old searches within a kind, directions from FAISS searches of the whole index, the
    value turns' masks on the columns' strings)."""
    names = ("graded_step", "most_like", "kind_neighbours", "SEARCH_EXACT_LIMIT", "_holds")
    saved = [getattr(engine_module, name) for name in names]
    for name, value in zip(names, (graded_step, most_like, kind_neighbours, 1 << 62, _satisfies)):
        setattr(engine_module, name, value)
    try:
        yield
    finally:
        for name, value in zip(names, saved):
            setattr(engine_module, name, value)


def graded_step(
    index: ItemIndex,
    state: TurnState,
    ops: Sequence[Op],
    axes: Sequence[Axis | None],
    floor_axes: Sequence[Axis],
    category: str | None,
    hold_columns: Sequence[str],
    more: int = 0,
) -> TurnResult:
    """The next item for one turn, by a scan of the kind. `more` is ignored: the old engine took
    the web chat's alternatives by one step each, as the engine does when a step gives none."""
    rows = index.rows_in_category(category) if category else np.arange(len(index), dtype=np.int64)
    current = state.current_row
    seen = np.fromiter(state.seen_rows, dtype=np.int64, count=len(state.seen_rows))
    unseen = rows[~np.isin(rows, seen)]

    comparatives, cap_of, filters_now, kept_filters = _turn_parts(state, ops, axes)
    floors_in, floor_axes_in = list(state.floors), list(floor_axes)
    if any(isinstance(op, Different) for op in ops):
        return _different(index, unseen, current, [f for f in kept_filters if isinstance(f, Range)] + filters_now,
                          hold_columns)

    def filter_mask(candidates: np.ndarray, filters: Sequence[Op]) -> np.ndarray:
        keep = np.ones(len(candidates), dtype=bool)
        for f in filters:
            keep &= _satisfies(index, f, candidates)
        return keep

    # levels and the graded targets of the comparatives asked now
    before: list[float] = []
    targets: list[tuple[np.ndarray, float, float, Axis]] = []  # (quantiles of candidates, q0, target, axis)
    ahead = np.ones(len(unseen), dtype=bool)
    preferred = np.ones(len(unseen), dtype=bool)
    for op, ax in comparatives:
        lv_rows = ax.levels[rows]
        q_rows = quantiles(lv_rows, dense=ax.source.startswith("column:"))
        q_of = dict(zip(rows.tolist(), q_rows.tolist()))
        l0 = float(ax.levels[current])
        if not np.isfinite(l0):  # the current item has no value on this axis: start from the bottom
            below = 0.0 if ax.source.startswith("column:") and index.items[current].category == category else 1.0
            l0 = float(np.nanmin(lv_rows)) - below if np.isfinite(lv_rows).any() else 0.0
            q0 = 0.0
        else:
            q0 = float(q_of.get(current, np.nan))
            if not np.isfinite(q0):
                q0 = float(np.mean(lv_rows[np.isfinite(lv_rows)] < l0)) if np.isfinite(lv_rows).any() else 0.0
        before.append(l0)
        lv = ax.levels[unseen]
        finite = np.isfinite(lv)
        ahead &= finite & (lv > l0 + 1e-12)
        if not ax.discrete:
            preferred &= finite & (lv > l0 + TEXT_MIN_GAIN * ax.spread)
        fraction = _fraction(getattr(op, "intensity", 1.0))
        target = q0 + fraction * (1.0 - q0)
        low, high = _band(getattr(op, "intensity", 1.0))
        qu = np.array([q_of.get(int(r), np.nan) for r in unseen])
        cap = cap_of.get(id(op))
        if cap is not None and cap > l0:
            # a reversal after a long walk is the next level back, not the walk undone at once:
            # aim just past the current level, within the item the reversed walk's last step left
            # (or, with nothing there, the least further)
            within = finite & (lv > l0 + 1e-12) & (lv <= cap + 1e-12)
            if not ax.discrete:
                within &= lv > l0 + TEXT_MIN_GAIN * ax.spread
            preferred &= within if within.any() else finite & (lv <= np.nanmin(np.where(ahead & finite, lv, np.inf)))
            targets.append((qu, q0, q0, ax))
            continue
        preferred &= ~(qu > q0 + high * (1.0 - q0) + 1e-9) & ~(qu < q0 + low * (1.0 - q0) - 1e-9)
        if ax.source.startswith(("numeric:", "swatch:")):
            # a measured axis: the band holds in value too ("a plain step covers at most half")
            extreme = float(np.nanmax(lv_rows))
            preferred &= ~(lv > l0 + high * (extreme - l0) + 1e-12) & ~(lv < l0 + low * (extreme - l0) - 1e-12)
        targets.append((qu, q0, target, ax))

    def pick(floors: Sequence[Floor], floor_axes_: Sequence[Axis], filters: Sequence[Op]) -> np.ndarray:
        keep = ahead & filter_mask(unseen, list(filters) + filters_now)
        for fl, ax in zip(floors, floor_axes_):
            lv = ax.levels[unseen]
            keep &= np.isfinite(lv) & (lv >= fl.floor)
        return keep

    relaxed = False
    keep = pick(state.floors, floor_axes, kept_filters)
    if not keep.any() and (state.floors or kept_filters):
        keep = pick([], [], [])
        relaxed = bool(keep.any())
    if not keep.any():
        reason = ("nothing further along in this style" if comparatives
                  else "nothing like this has that")
        # the closest items at the level reached, keeping the earlier wishes where any can be kept
        wished = filter_mask(unseen, kept_filters)
        for fl, ax in zip(floors_in, floor_axes_in):
            lv = ax.levels[unseen]
            wished &= np.isfinite(lv) & (lv >= fl.floor)
        alternatives = _alternatives(index, unseen[wished] if wished.any() else unseen, current, comparatives,
                                     filters_now, hold_columns)
        return TurnResult(None, True, reason, tuple((b, b) for b in before), alternatives, False,
                          tuple(ax.source for _, ax in comparatives), len(unseen))
    if (keep & preferred).any():
        keep &= preferred
    candidates = unseen[keep]
    score = _style(index, candidates, current, [ax.direction for _, ax in comparatives], hold_columns,
                   _colour_hold(comparatives))
    for qu, q0, target, ax in targets:
        span = max(1.0 - q0, 0.05)
        score -= LEVEL_PENALTY * np.abs(qu[keep] - target) / span
    best = int(candidates[int(np.argmax(score))])
    after = tuple((b, float(ax.levels[best])) for b, (_, ax) in zip(before, comparatives))
    return TurnResult(best, False, "", after, (), relaxed, tuple(ax.source for _, ax in comparatives),
                      len(unseen))


def _style(index: ItemIndex, rows: np.ndarray, current: int, directions: Sequence[np.ndarray | None],
           hold_columns: Sequence[str], colour_hold: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """How much each row looks like the current item apart from what was asked: cosine of the
    residuals once the asked directions are removed, plus shared categorical attributes, minus
    the colour difference (CIELAB, the components not asked about) where the catalog has
    swatches: the colour a shopper sees stays unless asked."""
    vecs = index.vectors[rows].astype(np.float64)
    anchor = index.vectors[current].astype(np.float64)
    for d in directions:
        if d is None:
            continue
        d = d.astype(np.float64)
        vecs = vecs - np.outer(vecs @ d, d)
        anchor = anchor - (anchor @ d) * d
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + _EPS
    anchor /= np.linalg.norm(anchor) + _EPS
    score = vecs @ anchor
    for c in hold_columns:
        values = index.column(c)
        mine = values[current]
        if isinstance(mine, str) and mine:
            score = score + HOLD_BONUS * (values[rows] == mine)
    words = _name_words(index)
    if words is not None and words[current]:
        # the name says what no column does ("high-top", "pencil"): the share of such words in
        # common (the columns' own value words are left to the columns)
        anchor = words[current]
        share = np.array([len(anchor & words[int(r)]) / len(anchor | words[int(r)]) for r in rows])
        score = score + NAME_HOLD * share
    lab = index.swatch_lab()
    if lab is not None and colour_hold and np.isfinite(lab[current]).all():
        held = list(colour_hold)
        delta = np.linalg.norm(lab[rows][:, held] - lab[current][held], axis=1)
        score = score - COLOUR_HOLD * np.nan_to_num(delta, nan=50.0) / 100.0
    return score


def _name_words(index: ItemIndex) -> list[frozenset[str]] | None:
    """Each row's name as a set of lower-case words (hyphens split), less the words of any
    attribute column's values, or None without a name column."""
    column = index.schema.name_column
    if not column:
        return None
    key = f"{index.fingerprint}:{column}"
    with _NAME_LOCK:
        found = _NAME_WORDS.get(key)
    if found is None:
        valued = {w for c in index.schema.attributes for v in c.values for w in _value_words(v.lower())}
        found = [frozenset(_value_words(str(it.metadata.get(column) or "").lower())) - valued for it in index.items]
        with _NAME_LOCK:
            _NAME_WORDS.clear()  # one index per process in practice: keep only the latest
            _NAME_WORDS[key] = found
    return found


def _different(index: ItemIndex, unseen: np.ndarray, current: int, filters: Sequence[Op],
               hold_columns: Sequence[str]) -> TurnResult:
    """"Something completely different": the unseen item of the kind least like the current one
    in text, attributes and colour, inside the filters kept (a budget)."""
    keep = np.ones(len(unseen), dtype=bool)
    for f in filters:
        keep &= _satisfies(index, f, unseen)
    candidates = unseen[keep]
    if not len(candidates):
        return TurnResult(None, True, "nothing else like this is left", (), (), False, (), len(unseen))
    score = _style(index, candidates, current, [], hold_columns, (0, 1, 2))
    best = int(candidates[int(np.argmin(score))])
    return TurnResult(best, False, "", (), (), False, (), len(unseen))


def _alternatives(index: ItemIndex, unseen: np.ndarray, current: int, comparatives: list,
                  filters_now: Sequence[Op], hold_columns: Sequence[str], n: int = 3) -> tuple[int, ...]:
    """At an end: the unseen items most like the current one that satisfy the filters asked now."""
    if len(unseen) == 0:
        return ()
    keep = np.ones(len(unseen), dtype=bool)
    for f in filters_now:
        keep &= _satisfies(index, f, unseen)
    candidates = unseen[keep] if keep.any() else unseen
    score = _style(index, candidates, current, [ax.direction for _, ax in comparatives], hold_columns,
                   _colour_hold(comparatives))
    for _, ax in comparatives:  # at the level reached: as far along as the current item
        lv = ax.levels[candidates]
        l0 = ax.levels[current]
        if np.isfinite(l0):
            score = score - 0.5 * np.where(np.isfinite(lv), np.abs(lv - l0) / (np.nanstd(ax.levels) + _EPS), 10)
    order = np.argsort(-score)[:n]
    return tuple(int(candidates[i]) for i in order)
