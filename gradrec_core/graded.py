"""One shopper turn as one step: graded comparatives, substitutions and filters together.

Beyond the GradREC walk (`walk.py`), which moves a position along one text direction, this
step works on *levels*: each comparative becomes an axis over the items of the kind, and the
next item is the one most like the current item among those further along every asked axis,
inside every filter, aimed at a graded target:

- Axis. A comparative's text direction (GradREC's SNR direction between the prompts' items)
  is grounded on the catalog when a column fits it: a numeric column named for it
  (`heel_cm` for "higher heels"), or a categorical column whose values name its ends
  ("maxi" / "mini", "formal" / "casual", "long" / "short" sleeves). A categorical value's
  level is the mean projection of the catalog's items with that value on the two pole words
  (not on this turn's direction, so the order of the values never changes with the current
  item and a walk cannot step back), blended with the value's own text score against the pole
  words, and oriented by the values that name a pole. Averaging over every item with a value
  cancels the item-level noise of the text, which alone is the limit of a text encoder
  (docs/RESULTS.md). A hex swatch column grounds shade and colour words (`colour.py`). With no
  fitting column, the item's own projection on the turn's direction is the level.
- Graded target. Among the kind's items, a step aims at a fraction of the rest of the range
  ahead (in rank quantiles; for a categorical column, in its named levels): "a bit" 15%,
  plain 30%, "much" 60%, and prefers a band of it:
  "a bit" at most a quarter of what is left, plain at most half, "much" at least 30% (on a
  measured axis, a numeric or swatch column, in value as well as in rank), whenever an item
  in the band exists. So a plain "darker" is the
  next shade, and a walk goes on until nothing lies further: it ends only when no unseen
  item of the kind is further along (no false ends), and then offers the closest items at
  the level reached.
- Style held. Ranking is the cosine of what is left of the item once the asked directions are
  removed, plus a bonus for each categorical attribute it shares with the current item
  (colour, material, pattern, length ... as the catalog has them) that the turn did not ask
  to change, plus the share of name words in common that no column holds ("high-top"), minus
  the colour difference where the catalog has swatches (the CIELAB components the turn did not
  ask about); and it stays in the kind.
- Memory. Earlier comparatives stay satisfied (their floor: halfway between where their step
  started and the item it chose); earlier `Require` / `Exclude` / `Range` filters stay until
  replaced (a comparative on a column replaces a value asked on it, never a bound: "cheaper"
  stays "under 30"). When nothing satisfies everything, the memory is relaxed before giving
  up; an end's alternatives keep it where they can. A reversal of a walk ("lighter" after
  several "darker") aims at the next level back (`TurnState.caps`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .colour import JND, colour_guard, colour_measure
from .index import ItemIndex
from .kinds import EXACT_LIMIT, MIN_POOL, PROBE_ROWS, AxisView, structures
from .ops import Comparative, Different, Exclude, NumericComparative, Op, Range, Require, RequireText
from .schema import column_words
from .walk import DirectionVector

log = logging.getLogger(__name__)

_EPS = 1e-9
TARGET_FRACTION = {0.5: 0.15, 1.0: 0.3, 2.0: 0.6}
# the band a step prefers, as fractions of what is left of the range: "a bit" at most a quarter,
# plain at most half, "much" at least as far as a plain step aims
BAND = {0.5: (0.0, 0.25), 1.0: (0.0, 0.5), 2.0: (0.3, 1.0)}
HOLD_BONUS = 0.15  # ranking bonus per categorical attribute shared with the current item
NAME_HOLD = 0.3  # ranking bonus for the share of name words in common ("canvas high-top"), asked values' words aside
COLOUR_HOLD = 1.0  # ranking cost per 100 CIELAB units of colour difference (catalogs with swatches)
LEVEL_PENALTY = 0.6  # ranking cost per unit of rank-quantile distance from the target
TEXT_MIN_GAIN = 0.5  # text-only axes: preferred least gain, in spreads of the direction

# Columns named for a dimension: (column-name word, the pole word its larger values mean).
# English words, not a catalog's columns.
DIMENSION_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "height": (("heel", "high"), ("height", "high")),
    "length": (("length", "long"),),
    "price": (("price", "expensive"), ("cost", "expensive")),
    "size": (("size", "big"),),
    "shade": (("darkness", "dark"), ("lightness", "light"), ("brightness", "light")),
    "width": (("width", "wide"),),
    "thickness": (("thickness", "thick"),),
    "warmth": (("warmth", "warm"), ("tog", "warm")),
    "formality": (("formality", "formal"),),
}


def _band(intensity: float) -> tuple[float, float]:
    if intensity in BAND:
        return BAND[intensity]
    return BAND[0.5] if intensity < 1.0 else BAND[2.0]


def _fraction(intensity: float) -> float:
    if intensity in TARGET_FRACTION:
        return TARGET_FRACTION[intensity]
    return float(np.clip(0.3 * intensity, 0.1, 0.7))


@dataclass(frozen=True)
class Axis:
    """Levels of every row along one asked change (NaN: the row has no level on it)."""

    levels: np.ndarray  # float64, all rows
    source: str  # "column:<name>", "numeric:<name>" or "text"
    discrete: bool  # levels come in steps (a column's values): any higher level is a move
    spread: float  # the noise unit of a text axis (0 for columns)
    direction: np.ndarray | None  # the text direction, when there is one
    # levels a step along this axis must not lower ("brighter": L*, never darker), or None
    guard: "Axis | None" = None


@dataclass(frozen=True)
class Floor:
    """An earlier comparative that must stay satisfied: level on `axis_key` >= `floor`."""

    op: Op
    floor: float


@dataclass
class TurnState:
    current_row: int
    seen_rows: set[int]
    floors: list[Floor] = field(default_factory=list)
    filters: list[Op] = field(default_factory=list)  # Require / RequireText / Range / Exclude still in force
    # a comparative (by its index in the turn's ops) that reverses a walk ("lighter" after five
    # "darker"): the level of the item the reversed walk's last step left, the reversal's reach
    caps: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnResult:
    row: int | None
    end_reached: bool
    reason: str
    levels: tuple[tuple[float, float], ...]  # per comparative: (level before, level after)
    alternatives: tuple[int, ...]  # at an end: the closest unseen items at the level reached
    relaxed: bool  # earlier critiques had to be dropped to answer
    axes: tuple[str, ...]  # each comparative's axis source
    considered: int
    following: tuple[int, ...] = ()  # with `more`: the next answers of the same step, in order


class AxisBuilder:
    """Builds and caches axes; `embed_words` embeds short texts with the index's encoder."""

    def __init__(self, index: ItemIndex, embed_words: Callable[[list[str]], np.ndarray]) -> None:
        self.index = index
        self.embed_words = embed_words
        self._cache: dict[tuple, Axis] = {}
        self._value_vectors: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()

    def axis(self, op: Op, direction: DirectionVector | None, rows: np.ndarray) -> Axis:
        key = (op_key(op), len(rows), int(rows[0]) if len(rows) else -1)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        axis = self._build(op, direction, rows)
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = axis
        return axis

    # ------------------------------------------------------------------ building
    def _build(self, op: Op, direction: DirectionVector | None, rows: np.ndarray) -> Axis:
        index = self.index
        if isinstance(op, NumericComparative):
            return Axis(op.sign * index.column(op.column), f"numeric:{op.column}", True, 0.0, None)
        assert isinstance(op, Comparative) and direction is not None
        d = direction.vector
        numeric = self._numeric_column(op, rows)
        if numeric is not None:
            name, sign = numeric
            return Axis(sign * index.column(name), f"numeric:{name}", True, 0.0, d)
        swatch = self._swatch_axis(op, rows)
        if swatch is not None:
            # continuous: a move under a just-noticeable colour difference is not a new shade
            guard = self._swatch_guard(op)
            return Axis(swatch[1], f"swatch:{swatch[0]}", False, JND / TEXT_MIN_GAIN, d, guard)
        column = self._categorical_column(op, rows)
        if column is not None:
            levels = self._value_levels(op, column, rows)
            if levels is not None:
                return Axis(levels, f"column:{column}", True, 0.0, d)
        return Axis((index.vectors @ d).astype(np.float64), "text", False, direction.spread, d)

    def _swatch_axis(self, op: Comparative, rows: np.ndarray) -> tuple[str, np.ndarray] | None:
        """Shade and colour comparatives on the catalog's swatch colours (`colour.py`), when the
        catalog has a swatch column and the kind's items have at least two distinct colours."""
        lab = self.index.swatch_lab()
        if lab is None:
            return None
        measure = colour_measure(op.dimension, op.pole, op.counter)
        if measure is None:
            return None
        name, f = measure
        levels = f(lab)
        present = levels[rows][np.isfinite(levels[rows])]
        if len(present) < 2 or present.min() == present.max():
            return None
        return name, np.asarray(levels, dtype=np.float64)

    def _swatch_guard(self, op: Comparative) -> Axis | None:
        """The colour measure a step on a swatch axis must not lower (`colour.colour_guard`)."""
        lab = self.index.swatch_lab()
        guard = colour_guard(op.dimension, op.pole, op.counter) if lab is not None else None
        if guard is None:
            return None
        return Axis(np.asarray(guard[1](lab), dtype=np.float64), f"swatch:{guard[0]}", False, 0.0, None)

    def _numeric_column(self, op: Comparative, rows: np.ndarray) -> tuple[str, int] | None:
        wanted = DIMENSION_COLUMNS.get(op.dimension, ())
        noun = op.noun
        best: tuple[int, str, int] | None = None
        for c in self.index.schema.numeric:
            words = column_words(c.name)
            for word, larger in wanted:
                if word in words:
                    if larger in op.pole:
                        sign = 1
                    elif larger in op.counter:
                        sign = -1
                    else:
                        continue
                    score = 2 if noun and noun in words else 1
                    if noun and not (noun in words) and any(w in _PART_NOUNS for w in words):
                        continue  # "heel" column for "shorter sleeves": not this part
                    values = self.index.column(c.name)[rows]
                    if np.count_nonzero(~np.isnan(values)) < 2 or np.nanmin(values) == np.nanmax(values):
                        continue
                    if best is None or score > best[0]:
                        best = (score, c.name, sign)
        return (best[1], best[2]) if best else None

    def _categorical_column(self, op: Comparative, rows: np.ndarray) -> str | None:
        """A column whose values name the comparative's ends ("maxi"/"mini"; "long"/"short"
        for sleeves), preferring one named for the dimension or the part asked about."""
        if not op.pole and not op.counter:
            return None
        pole = _stems(op.pole) | _occasion_words(op.pole)
        counter = _stems(op.counter) | _occasion_words(op.counter)
        best: tuple[float, str] | None = None
        for c in self.index.schema.attributes:
            present = [v for v in set(self.index.column(c.name)[rows]) if v]
            # one value, naming the asked end ("casual" on every casual shoe): the kind is at that
            # end, so nothing is further (not a walk on the text instead)
            if len(present) < 2 and not (present and _stems(_value_words(present[0])) & _stems(op.pole)):
                continue
            words_of = {v: _stems(_value_words(v)) for v in present}
            a = sum(1 for v in present if words_of[v] & pole)
            b = sum(1 for v in present if words_of[v] & counter)
            if a + b == 0:
                continue
            name_words = set(column_words(c.name))
            score = (a > 0) + (b > 0) + min(a + b, len(present)) / (len(present) + 1.0)
            if op.dimension and op.dimension in name_words:
                score += 1.0
            if op.noun:
                if op.noun in name_words or any(w.startswith(op.noun) for w in name_words):
                    score += 2.0
                elif name_words & _PART_NOUNS:
                    score -= 2.0
            elif name_words & _PART_NOUNS:
                score -= 1.5  # "shorter" on a dress is its length, not its sleeves
            if score <= 1.0:
                continue
            if best is None or score > best[0]:
                best = (score, c.name)
        return best[1] if best else None

    def _value_levels(self, op: Comparative, column: str, rows: np.ndarray) -> np.ndarray | None:
        values = self.index.column(column)
        present = sorted(v for v in set(values[rows]) if v)
        pole = self.embed_words([" ".join(op.pole[:1]) or op.attribute])[0]
        counter = self.embed_words([" ".join(op.counter[:1])])[0] if op.counter else np.zeros_like(pole)
        # item evidence: every catalog item with the value (the colour "navy" is navy on any kind),
        # projected on the two ends' words, not on this turn's direction: the order of a column's
        # values must not change with the current item's phrase, or a walk could step back
        ends = (pole - counter).astype(np.float64)
        ends /= np.linalg.norm(ends) + _EPS
        projections = self.index.vectors @ ends
        means = np.array([projections[values == v].mean() for v in present])
        # value evidence: the value's own words against the two ends ("maxi" vs long / short)
        vecs = self._vectors(column, present)
        text = vecs @ (pole - counter)
        items = _z(means)
        level = items + _z(text)
        # orientation: values that name the asked end must lie above those naming the other
        words_of = [_stems(_value_words(v)) for v in present]
        pole_words, counter_words = _stems(op.pole), _stems(op.counter)
        a = [level[i] for i, w in enumerate(words_of) if w & pole_words]
        b = [level[i] for i, w in enumerate(words_of) if w & counter_words]
        if (a and b and np.mean(a) < np.mean(b)) or (a and not b and np.mean(a) < np.mean(level)) \
                or (b and not a and np.mean(b) > np.mean(level)):
            level, items = -level, -items
        # a value that names an end *is* that end ("maxi" is the longest length there is),
        # whatever the encoder makes of the word: it goes past every value naming neither
        at_pole = np.array([bool(w & pole_words) and not w & counter_words for w in words_of])
        at_counter = np.array([bool(w & counter_words) and not w & pole_words for w in words_of])
        # "sleeveless", "strapless", "heelless": none of the part at all, past the short end
        larger = {p for _, p in DIMENSION_COLUMNS.get(op.dimension, ())}
        if larger:
            absent = np.array([any(x.endswith("less") and len(x) > 5 for x in w) for w in words_of])
            if larger & set(op.pole):  # toward more: absence is the bottom
                at_counter |= absent
                at_pole &= ~absent
            elif larger & set(op.counter):  # toward less: absence is the top
                at_pole |= absent
                at_counter &= ~absent
        middle = ~(at_pole | at_counter)
        # a value naming neither end ("midi", "athleisure") or both ("smart casual") is placed by
        # its items alone: its words against the poles say little ("casual" in "smart casual")
        level[middle] = 2.0 * items[middle]
        if middle.any():
            top, bottom = level[middle].max(), level[middle].min()
            if at_pole.any():
                level[at_pole] = level[at_pole] - level[at_pole].min() + top + 1.0
            if at_counter.any():
                level[at_counter] = level[at_counter] - level[at_counter].max() + bottom - 1.0
            if larger and absent.any():  # and past the values that name that end
                if larger & set(op.pole):
                    level[absent] = level[absent] - level[absent].max() + level[~absent].min() - 1.0
                else:
                    level[absent] = level[absent] - level[absent].min() + level[~absent].max() + 1.0
        level = _past_the_end(op, level, items, words_of, at_pole, at_counter, middle)
        attribute = self.index.schema.attribute(column)
        column_words_ = [_stems(_value_words(v.lower())) for v in (attribute.values if attribute else present)]
        level = _occasion_levels(op, level, words_of, at_pole, at_counter, column_words_)
        by_value = dict(zip(present, level))
        out = np.array([by_value.get(v, np.nan) for v in values], dtype=np.float64)
        return out

    def _vectors(self, column: str, present: list[str]) -> np.ndarray:
        with self._lock:
            known, vecs = self._value_vectors.get(column, ([], np.zeros((0, self.index.dim), np.float32)))
        missing = [v for v in present if v not in set(known)]
        if missing:
            new = self.embed_words([v.replace("_", " ").replace("-", " ") for v in missing])
            known, vecs = known + missing, np.vstack([vecs, new]) if len(vecs) else new
            with self._lock:
                self._value_vectors[column] = (known, vecs)
        pos = {v: i for i, v in enumerate(known)}
        return vecs[[pos[v] for v in present]]


# Nouns of garment parts: a column named for one is about that part, not the whole item.
_PART_NOUNS = frozenset({"sleeve", "sleeves", "heel", "heels", "neck", "neckline", "collar", "waist",
                         "leg", "legs", "hem", "strap", "straps", "sole", "toe", "cuff"})


# English occasion words that lie on one side of a lexicon dimension without naming it: a
# "party" is on the formal side, "gym" and "travel" on the casual side, "ethnic" on the
# traditional side. Keyed by the lexicon's canonical pole word; no catalog's values.
OCCASION_WORDS: dict[str, frozenset[str]] = {
    "formal": frozenset("business office work workwear evening party cocktail wedding ceremony ceremonial gala "
                        "dinner black-tie tie".split()),
    "casual": frozenset("sport sports sporty athletic athleisure gym active activewear training running travel "
                        "beach lounge loungewear home leisure weekend outdoor outdoors street streetwear".split()),
    "classic": frozenset("ethnic ethnicwear heritage vintage retro festive handloom folk".split()),
    "modern": frozenset("street streetwear urban futuristic".split()),
}


# Poles whose occasion words lie at or beyond the pole's own word: "sports", "gym", "travel" are
# as casual as "casual" or more so, never more formal than it.
NEVER_PAST_THEIR_POLE = frozenset({"casual"})


def _stem(word: str) -> str:
    """'sports' / 'sporty' -> 'sport', 'flats' -> 'flat', 'dresses' / 'dressy' -> 'dress': a
    value word and a comparative's pole word match on it."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 4 and w.endswith("y"):
        w = w[:-1]
    return w


def _stems(words: Sequence[str]) -> set[str]:
    return {w.lower() for w in words} | {_stem(w) for w in words}


def _occasion_words(pole: Sequence[str]) -> set[str]:
    return {_stem(w) for p in pole for w in OCCASION_WORDS.get(p, ())} | {
        w for p in pole for w in OCCASION_WORDS.get(p, ())}


def _past_the_end(op: Comparative, level: np.ndarray, items: np.ndarray, words_of: list[set[str]],
                  at_pole: np.ndarray, at_counter: np.ndarray, middle: np.ndarray) -> np.ndarray:
    """A value on one side by its occasion words alone ("athleisure" on the casual side) that
    the catalog's items place further than the value naming that end ("casual") goes past
    that end, in the items' order: a name makes a value an end, not the furthest value."""
    out = level.copy()
    pole_ext, counter_ext = _occasion_words(op.pole), _occasion_words(op.counter)
    for end, ext, other, sign in ((at_pole, pole_ext, counter_ext, 1.0), (at_counter, counter_ext, pole_ext, -1.0)):
        if not end.any() or not ext:
            continue
        reach = float(items[end].mean())
        edge = float(level[end].max() if sign > 0 else level[end].min())
        for i in np.flatnonzero(middle):
            if words_of[i] & ext and not words_of[i] & other and sign * (items[i] - reach) > 0:
                out[i] = edge + sign * (1.0 + abs(float(items[i]) - reach))
    return out


def _occasion_levels(op: Comparative, level: np.ndarray, words_of: list[set[str]], at_pole: np.ndarray,
                     at_counter: np.ndarray, column_values: list[set[str]]) -> np.ndarray:
    """A mixed occasion column (Casual / Formal / Sports / Ethnic / Party ...) read on one
    dimension. When some of the column's values say nothing of it, values are placed by the side their words
    are on (`OCCASION_WORDS`): those on the other side level with the value naming that end
    ("sports" is as casual as "casual", so "more formal" does not step there), a value on both
    sides ("smart casual") in between, the value naming the asked end at the top, and values
    on neither side, or only associated with the asked end ("party" for "more formal"), off
    the axis. With no value on the other side (an open word, "sportier"; or "more
    traditional"), the axis has two levels: the values on the asked side above all others."""
    pole_ext = _occasion_words(op.pole)
    counter_ext = _occasion_words(op.counter)
    if not pole_ext and not counter_ext and op.counter:
        return level  # a lexicon dimension with no occasion words: as before
    # a value on the casual side by its occasion words alone ("sports", "athleisure") is at least
    # as casual as "casual" itself, whatever its items' texts say ("dri-fit training tee"): away
    # from "casual" it goes no further than "casual", toward it it is not short of it
    for end, at_end, ext, other, toward in ((op.counter, at_counter, counter_ext, pole_ext | _stems(op.pole), -1.0),
                                            (op.pole, at_pole, pole_ext, counter_ext | _stems(op.counter), 1.0)):
        if set(end) & NEVER_PAST_THEIR_POLE and at_end.any():
            by_words = np.array([bool(w & ext) and not w & other for w in words_of], dtype=bool) & ~at_end
            edge = float(level[at_end].min() if toward > 0 else level[at_end].max())
            level = np.where(by_words, (np.maximum if toward > 0 else np.minimum)(level, edge), level)
    pole_ext_only = np.array([bool(w & pole_ext) and not w & counter_ext for w in words_of], dtype=bool)
    pole_ext_only &= ~at_pole & ~at_counter
    counter_side = at_counter | (np.array([bool(w & counter_ext) and not w & pole_ext for w in words_of],
                                          dtype=bool) & ~at_pole)
    both = np.array([bool(w & (pole_ext | _stems(op.pole))) and bool(w & (counter_ext | _stems(op.counter)))
                     for w in words_of], dtype=bool) & ~at_pole & ~counter_side
    off = ~(at_pole | pole_ext_only | counter_side | both)
    on_dimension = _stems(op.pole) | _stems(op.counter) | pole_ext | counter_ext
    if not off.any() and all(w & on_dimension for w in column_values):
        return level  # a scale of this dimension (casual ... business ... formal), every value on it
    if not counter_side.any():
        if not (at_pole | pole_ext_only).any():
            return level
        return np.where(at_pole | pole_ext_only, 1.0, np.where(both, 0.5, 0.0))
    # a step "ahead" names the asked end or lies between the ends: a value only associated
    # with the asked end ("party" for "more formal") is not a step of this scale; with no value
    # naming the asked end (t-shirts: casual and sports), only a value between the ends is
    out = level.astype(np.float64).copy()
    bottom = float(out[counter_side].min())
    out[counter_side] = bottom
    out[both] = np.maximum(out[both], bottom + 1e-3)
    out[off | pole_ext_only] = np.nan
    return out


def _value_words(value: str) -> list[str]:
    return [w for w in value.replace("_", " ").replace("-", " ").split() if w]


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > _EPS else np.zeros_like(x)


def op_key(op: Op) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in op.__dict__.items()))


# ---------------------------------------------------------------------- the step
#
# A step touches its kind's rows only through per-kind arrays computed once (`kinds.py`): the
# levels and rank quantiles of each axis, integer codes of the columns, so that what qualifies
# is a few vector comparisons. The style score, which needs the vectors, is computed for at most
# `EXACT_LIMIT` rows: all of the qualifying ones when there are no more, else those in the
# k-means lists of the kind nearest to the current item (as it is and with the asked directions
# removed), widened when too few qualify there.

def quantiles(levels: np.ndarray, dense: bool = False) -> np.ndarray:
    """Rank quantile (0..1) of each finite level among the given levels, ties averaged; with
    `dense`, the rank of its distinct value among the distinct values (a column's named
    levels: from "long" sleeves, "three-quarter" is a third of the way to "sleeveless",
    however many items each level has)."""
    out = np.full(len(levels), np.nan)
    ok = np.flatnonzero(np.isfinite(levels))
    if len(ok) == 0:
        return out
    values = levels[ok]
    if dense:
        uniq, inverse = np.unique(values, return_inverse=True)
        out[ok] = inverse / max(len(uniq) - 1, 1)
        return out
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(ok))
    ranks[order] = np.arange(len(ok))
    # average ranks of ties
    uniq, inverse = np.unique(values, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    ranks = (sums / counts)[inverse]
    out[ok] = ranks / max(len(ok) - 1, 1)
    return out


class _Kind:
    """One step's view of its kind: the rows, which are unseen, and cached per-kind arrays."""

    def __init__(self, index: ItemIndex, category: str | None, seen: set[int]) -> None:
        self.index = index
        self.kind = category or None
        self.st = structures(index)
        self.rows = self.st.rows(self.kind)
        self.alive = np.ones(len(self.rows), dtype=bool)
        if seen:
            seen_rows = np.fromiter(seen, dtype=np.int64, count=len(seen))
            pos = np.minimum(np.searchsorted(self.rows, seen_rows), max(len(self.rows) - 1, 0))
            if len(self.rows):
                self.alive[pos[self.rows[pos] == seen_rows]] = False

    def position(self, row: int) -> int | None:
        pos = int(np.searchsorted(self.rows, row))
        return pos if pos < len(self.rows) and self.rows[pos] == row else None

    def view(self, axis: Axis) -> AxisView:
        return self.st.axis_view(axis, self.kind, axis.source.startswith("column:"), quantiles)

    def satisfying(self, filters: Sequence[Op], mask: np.ndarray) -> np.ndarray:
        """`mask` narrowed to the rows inside every filter (texts read only where all else holds)."""
        mask = mask.copy()
        texts: list[RequireText] = []
        for op in filters:
            if isinstance(op, RequireText):
                texts.append(op)
            elif isinstance(op, (Require, Exclude)):
                values = self.index.column(op.column)
                if values.dtype != object:  # not a categorical column: as the values compare
                    mask &= _satisfies(self.index, op, self.rows)
                    continue
                codes, vocabulary = self.st.column_codes(op.column)
                wanted = [vocabulary[v.lower()] for v in op.values if v.lower() in vocabulary]
                local = self.st.local(op.column, self.kind)
                inside = _among(local, wanted)
                if isinstance(op, Require):
                    mask &= inside
                else:
                    mask &= ~inside
                    if "" in vocabulary:
                        mask &= local != vocabulary[""]
            elif isinstance(op, Range):
                values = self.st.local(op.column, self.kind)
                if values.dtype == np.int32:  # a categorical column: compare as the old values did
                    mask &= _satisfies(self.index, op, self.rows)
                    continue
                ok = np.isfinite(values)
                if op.low is not None:
                    ok &= values >= op.low
                if op.high is not None:
                    ok &= values <= op.high
                mask &= ok
        for op in texts:
            at = np.flatnonzero(mask)
            mask[at] = _satisfies(self.index, op, self.rows[at])
        return mask

    def floors_hold(self, floors: Sequence[Floor], floor_axes: Sequence[Axis], mask: np.ndarray) -> np.ndarray:
        for fl, ax in zip(floors, floor_axes):
            view = self.view(ax)
            mask = mask & view.finite & (view.levels >= fl.floor)
        return mask

    def candidates(self, mask: np.ndarray, current: int, directions: Sequence[np.ndarray | None],
                   far: bool = False) -> np.ndarray:
        """Positions of the rows to score among `mask`: all of them up to `EXACT_LIMIT`, else
        those in the lists nearest the current item (farthest, with `far`), widened while
        fewer than `MIN_POOL` qualify there."""
        n = int(np.count_nonzero(mask))
        if n <= EXACT_LIMIT:
            return np.flatnonzero(mask)
        anchor = self.index.vectors[current].astype(np.float64)
        queries = [anchor]
        residual = anchor.copy()
        for d in directions:
            if d is not None:
                d = d.astype(np.float64)
                residual = residual - (residual @ d) * d
        if any(d is not None for d in directions):
            queries.append(residual / (np.linalg.norm(residual) + _EPS))
        q = -np.array(queries[:1]) if far else np.array(queries)
        lists = self.st.kind_lists(self.kind)
        want = PROBE_ROWS
        while True:
            near = lists.near(q, want)
            pos = near[mask[near]]
            if len(pos) >= min(MIN_POOL, n) or want >= len(self.rows):
                return pos
            want *= 4


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
    """The next item for one turn (see the module docstring). `axes[i]` is the axis of
    `ops[i]` when it is a comparative (None otherwise); `floor_axes[j]` that of
    `state.floors[j]`. `more`: also up to that many next answers of the same step, in the order
    successive steps would give them, each answer seen (`TurnResult.following`; none when the
    step had to relax earlier critiques)."""
    kind = _Kind(index, category, state.seen_rows)
    current = state.current_row
    n_unseen = int(np.count_nonzero(kind.alive))

    comparatives, cap_of, filters_now, kept_filters = _turn_parts(state, ops, axes)
    floors_in, floor_axes_in = list(state.floors), list(floor_axes)
    if any(isinstance(op, Different) for op in ops):
        return _different(kind, current, [f for f in kept_filters if isinstance(f, Range)] + filters_now,
                          hold_columns, n_unseen)

    # levels and the graded targets of the comparatives asked now
    before: list[float] = []
    targets: list[tuple[np.ndarray, float, float, Axis]] = []  # (quantiles of the kind, q0, target, axis)
    ahead = kind.alive.copy()
    preferred = np.ones(len(kind.rows), dtype=bool)
    for op, ax in comparatives:
        view = kind.view(ax)
        lv, finite, qu = view.levels, view.finite, view.quantiles
        l0 = float(ax.levels[current])
        if not np.isfinite(l0):  # the current item has no value on this axis: start from the bottom
            # (a column's lowest level is no step from an item off its scale: "more formal"
            # from a party shirt is not a casual one)
            below = 0.0 if ax.source.startswith("column:") and index.items[current].category == category else 1.0
            l0 = view.low - below if np.isfinite(view.low) else 0.0
            q0 = 0.0
        else:
            at = kind.position(current)
            q0 = float(qu[at]) if at is not None else np.nan
            if not np.isfinite(q0):
                q0 = float(np.mean(lv[finite] < l0)) if np.isfinite(view.low) else 0.0
        before.append(l0)
        ahead &= finite & (lv > l0 + 1e-12)
        if ax.guard is not None and np.isfinite(g0 := float(ax.guard.levels[current])):
            guarded = kind.view(ax.guard)  # "brighter" never goes darker
            ahead &= guarded.finite & (guarded.levels >= g0 - 1e-9)
        if not ax.discrete:
            preferred &= finite & (lv > l0 + TEXT_MIN_GAIN * ax.spread)
        fraction = _fraction(getattr(op, "intensity", 1.0))
        target = q0 + fraction * (1.0 - q0)
        low, high = _band(getattr(op, "intensity", 1.0))
        cap = cap_of.get(id(op))
        if cap is not None and cap > l0:
            # a reversal after a long walk is the next level back, not the walk undone at once:
            # aim just past the current level, within the item the reversed walk's last step left
            # (or, with nothing there, the least further)
            within = kind.alive & finite & (lv > l0 + 1e-12) & (lv <= cap + 1e-12)
            if not ax.discrete:
                within &= lv > l0 + TEXT_MIN_GAIN * ax.spread
            preferred &= within if within.any() else finite & (lv <= np.nanmin(np.where(ahead & finite, lv, np.inf)))
            targets.append((qu, q0, q0, ax))
            more = 0  # what is preferred depends on which rows are left: one answer at a time
            continue
        preferred &= ~(qu > q0 + high * (1.0 - q0) + 1e-9) & ~(qu < q0 + low * (1.0 - q0) - 1e-9)
        if ax.source.startswith(("numeric:", "swatch:")):
            # a measured axis: the band holds in value too ("a plain step covers at most half")
            extreme = view.high
            preferred &= ~(lv > l0 + high * (extreme - l0) + 1e-12) & ~(lv < l0 + low * (extreme - l0) - 1e-12)
        targets.append((qu, q0, target, ax))

    def pick(floors: Sequence[Floor], floor_axes_: Sequence[Axis], filters: Sequence[Op]) -> np.ndarray:
        return kind.floors_hold(floors, floor_axes_, kind.satisfying(list(filters) + filters_now, ahead))

    relaxed = False
    keep = pick(state.floors, floor_axes, kept_filters)
    if not keep.any() and (state.floors or kept_filters):
        keep = pick([], [], [])
        relaxed = bool(keep.any())
    directions = [ax.direction for _, ax in comparatives]
    if not keep.any():
        reason = ("nothing further along in this style" if comparatives
                  else "nothing like this has that")
        # the closest items at the level reached, keeping the earlier wishes where any can be kept
        wished = kind.floors_hold(floors_in, floor_axes_in, kind.satisfying(kept_filters, kind.alive))
        alternatives = _alternatives(kind, wished if wished.any() else kind.alive, current, comparatives,
                                     filters_now, hold_columns)
        return TurnResult(None, True, reason, tuple((b, b) for b in before), alternatives, False,
                          tuple(ax.source for _, ax in comparatives), n_unseen)

    def ranked(mask: np.ndarray, n: int) -> np.ndarray:
        """The best `n` rows of `mask`, best first (ties: the lower row first)."""
        pos = kind.candidates(mask, current, directions)
        candidates = kind.rows[pos]
        score = _style(index, candidates, current, directions, hold_columns, _colour_hold(comparatives))
        for qu, q0, target, ax in targets:
            span = max(1.0 - q0, 0.05)
            score -= LEVEL_PENALTY * np.abs(qu[pos] - target) / span
        if n == 1:
            return candidates[[int(np.argmax(score))]]
        return candidates[np.argsort(-score, kind="stable")[:n]]

    # the preferred rows first; with `more`, what the same step would answer next, each answer
    # seen (the rest of the preferred rows, then of the others): the web chat's alternatives
    first = keep & preferred if (keep & preferred).any() else keep
    answers = ranked(first, 1 + (0 if relaxed else more))
    if not relaxed and len(answers) < 1 + more and (keep & ~first).any():
        answers = np.concatenate([answers, ranked(keep & ~first, 1 + more - len(answers))])
    best = int(answers[0])
    after = tuple((b, float(ax.levels[best])) for b, (_, ax) in zip(before, comparatives))
    return TurnResult(best, False, "", after, (), relaxed, tuple(ax.source for _, ax in comparatives), n_unseen,
                      tuple(int(r) for r in answers[1:]))


def _turn_parts(state: TurnState, ops: Sequence[Op], axes: Sequence[Axis | None]) -> tuple[
        list[tuple[Op, Axis]], dict[int, float], list[Op], list[Op]]:
    """A turn's comparatives with their axes, reversal caps (by op id), filters asked now, and
    the earlier filters still in force."""
    comparatives = [(op, ax) for op, ax in zip(ops, axes) if ax is not None]
    cap_of = {id(ops[i]): c for i, c in state.caps.items() if i < len(ops)}
    filters_now = [op for op in ops if isinstance(op, (Require, RequireText, Range, Exclude))]
    replaced = {_filter_column(op) for op in filters_now}
    # a comparative on a column changes its value ("longer" after "in midi"), but stays inside a
    # bound on it ("cheaper" after "under 30" keeps the budget)
    moved = {ax.source.split(":", 1)[1] for _, ax in comparatives if ":" in ax.source}
    kept_filters = [f for f in state.filters if _filter_column(f) not in replaced
                    and not (isinstance(f, (Require, Exclude)) and f.column in moved)]
    return comparatives, cap_of, filters_now, kept_filters


def _filter_column(op: Op) -> str:
    if isinstance(op, (Require, Range, Exclude)):
        return op.column
    if isinstance(op, RequireText):
        return "text:" + " ".join(op.words)
    return ""


def _satisfies(index: ItemIndex, op: Op, rows: np.ndarray) -> np.ndarray:
    if isinstance(op, Require):
        values = index.column(op.column)[rows]
        return np.isin(values, [v.lower() for v in op.values])
    if isinstance(op, Exclude):
        values = index.column(op.column)[rows]
        return ~np.isin(values, [v.lower() for v in op.values]) & (values != "")
    if isinstance(op, Range):
        values = index.column(op.column)[rows]
        ok = np.isfinite(values)
        if op.low is not None:
            ok &= values >= op.low
        if op.high is not None:
            ok &= values <= op.high
        return ok
    if isinstance(op, RequireText):
        return np.array([op.holds(index.text(int(r))) for r in rows], dtype=bool)
    return np.ones(len(rows), dtype=bool)


def _among(codes: np.ndarray, wanted: Sequence[int]) -> np.ndarray:
    """`np.isin(codes, wanted)`: a comparison per wanted code when they are few (a turn asks
    one value or a handful; `isin` sorts or tables the codes, several times slower)."""
    if len(wanted) > 8:
        return np.isin(codes, wanted)
    inside = np.zeros(len(codes), dtype=bool)
    for w in wanted:
        inside |= codes == w
    return inside


def _holds(index: ItemIndex, op: Op, rows: np.ndarray) -> np.ndarray:
    """`_satisfies`, the same mask, computed on a categorical column's integer codes
    (`structures(index).column_codes`: int32 per row) instead of its strings: a value turn asks
    it of a whole kind or catalog. Other columns and ops as `_satisfies`."""
    if not isinstance(op, (Require, Exclude)) or index.column(op.column).dtype != object:
        return _satisfies(index, op, rows)
    codes, vocabulary = structures(index).column_codes(op.column)
    wanted = [vocabulary[v] for v in {v.lower() for v in op.values} if v in vocabulary]
    local = codes[rows]
    inside = _among(local, wanted)
    if isinstance(op, Require):
        return inside
    empty = vocabulary.get("")
    return ~inside if empty is None else ~inside & (local != empty)


def _colour_hold(comparatives: Sequence[tuple[Op, Axis]]) -> tuple[int, ...]:
    """The CIELAB components a turn leaves alone: all three unless a colour was asked; a*, b*
    (hue and chroma) when only lightness was ("darker" keeps a navy blue, not a black)."""
    sources = [ax.source for _, ax in comparatives if ax.source.startswith("swatch:")]
    if not sources:
        return (0, 1, 2)
    if all(src in ("swatch:L*", "swatch:-L*") for src in sources):
        return (1, 2)
    return ()


def _style(index: ItemIndex, rows: np.ndarray, current: int, directions: Sequence[np.ndarray | None],
           hold_columns: Sequence[str], colour_hold: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """How much each row looks like the current item apart from what was asked: cosine of the
    residuals once the asked directions are removed, plus shared categorical attributes, minus
    the colour difference (CIELAB, the components not asked about) where the catalog has
    swatches: the colour a shopper sees stays unless asked.

    The residual cosine is computed by formula from float32 inner products (the rows' vectors
    are read once): removing unit directions d1..dm in turn leaves v - sum c_i d_i with
    c_k = v.d_k - sum_{j<k} c_j d_j.d_k, whose inner product with the anchor's residual and
    whose norm follow from v.d_i, v.a', |v|^2 and the directions' Gram matrix."""
    st = structures(index)
    vecs = index.vectors[rows]
    anchor = index.vectors[current].astype(np.float64)
    ds = [d.astype(np.float64) for d in directions if d is not None]
    for d in ds:
        anchor = anchor - (anchor @ d) * d
    square = np.einsum("ij,ij->i", vecs, vecs).astype(np.float64)
    if ds:
        basis = np.array(ds)  # (m, dim)
        dots = (vecs @ np.vstack([anchor, basis]).T.astype(np.float32)).astype(np.float64)
        along, on = dots[:, 0], dots[:, 1:]
        gram = basis @ basis.T
        c = np.empty_like(on)
        for k in range(len(ds)):
            c[:, k] = on[:, k] - c[:, :k] @ gram[:k, k]
        inner = along - c @ (basis @ anchor)
        square = square - 2.0 * np.einsum("ij,ij->i", c, on) + np.einsum("ij,jk,ik->i", c, gram, c)
    else:
        inner = (vecs @ anchor.astype(np.float32)).astype(np.float64)
    norms = np.sqrt(np.maximum(square, 0.0))
    score = inner / ((norms + _EPS) * (np.linalg.norm(anchor) + _EPS))
    for c_name in hold_columns:
        values = index.column(c_name)
        mine = values[current]
        if isinstance(mine, str) and mine:
            codes, _ = st.column_codes(c_name)
            score = score + HOLD_BONUS * (codes[rows] == codes[current])
    words = _name_tokens(index)
    if words is not None:
        indptr, tokens = words
        mine_tokens = tokens[indptr[current]:indptr[current + 1]]
        if len(mine_tokens):
            # the name says what no column does ("high-top", "pencil"): the share of such words in
            # common (the columns' own value words are left to the columns)
            starts, ends = indptr[rows], indptr[rows + 1]
            lengths = ends - starts
            segment = np.repeat(np.arange(len(rows)), lengths)
            at = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
            common = np.bincount(segment, weights=np.isin(tokens[at], mine_tokens), minlength=len(rows))
            share = common / (len(mine_tokens) + lengths - common)
            score = score + NAME_HOLD * share
    lab = index.swatch_lab()
    if lab is not None and colour_hold and np.isfinite(lab[current]).all():
        held = list(colour_hold)
        delta = np.linalg.norm(lab[rows][:, held] - lab[current][held], axis=1)
        score = score - COLOUR_HOLD * np.nan_to_num(delta, nan=50.0) / 100.0
    return score


def most_like(index: ItemIndex, rows: np.ndarray, current: int, hold_columns: Sequence[str],
              colour_hold: tuple[int, ...] = (0, 1, 2), n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The `n` rows of `rows` (a kind's, or a subset of one kind, ascending) most like the
    current item (`_style`, no direction removed), best first, with their scores: every row
    scored up to `EXACT_LIMIT`, else those in the kind's lists nearest the item."""
    if len(rows) > EXACT_LIMIT:
        category = index.items[int(rows[0])].category or None
        kind = _Kind(index, category, set())
        mask = np.zeros(len(kind.rows), dtype=bool)
        pos = np.searchsorted(kind.rows, rows)
        if np.array_equal(kind.rows[np.minimum(pos, len(kind.rows) - 1)], rows):
            mask[pos] = True
            rows = kind.rows[kind.candidates(mask, current, [])]
    score = _style(index, rows, current, [], hold_columns, colour_hold)
    order = np.argsort(-score, kind="stable")[:n]
    return rows[order], score[order]


def kind_neighbours(index: ItemIndex, row: int, k: int, category: str | None) -> np.ndarray:
    """The `k` rows of the kind most like `row` (it may be among them): the kind's own rows (its
    nearest lists, for a big kind), not a filter over the whole index."""
    if category:
        return structures(index).nearest(index.vectors[row], k, category)
    _, found = index.search(index.vectors[row], k)
    return found[0][found[0] >= 0]


def _name_words(index: ItemIndex) -> list[frozenset[str]] | None:
    """Each row's name as a set of lower-case words (hyphens split), less the words of any
    attribute column's values, or None without a name column."""
    column = index.schema.name_column
    if not column:
        return None
    valued = {w for c in index.schema.attributes for v in c.values for w in _value_words(v.lower())}
    per_value = [frozenset(_value_words(v)) - valued for v in index.values(column)]  # once per distinct name
    return [per_value[c] for c in index.codes(column).tolist()]


def _name_tokens(index: ItemIndex) -> tuple[np.ndarray, np.ndarray] | None:
    """`_name_words` as a token table: row i's word ids are tokens[indptr[i]:indptr[i + 1]]."""
    if not index.schema.name_column:
        return None

    def make() -> tuple[np.ndarray, np.ndarray]:
        words = _name_words(index) or []
        vocabulary: dict[str, int] = {}
        lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        tokens = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for w in words for t in w), dtype=np.int32,
                             count=int(lengths.sum()))
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return indptr, tokens

    return structures(index).extra(f"name-tokens:{index.schema.name_column}", make)


def _different(kind: _Kind, current: int, filters: Sequence[Op], hold_columns: Sequence[str],
               n_unseen: int) -> TurnResult:
    """"Something completely different": the unseen item of the kind least like the current one
    in text, attributes and colour, inside the filters kept (a budget)."""
    keep = kind.satisfying(filters, kind.alive)
    if not keep.any():
        return TurnResult(None, True, "nothing else like this is left", (), (), False, (), n_unseen)
    candidates = kind.rows[kind.candidates(keep, current, [], far=True)]
    score = _style(kind.index, candidates, current, [], hold_columns, (0, 1, 2))
    best = int(candidates[int(np.argmin(score))])
    return TurnResult(best, False, "", (), (), False, (), n_unseen)


def _alternatives(kind: _Kind, among: np.ndarray, current: int, comparatives: list,
                  filters_now: Sequence[Op], hold_columns: Sequence[str], n: int = 3) -> tuple[int, ...]:
    """At an end: the unseen items most like the current one that satisfy the filters asked now
    (`among`: a mask over the kind's rows)."""
    if not among.any():
        return ()
    keep = kind.satisfying(filters_now, among)
    mask = keep if keep.any() else among
    directions = [ax.direction for _, ax in comparatives]
    pos = kind.candidates(mask, current, directions)
    candidates = kind.rows[pos]
    score = _style(kind.index, candidates, current, directions, hold_columns, _colour_hold(comparatives))
    for _, ax in comparatives:  # at the level reached: as far along as the current item
        view = kind.view(ax)
        lv = view.levels[pos]
        l0 = ax.levels[current]
        if np.isfinite(l0):
            score = score - 0.5 * np.where(np.isfinite(lv), np.abs(lv - l0) / (view.std + _EPS), 10)
    order = np.argsort(-score, kind="stable")[:n]
    return tuple(int(candidates[i]) for i in order)
