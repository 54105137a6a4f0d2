"""Shopper critiques on the sample catalog's ground truth: every critique kind through the
chat's own path (`gradrec_core.critique.take_turn`: planner + `Engine.apply`), next to the
paper's walk, `Engine.refine` given only the planner's prompts (the same graded step, its axis
found from the prompts' words, as `gradrec walk` runs it) and the similarity baseline, all in
the same run.

    python benchmarks/critiques.py [--quick] [--index DIR]
    python benchmarks/critiques.py --catalog retail [--quick]   # after `make retail`

Kinds measured (targets from issue 7, verdicts in docs/RESULTS.md):
- comparatives: lightness, length, sleeve length, heel height, formality; 10-step walks of
  one utterance repeated ("darker" x 10): per-step consistency, kind kept, other attributes
  unchanged, false ends (the walk stopped while the catalog still held an unseen item of the
  kind further the asked way), walk length, and "a bit" / plain / "much" first steps;
- substitutions: colour family, material, pattern, sleeve length ("does it come in black?");
- structured: cheaper, more expensive, under X, between X and Y (the price column);
- open vocabulary: greener, redder, more muted, brighter, warmer, against CIELAB from the
  catalog's RGB;
- compound ("darker and cheaper", "shorter, in black") and questions ("what colours does it
  come in?", "how much is it?", "what is it made of?").
Ground truth is the catalog's columns, read from the items (never from the engine's axes).

`--catalog retail` runs the comparatives (walks and intensity) on the second catalog (`make
retail`: an occasion column, colour names only), with its ground truth (`RETAIL`): the occasion
scale Casual < Smart Casual < Formal, Sports for "sportier", and CIELAB of the colour names from
matplotlib's colour dictionaries, computed here (`name_lab_truth`), not by the engine's code.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_INDEX, REPO, Sample, Stopwatch, fmt, gt, progress, save, table  # noqa: E402

STEPS = 10
SEEDS = 50  # per task (a task is one attribute and one direction)
QUICK_SEEDS = 4
# (ground-truth column, utterance, +1 when the column should rise)
COMPARATIVES: tuple[tuple[str, str, int], ...] = (
    ("lightness", "darker", -1), ("lightness", "lighter", +1),
    ("length", "shorter", -1), ("length", "longer", +1),
    ("sleeve_length", "longer sleeves", +1), ("sleeve_length", "shorter sleeves", -1),
    ("heel_cm", "higher heels", +1), ("heel_cm", "lower heels", -1),
    ("formality", "more formal", +1), ("formality", "more casual", -1),
)
# the smallest difference that counts as "further" (L* under 2 is not a visible shade step)
DISTINGUISHABLE = {"lightness": 2.0}
OTHERS = ("hue_family", "material", "pattern", "fit", "length_name", "sleeve_name", "formality_name")
ASKED_OTHER = {"length": "length_name", "sleeve_length": "sleeve_name", "formality": "formality_name"}
TEXT_ONLY = "critique engine, text only (swatch column hidden)"
REFINE = "refine (the planner's prompts only)"
METHODS = ("critique engine (this change)", TEXT_ONLY, REFINE, "paper", "similarity baseline")
# the text-only engine differs from the full one only where a colour is asked: measured there
COLOUR_ATTRIBUTES = {"lightness"}


# ----------------------------------------------------------------------------- colour truth

def lab(item: Any) -> np.ndarray | None:
    """CIELAB (D65) of the item's catalog RGB."""
    try:
        rgb = np.array([float(item.metadata[c]) for c in ("color_r", "color_g", "color_b")]) / 255.0
    except (KeyError, TypeError, ValueError):
        return None
    return _rgb_to_lab(rgb)


def _rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 -> CIELAB (D65)."""
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


# word -> (what the ground truth measures, a function of L*a*b*)
OPEN_VOCABULARY: dict[str, tuple[str, Callable[[np.ndarray], float]]] = {
    "greener": ("-a* (green-red axis)", lambda v: -v[1]),
    "redder": ("a*", lambda v: v[1]),
    "more muted": ("-chroma C*", lambda v: -float(np.hypot(v[1], v[2]))),
    "brighter": ("L*", lambda v: v[0]),
    "warmer": ("a* + b* (toward orange)", lambda v: v[1] + v[2]),
}


# ----------------------------------------------------------------------------- ground truths

@dataclass(frozen=True)
class Truth:
    """A catalog's ground truth for the comparatives: the walks asked, the value of an item on
    each measured attribute (`value(item, attribute)`, None when it has none), the other
    attributes whose keeping is counted, the attribute not counted as kept when one is asked,
    the smallest change that counts as further, and the attributes a swatch-hidden engine is
    measured on."""

    name: str
    index: Path
    comparatives: tuple[tuple[str, str, int], ...]
    value: Callable[[Any, str], Any]
    others: tuple[str, ...]
    asked_other: dict[str, tuple[str, ...]]
    distinguishable: dict[str, float] = field(default_factory=dict)
    colour_attributes: frozenset[str] = frozenset()
    full: bool = False  # the sample's single-turn tasks too (substitutions, prices, questions ...)
    # a step onto an item with no level on the asked attribute counts as a wrong step (an
    # off-scale occasion); False: the step is not counted (the sample: it left the kind)
    no_level_is_wrong: bool = False


SAMPLE = Truth("sample", DEFAULT_INDEX, COMPARATIVES, gt, OTHERS,
               {a: (c,) for a, c in ASKED_OTHER.items()} | {"lightness": ("hue_family",)},
               DISTINGUISHABLE, frozenset(COLOUR_ATTRIBUTES), full=True)

# The retail catalog (`make retail`): an occasion column `usage` (Casual, Smart Casual, Formal,
# Sports, Ethnic, Party, Travel) and colour names in `baseColour`. Formality is the scale the
# issue names, Casual < Smart Casual < Formal; Sports, Ethnic, Party and Travel are off it (no
# level: a step that lands on one is not a step along it, see `_moves`). "Sportier" is Sports
# against every other occasion.
RETAIL_FORMALITY = {"casual": 0.0, "smart casual": 1.0, "formal": 2.0}
RETAIL_CSV = REPO / "data" / "catalog" / "retail" / "items.csv"


def name_lab_truth(name: str) -> np.ndarray | None:
    """Ground truth for a colour name, independent of the engine's grounding
    (`gradrec_core.colour`): the CSS4/X11 colour of the whole name (spaces dropped), else the
    XKCD survey's, else the same for its words from the last (the head noun: "Coffee Brown" ->
    brown, "Grey Melange" -> grey); no blending, no modifiers. None when no word is held."""
    from matplotlib import colors as mcolors

    words = " ".join(str(name or "").lower().replace("-", " ").split()).split()
    for candidate in [" ".join(words)] + words[::-1]:
        for key in (candidate.replace(" ", ""), candidate.replace(" ", "").replace("grey", "gray"),
                    f"xkcd:{candidate}", f"xkcd:{candidate.replace('gray', 'grey')}"):
            hx = mcolors.CSS4_COLORS.get(key) or mcolors.XKCD_COLORS.get(key)
            if hx:
                return _rgb_to_lab(np.array(mcolors.to_rgb(hx)))
    return None


class RetailTruth:
    """`Truth.value` for the retail catalog, read from the catalog CSV by item id."""

    def __init__(self, path: Path = RETAIL_CSV) -> None:
        if not path.is_file():
            raise SystemExit(f"{path}: no retail catalog; run `make retail` first")
        with path.open(newline="") as f:
            self.rows = {r["id"]: r for r in csv.DictReader(f)}
        self.labs = {v: name_lab_truth(v) for v in {r["baseColour"] for r in self.rows.values()}}

    def __call__(self, item: Any, attribute: str) -> Any:
        if attribute == "kind":
            return item.category
        row = self.rows.get(item.id)
        if row is None:
            return None
        if attribute == "formality":
            return RETAIL_FORMALITY.get(row["usage"].strip().lower())
        if attribute == "sport":
            return float(row["usage"].strip().lower() == "sports") if row["usage"].strip() else None
        if attribute in ("lightness", "chroma"):
            v = self.labs.get(row["baseColour"])
            if v is None:
                return None
            return float(v[0]) if attribute == "lightness" else float(np.hypot(v[1], v[2]))
        return row.get(attribute) or None


RETAIL_COMPARATIVES: tuple[tuple[str, str, int], ...] = (
    ("formality", "more formal", +1), ("formality", "much more formal", +1), ("formality", "dressier", +1),
    ("formality", "more casual", -1), ("sport", "sportier", +1),
    ("lightness", "darker", -1), ("lightness", "lighter", +1),
    ("chroma", "more muted", -1), ("lightness", "brighter", +1),
)


def retail_truth() -> Truth:
    return Truth("retail", REPO / "var" / "index" / "retail", RETAIL_COMPARATIVES, RetailTruth(),
                 ("usage", "baseColour", "gender", "season"),
                 {"formality": ("usage",), "sport": ("usage",), "lightness": ("baseColour",),
                  "chroma": ("baseColour",)},
                 {"lightness": 2.0, "chroma": 2.0}, frozenset({"lightness", "chroma"}), no_level_is_wrong=True)


# ----------------------------------------------------------------------------- runners

class Runner:
    """One method: start a session at a seed, answer an utterance with the next item (None at
    an end). Every method gets the same prompts: the planner's, from the seed's first turn."""

    def __init__(self, name: str, sample: Sample) -> None:
        from gradrec_core import WalkConfig

        self.name = name
        config = WalkConfig().paper() if name == "paper" else WalkConfig()
        self.engine = sample.engine(config)
        if name == TEXT_ONLY:  # the same engine on the same index, the swatch column hidden
            from dataclasses import replace

            from gradrec_core import Engine, SessionStore

            index = sample.index.with_schema(replace(sample.index.schema, swatch_column=None, colour_column=None,
                                                     colour_lab={}))
            self.engine = Engine(index, SessionStore("sqlite:///:memory:"), config, sample.encoder)
        self.schema = self.engine.index.schema
        self._n = 0
        self.sid = ""
        self.seen: set[str] = set()
        self.prompts: tuple[str, str, str] | None = None

    def start(self, seed: str) -> None:
        self._n += 1
        self.sid = f"{self.name}-{self._n}"
        self.engine.start(self.sid, seed)
        self.seen = {seed}
        self.prompts = None

    def turn(self, text: str) -> tuple[Any | None, bool]:
        """(next item or None, end reached)"""
        from gradrec_core.critique import plan_turn, take_turn

        engine = self.engine
        current = engine.state(self.sid).current  # type: ignore[union-attr]
        if self.name in ("critique engine (this change)", TEXT_ONLY):
            step = take_turn(engine, self.sid, text).step
            item = step.item if step else None
            return item, bool(step and step.end_reached)
        if self.name == "similarity baseline":
            for hit in engine.similar(current.id, k=200):
                if hit.item.id not in self.seen and hit.item.category == current.category:
                    self.seen.add(hit.item.id)
                    engine.start(self.sid, hit.item.id)
                    return hit.item, False
            return None, True
        if self.prompts is None:
            plan = plan_turn(current, text, {}, self.schema)
            if not plan.ops:  # the planner found nothing to do: no prompts to walk with either
                return None, True
            self.prompts = baseline_prompts(plan, current, self.schema)
        neutral, exemplar, opposite = self.prompts
        step = engine.refine(self.sid, neutral, exemplar, 1.0, opposite=opposite if self.name != "paper" else "")
        return step.item, step.end_reached


def baseline_prompts(plan: Any, item: Any, schema: Any) -> tuple[str, str, str]:
    """The text prompts a walk-only method gets for a plan: a comparative's own prompts; for a
    substitution or a price critique, the paper's recipe (the value put before the item's phrase)."""
    from gradrec_core.critique.planner import item_phrase
    from gradrec_core.ops import ChangeKind, Comparative, NumericComparative, Range, Require, RequireText

    # a kind the comparative names ("more formal" casual shoes: formal shoes) is the engine's plan;
    # the walk gets the comparative's prompts
    op = next((o for o in plan.ops if not isinstance(o, ChangeKind)), plan.ops[0])
    phrase = item_phrase(item, schema)
    if isinstance(op, Comparative):
        return op.neutral, op.exemplar, op.opposite
    if isinstance(op, RequireText):
        return op.neutral, op.exemplar, ""
    if isinstance(op, Require):
        return phrase, f"{op.values[0]} {phrase}", ""
    if isinstance(op, NumericComparative):
        word, other = ("expensive", "cheap") if op.sign > 0 else ("cheap", "expensive")
        return phrase, f"{word} {phrase}", f"{other} {phrase}"
    if isinstance(op, Range):
        return phrase, f"cheap {phrase}", f"expensive {phrase}"
    raise ValueError(f"no prompts for {op}")


# ----------------------------------------------------------------------------- measuring

def _further(items: list[Any], current: Any, attribute: str, sign: int, seen: set[str],
             truth: Truth = SAMPLE) -> bool:
    """Ground truth: does the catalog hold an unseen item of the kind further the asked way?"""
    gt = truth.value
    here = gt(current, attribute)
    if here is None:
        return False
    eps = truth.distinguishable.get(attribute, 1e-9)
    return any(it.id not in seen and it.category == current.category and gt(it, attribute) is not None
               and sign * (gt(it, attribute) - here) >= eps for it in items)


def _with_somewhere_to_go(items: list[Any], attribute: str, sign: int, truth: Truth) -> list[str]:
    """Ids of the items for which `_further` holds with nothing seen but the item (the kind's
    furthest value lies at least a distinguishable step further), in catalog order."""
    value = truth.value
    eps = truth.distinguishable.get(attribute, 1e-9)
    furthest: dict[str, float] = {}
    for it in items:
        v = value(it, attribute)
        if v is not None:
            furthest[it.category] = max(furthest.get(it.category, -np.inf), sign * v)
    return [it.id for it in items if value(it, attribute) is not None
            and furthest[it.category] - sign * value(it, attribute) >= eps]


def _possible(items: list[Any], seed: Any, attribute: str, sign: int, truth: Truth = SAMPLE) -> int:
    """Ground truth: the longest walk the catalog allows from the seed, one distinguishable
    level at a time (distinct values of the kind further the asked way), capped at STEPS."""
    gt = truth.value
    eps = truth.distinguishable.get(attribute, 1e-9)
    here = gt(seed, attribute)
    values = sorted({sign * gt(it, attribute) for it in items if it.category == seed.category
                     and gt(it, attribute) is not None and sign * (gt(it, attribute) - here) >= eps})
    n, last = 0, sign * here
    for v in values:
        if v - last >= eps:
            n, last = n + 1, v
    return min(n, STEPS)


def _kept(a: Any, b: Any, skip: set[str], truth: Truth = SAMPLE) -> dict[str, bool]:
    """Per other attribute (both values known): unchanged from a to b."""
    gt = truth.value
    out = {}
    for col in truth.others:
        if col in skip:
            continue
        va, vb = gt(a, col), gt(b, col)
        if va is not None and vb is not None:
            out[col] = va == vb
    return out


def _kept_where_possible(items: list[Any], before: Any, after: Any, skip: set[str], seen: set[str],
                         ok: Callable[[Any], bool], truth: Truth = SAMPLE) -> dict[str, bool]:
    """Like `_kept`, counting a changed attribute only when the catalog held an unseen item of
    the kind that satisfied the critique (`ok`) and kept that attribute."""
    gt = truth.value
    out = {}
    for col, same in _kept(before, after, skip, truth).items():
        if same:
            out[col] = True
            continue
        value = gt(before, col)
        if any(it.id not in seen and it.category == before.category and gt(it, col) == value and ok(it)
               for it in items):
            out[col] = False
    return out


def _rate(flags: list[bool]) -> float | None:
    return float(np.mean(flags)) if flags else None


def _others_fields(kept: dict[str, list[bool]], possible_kept: dict[str, list[bool]]) -> dict[str, Any]:
    """The "others kept" result fields: the mean over columns, the worst column, and the worst
    column counting only steps where the catalog allowed keeping it."""
    mean_kept, worst_kept, worst_col = _others_summary(kept)
    _, worst_possible, worst_possible_col = _others_summary(possible_kept)
    return {"others_kept": mean_kept, "worst_other": worst_kept, "worst_other_column": worst_col,
            "worst_other_possible": worst_possible, "worst_other_possible_column": worst_possible_col}


def _others_summary(kept: dict[str, list[bool]]) -> tuple[float | None, float | None, str]:
    rates = {c: _rate(v) for c, v in kept.items() if v}
    if not rates:
        return None, None, ""
    worst = min(rates, key=lambda c: rates[c])  # type: ignore[arg-type, return-value]
    return float(np.mean(list(rates.values()))), rates[worst], worst


def _moves(a: Any, b: Any, sign: int, truth: Truth) -> bool | None:
    """A step's consistency from ground-truth levels a -> b: None (not counted) when the step
    starts without a level, or ends without one unless the truth counts that as wrong."""
    if a is None or (b is None and not truth.no_level_is_wrong):
        return None
    return b is not None and sign * (b - a) > 0


def comparative_walks(runner: Runner, items: list[Any], seeds: list[str], attribute: str, text: str,
                      sign: int, bar: Any, truth: Truth = SAMPLE) -> dict[str, Any]:
    gt = truth.value
    by_id = {it.id: it for it in items}
    moves, kind_kept, lengths, false_ends, possible = [], [], [], [], []
    kept: dict[str, list[bool]] = {c: [] for c in truth.others}
    possible_kept: dict[str, list[bool]] = {c: [] for c in truth.others}
    skip = set(truth.asked_other.get(attribute, ()))
    for seed in seeds:
        runner.start(seed)
        current, seen, n = by_id[seed], {seed}, 0
        for _ in range(STEPS):
            item, end = runner.turn(text)
            if item is None:
                false_ends.append(_further(items, current, attribute, sign, seen, truth))
                break
            move = _moves(gt(current, attribute), gt(item, attribute), sign, truth)
            if move is not None:
                moves.append(move)
            kind_kept.append(item.category == by_id[seed].category)
            for col, ok in _kept(current, item, skip, truth).items():
                kept[col].append(ok)
            here = gt(current, attribute)
            further = (lambda it, here=here: gt(it, attribute) is not None and here is not None
                       and sign * (gt(it, attribute) - here) > 0)
            for col, ok in _kept_where_possible(items, current, item, skip, seen, further, truth).items():
                possible_kept[col].append(ok)
            seen.add(item.id)
            current, n = item, n + 1
        else:
            false_ends.append(False)
        lengths.append(n)
        possible.append(_possible(items, by_id[seed], attribute, sign, truth))
        bar.update(1)
    return {"consistency": _rate(moves), "kind_kept": _rate(kind_kept), **_others_fields(kept, possible_kept),
            "false_ends": _rate(false_ends),
            "walk_length": float(np.mean(lengths)) if lengths else None,
            "possible_length": float(np.mean(possible)) if possible else None,
            "reached": _rate([min(n / p, 1.0) for n, p in zip(lengths, possible) if p > 0]),  # type: ignore[misc]
            "walks": len(seeds)}


def first_steps(runner: Runner, items: list[Any], seeds: list[str], attribute: str, text: str,
                sign: int, truth: Truth = SAMPLE) -> dict[str, Any]:
    """Mean signed change of one step (+ is the asked way) and the share of the seed's
    remaining range (to the kind's extreme) it covered."""
    gt = truth.value
    by_id = {it.id: it for it in items}
    changes, shares, half_where_possible = [], [], []
    for seed in seeds:
        runner.start(seed)
        item, _ = runner.turn(text)
        if item is None:
            continue
        a, b = gt(by_id[seed], attribute), gt(item, attribute)
        if a is None or b is None:
            continue
        values = [gt(it, attribute) for it in items if it.category == by_id[seed].category]
        extreme = max(v for v in values if v is not None) if sign > 0 else min(v for v in values if v is not None)
        remaining = abs(extreme - a)
        changes.append(sign * (b - a))
        if remaining > 0:
            shares.append(sign * (b - a) / remaining)
            # did the catalog hold a distinguishable step within half of what is left?
            eps = truth.distinguishable.get(attribute, 1e-9)
            if any(v is not None and eps <= sign * (v - a) <= 0.5 * remaining for v in values):
                half_where_possible.append(sign * (b - a) / remaining <= 0.5)
    return {"change": float(np.mean(changes)) if changes else None,
            "share": float(np.mean(shares)) if shares else None,
            "at_most_half": _rate([s <= 0.5 for s in shares]),
            "at_most_half_where_possible": _rate(half_where_possible), "n": len(changes)}


def single_turns(runner: Runner, items: list[Any], cases: list[tuple[str, str, Callable[[Any, Any], bool]]],
                 skip: set[str], bar: Any, truth: Truth = SAMPLE) -> dict[str, Any]:
    """One turn per (seed, utterance, ground-truth check of (seed item, answer))."""
    by_id = {it.id: it for it in items}
    ok, kind_kept, answered = [], [], []
    kept: dict[str, list[bool]] = {c: [] for c in truth.others}
    possible_kept: dict[str, list[bool]] = {c: [] for c in truth.others}
    for seed, text, check in cases:
        runner.start(seed)
        item, _ = runner.turn(text)
        answered.append(item is not None)
        if item is not None:
            ok.append(check(by_id[seed], item))
            kind_kept.append(item.category == by_id[seed].category)
            for col, same in _kept(by_id[seed], item, skip, truth).items():
                kept[col].append(same)
            for col, same in _kept_where_possible(items, by_id[seed], item, skip, {seed},
                                                  lambda it, a=by_id[seed], c=check: c(a, it), truth).items():
                possible_kept[col].append(same)
        else:
            ok.append(False)
        bar.update(1)
    return {"satisfied": _rate(ok), "kind_kept": _rate(kind_kept), **_others_fields(kept, possible_kept),
            "answered": _rate(answered), "n": len(cases)}


# ----------------------------------------------------------------------------- tasks

def _values_in_kind(items: list[Any], column: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for it in items:
        v = gt(it, column)
        if v is not None:
            out.setdefault(it.category, {}).setdefault(v, 0)
            out[it.category][v] += 1
    return out


def substitution_cases(items: list[Any], rng: random.Random, n: int) -> dict[str, tuple[list[Any], set[str]]]:
    """Per substitution attribute: (seed, utterance, check) cases and the column asked."""
    templates = {
        "hue_family": ("colour family", lambda v: f"does it come in {v}?"),
        "material": ("material", lambda v: f"do you have it in {v}?"),
        "pattern": ("pattern", lambda v: f"a {v} one please"),
        "sleeve_name": ("sleeve length", lambda v: "a sleeveless one" if v == "sleeveless" else f"with {v} sleeves"),
    }
    out = {}
    for column, (label, say) in templates.items():
        in_kind = _values_in_kind(items, column)
        pool = [it for it in items if gt(it, column) is not None]
        rng.shuffle(pool)
        cases = []
        for it in pool:
            options = [v for v, c in in_kind.get(it.category, {}).items() if v != gt(it, column) and c >= 3
                       and (column != "material" or len(v.split()) <= 2)]
            if not options:
                continue
            value = rng.choice(sorted(options))
            cases.append((it.id, say(value), lambda a, b, col=column, v=value: gt(b, col) == v))
            if len(cases) >= n:
                break
        out[label] = (cases, {column})
    return out


def structured_cases(items: list[Any], rng: random.Random, n: int) -> dict[str, list[Any]]:
    prices = {}
    for it in items:
        p = gt(it, "price")
        if p is not None:
            prices.setdefault(it.category, []).append(float(p))
    pool = [it for it in items if gt(it, "price") is not None]
    rng.shuffle(pool)
    out: dict[str, list[Any]] = {"cheaper": [], "more expensive": [], "under X": [], "between X and Y": []}
    for it in pool:
        p, kind_prices = float(gt(it, "price")), prices[it.category]
        if len(out["cheaper"]) < n and min(kind_prices) < p:
            out["cheaper"].append((it.id, "something cheaper", lambda a, b: float(gt(b, "price")) < float(gt(a, "price"))))
        if len(out["more expensive"]) < n and max(kind_prices) > p:
            out["more expensive"].append((it.id, "a bit more expensive",
                                          lambda a, b: float(gt(b, "price")) > float(gt(a, "price"))))
        cap = float(int(p * 0.8))
        if len(out["under X"]) < n and any(q <= cap for q in kind_prices):
            out["under X"].append((it.id, f"anything under {cap:g}?", lambda a, b, c=cap: float(gt(b, "price")) <= c))
        lo, hi = float(int(p * 1.1)), float(int(p * 1.6))
        if len(out["between X and Y"]) < n and any(lo <= q <= hi for q in kind_prices):
            out["between X and Y"].append((it.id, f"between {lo:g} and {hi:g}",
                                           lambda a, b, lo=lo, hi=hi: lo <= float(gt(b, "price")) <= hi))
    return out


def run(quick: bool = False, index_dir: str | None = None, truth: Truth = SAMPLE,
        seeds: int | None = None) -> dict[str, Any]:
    watch = Stopwatch()
    sample = Sample(index_dir or truth.index)
    items = list(sample.index.items)
    n = seeds or (QUICK_SEEDS if quick else SEEDS)
    rng = random.Random(2022)
    runners = {name: Runner(name, sample) for name in METHODS}
    out: dict[str, Any] = {"catalog": truth.name, "seeds_per_task": n, "steps": STEPS, "comparatives": {},
                           "intensity": {}, "substitutions": {}, "structured": {}, "open_vocabulary": {},
                           "compound": {}, "questions": {}}
    value = truth.value

    # comparatives: seeds with somewhere to go
    tasks = []
    for attribute, text, sign in truth.comparatives:
        pool = _with_somewhere_to_go(items, attribute, sign, truth)
        rng.shuffle(pool)
        tasks.append((attribute, text, sign, pool[:n]))
    def methods_for(attribute: str) -> dict[str, Runner]:
        return {k: r for k, r in runners.items() if k != TEXT_ONLY or attribute in truth.colour_attributes}

    with progress(total=sum(len(t[3]) * len(methods_for(t[0])) for t in tasks), desc="critique walks") as bar:
        for attribute, text, sign, seeds in tasks:
            out["comparatives"][text] = {"attribute": attribute, "sign": sign,
                                         **{name: comparative_walks(r, items, seeds, attribute, text, sign, bar,
                                                                    truth)
                                            for name, r in methods_for(attribute).items()}}
    for attribute, text, sign, seeds in tasks:
        if text.startswith("much "):
            continue  # measured as the "much" step of the plain critique
        new, before = runners["critique engine (this change)"], runners[REFINE]
        out["intensity"][text] = {
            f"{label}": {"this change": first_steps(new, items, seeds, attribute, f"{prefix}{text}".strip(), sign,
                                                    truth),
                         "before": first_steps(before, items, seeds, attribute, f"{prefix}{text}".strip(), sign,
                                               truth)}
            for label, prefix in (("a bit", "a bit "), ("plain", ""), ("much", "much "))}
    if not truth.full:
        out["off_scale"] = off_scale_starts(runners, items, rng, n, truth)
        out.update(watch.stamp())
        save(f"critiques_{truth.name}" + ("_quick" if quick else ""), out)
        return out

    subs = substitution_cases(items, rng, n)
    structured = structured_cases(items, rng, n)
    plain = methods_for("")
    with progress(total=(sum(len(c) for c, _ in subs.values()) + sum(len(c) for c in structured.values()))
                  * len(plain), desc="single turns") as bar:
        for label, (cases, asked) in subs.items():
            out["substitutions"][label] = {name: single_turns(r, items, cases, asked, bar)
                                           for name, r in plain.items()}
        for label, cases in structured.items():
            out["structured"][label] = {name: single_turns(r, items, cases, set(), bar)
                                        for name, r in plain.items()}

    # open vocabulary: the first step, against CIELAB
    coloured = [it for it in items if lab(it) is not None]
    for word, (measure, f) in OPEN_VOCABULARY.items():
        seeds = [it.id for it in rng.sample(coloured, min(n, len(coloured)))]
        cases = [(s, f"what about a {word} one" if not word.startswith("more") else f"something {word}",
                  lambda a, b, f=f: f(lab(b)) > f(lab(a))) for s in seeds]  # type: ignore[arg-type]
        with progress(total=len(cases) * len(METHODS), desc=word) as bar:
            out["open_vocabulary"][word] = {"measure": measure, **{
                name: single_turns(r, items, cases, {"hue_family"}, bar) for name, r in runners.items()}}

    # compound
    darker_cheaper = [it.id for it in items if gt(it, "price") is not None
                      and _further(items, it, "lightness", -1, {it.id})]
    rng.shuffle(darker_cheaper)
    short_black = [it.id for it in items if it.category in {"dress", "skirt"} and gt(it, "length") is not None
                   and gt(it, "length") > 1 and gt(it, "hue_family") != "black"]
    rng.shuffle(short_black)
    compound = {
        "darker and cheaper": [(s, "darker and cheaper",
                                lambda a, b: gt(b, "lightness") < gt(a, "lightness")
                                and float(gt(b, "price")) < float(gt(a, "price"))) for s in darker_cheaper[:n]],
        "shorter, in black": [(s, "shorter, in black",
                               lambda a, b: gt(b, "length") < gt(a, "length") and gt(b, "hue_family") == "black")
                              for s in short_black[:n]],
    }
    with progress(total=sum(len(c) for c in compound.values()) * 3, desc="compound") as bar:
        for label, cases in compound.items():
            out["compound"][label] = {name: single_turns(runners[name], items, cases, {"hue_family", "length_name"}, bar)
                                      for name in ("critique engine (this change)", TEXT_ONLY, "similarity baseline")}
    out["questions"] = questions(runners["critique engine (this change)"], items, rng, n)
    out.update(watch.stamp())
    save("critiques_quick" if quick else "critiques", out)
    return out


def off_scale_starts(runners: dict[str, Runner], items: list[Any], rng: random.Random, n: int,
                     truth: Truth) -> dict[str, Any]:
    """One turn of each scale comparative from items off the scale (no level: "more formal"
    from a Party or Ethnic item) in kinds whose items hold at least two levels: right when the
    answer lands on the scale past the kind's lowest level the asked way (from a Party shirt,
    "more formal" is a Smart Casual or Formal shirt, not a Casual one)."""
    value = truth.value
    out: dict[str, Any] = {}
    done: set[tuple[str, str]] = set()
    for attribute, text, sign in truth.comparatives:
        levels: dict[str, set[float]] = {}
        for it in items:
            v = value(it, attribute)
            if v is not None:
                levels.setdefault(it.category, set()).add(sign * v)
        column = next(iter(truth.asked_other.get(attribute, ())), "")
        pool = [it for it in items if value(it, attribute) is None and len(levels.get(it.category, ())) >= 2
                and value(it, column) is not None]
        if not pool or (attribute, text) in done:
            continue
        done.add((attribute, text))
        rng.shuffle(pool)
        cases = [(it.id, text, lambda a, b, low=min(levels[it.category]): value(b, attribute) is not None
                  and sign * value(b, attribute) > low) for it in pool[:n]]
        starts: dict[str, int] = {}
        for it in pool[:n]:
            starts[value(it, column)] = starts.get(value(it, column), 0) + 1
        names = [k for k in ("critique engine (this change)", "paper", "similarity baseline") if k in runners]
        with progress(total=len(cases) * len(names), desc=f"{text} (off-scale starts)") as bar:
            out[text] = {"starts": starts, **{name: single_turns(runners[name], items, cases,
                                                                 set(truth.asked_other.get(attribute, ())), bar, truth)
                                              for name in names}}
    return out


def questions(runner: Runner, items: list[Any], rng: random.Random, n: int) -> dict[str, Any]:
    """Answers checked against the catalog: every colour offered exists for the item's kind;
    the price and the material said are the item's own."""
    from gradrec_core.critique import take_turn

    families = _values_in_kind(items, "hue_family")
    seeds = rng.sample(items, min(n, len(items)))
    colours_ok, nonempty, price_ok, material_ok = [], [], [], []
    for it in seeds:
        runner.start(it.id)
        turn = take_turn(runner.engine, runner.sid, "what colours does it come in?")
        offered = [v for v, _ in turn.values.values] if turn.values else []
        nonempty.append(bool(offered))
        colours_ok.append(bool(offered) and all(v in families.get(it.category, {}) for v in offered))
        turn = take_turn(runner.engine, runner.sid, "how much is it?")
        price = float(gt(it, "price"))
        price_ok.append(turn.values is not None and turn.values.current is not None
                        and abs(float(turn.values.current) - price) < 0.005 and f"{price:.2f}" in turn.answer)
        turn = take_turn(runner.engine, runner.sid, "what is it made of?")
        material_ok.append(turn.values is not None and turn.values.current == gt(it, "material")
                           and str(gt(it, "material")) in turn.answer)
    return {"colours offered exist for the kind": _rate(colours_ok), "colours offered at all": _rate(nonempty),
            "price said is the item's": _rate(price_ok), "material said is the item's": _rate(material_ok),
            "n": len(seeds)}


# ----------------------------------------------------------------------------- report

def _pass(x: float | None, target: float, low: bool = False) -> str:
    if x is None:
        return "–"
    ok = x <= target if low else x >= target
    return f"{fmt(x)} {'✓' if ok else '✗'}"


def _walk_mark(m: dict[str, Any]) -> str:
    """>= 6 steps where the catalog allows 6 or more; otherwise the walk covers what it holds."""
    possible = m.get("possible_length") or 0.0
    ok = m["walk_length"] >= 6.0 if possible >= 6.0 else (m.get("reached") or 0.0) >= 0.95
    return f"{fmt(m['walk_length'], 1)} {'✓' if ok else '✗'}"


def encoder_limit(r: dict[str, Any]) -> str:
    """One sentence, from the results: how far text alone carries colour critiques."""
    me, text = "critique engine (this change)", TEXT_ONLY
    parts = []
    for key, label in (("comparatives", "per-step consistency"), ("open_vocabulary", "first step right")):
        for name, e in r[key].items():
            if text in e:
                v_me = e[me]["consistency" if key == "comparatives" else "satisfied"]
                v_text = e[text]["consistency" if key == "comparatives" else "satisfied"]
                parts.append(f"\"{name}\" {fmt(v_text)} with text alone vs {fmt(v_me)} with the swatch ({label})")
    return "; ".join(parts)


def _worst_possible(m: dict[str, Any], mark: bool) -> str:
    x = m.get("worst_other_possible")
    text = _pass(x, 0.8) if mark else fmt(x)
    return text + (f" ({m['worst_other_possible_column']})" if m.get("worst_other_possible_column") else "")


def markdown(r: dict[str, Any]) -> str:
    me = "critique engine (this change)"
    out = [f"{r['seeds_per_task']} seeds per task, {r['steps']}-step walks; ✓/✗ mark the issue's targets "
           "(this change only; the other rows are the references measured in the same run).\n"]
    out.append("### Comparatives: 10-step walks of one critique repeated\n")
    rows = []
    for text, e in r["comparatives"].items():
        for name in [k for k in METHODS if k in e]:
            m = e[name]
            mark = name == me
            rows.append([text if name == me else "", name,
                         _pass(m["consistency"], 0.85) if mark else fmt(m["consistency"]),
                         _pass(m["kind_kept"], 1.0) if mark else fmt(m["kind_kept"]),
                         fmt(m["others_kept"]),
                         (_pass(m["worst_other"], 0.8) if mark else fmt(m["worst_other"]))
                         + (f" ({m['worst_other_column']})" if m["worst_other_column"] else ""),
                         _worst_possible(m, mark),
                         _pass(m["false_ends"], 0.05, low=True) if mark else fmt(m["false_ends"]),
                         (_walk_mark(m) if mark else fmt(m["walk_length"], 1)),
                         fmt(m.get("possible_length"), 1), fmt(m.get("reached"))])
    out.append(table(["critique", "method", "per-step consistency", "kind kept", "others kept (mean)",
                      "others kept (worst column)", "worst column, where the catalog allowed", "false ends", "walk length (of 10)",
                      "longest walk the catalog allows", "share of it walked"], rows))
    out.append("")
    if r.get("note"):
        out.append(r["note"] + "\n")
    if r.get("intensity"):
        out.append(intensity_markdown(r))
    if r.get("off_scale"):
        out.append(off_scale_markdown(r["off_scale"]))
    for key, title, target in (("substitutions", "Substitutions (\"does it come in black?\")", 0.9),
                               ("structured", "Structured (the price column)", 1.0),
                               ("open_vocabulary", "Open vocabulary (first step against CIELAB from the catalog's RGB)", 0.7),
                               ("compound", "Compound (one step satisfying every part)", 0.8)):
        if not r.get(key):
            continue
        out.append(f"### {title}\n")
        rows = []
        for label, e in r[key].items():
            names = [k for k in METHODS if k in e]
            for name in names:
                m = e[name]
                mark = name == me
                rows.append([label + (f" ({e['measure']})" if "measure" in e and name == names[0] else "")
                             if name == names[0] else "", name,
                             _pass(m["satisfied"], target) if mark else fmt(m["satisfied"]),
                             _pass(m["kind_kept"], 1.0) if mark and key != "open_vocabulary" else fmt(m["kind_kept"]),
                             fmt(m["others_kept"]),
                             (_pass(m["worst_other"], 0.8) if mark and key in ("substitutions", "structured")
                              else fmt(m["worst_other"]))
                             + (f" ({m['worst_other_column']})" if m["worst_other_column"] else ""),
                             _worst_possible(m, mark and key in ("substitutions", "structured")),
                             fmt(m["answered"])])
        out.append(table(["asked", "method", "answer satisfies it", "kind kept", "others kept (mean)",
                          "others kept (worst column)", "worst column, where the catalog allowed", "answered"], rows))
        out.append("")
    q = r.get("questions")
    if not q:
        return "\n".join(out)
    out.append(f"### Questions about the current item ({q['n']} seeds)\n")
    out.append(table(["check (against the catalog)", "rate"],
                     [[k, fmt(v)] for k, v in q.items() if k != "n"]))
    out.append("")
    return "\n".join(out)


def intensity_markdown(r: dict[str, Any]) -> str:
    out = ["### Intensity: one step from the same seeds (signed ground-truth change, + is the asked way)\n"]
    rows = []
    for text, e in r["intensity"].items():
        bit, plain, much = (e[k]["this change"] for k in ("a bit", "plain", "much"))
        ordered = all(x is not None for x in (bit["change"], plain["change"], much["change"])) and \
            bit["change"] < plain["change"] < much["change"]
        rows.append([text, fmt(bit["change"]), fmt(plain["change"]), fmt(much["change"]),
                     "✓" if ordered else "✗", fmt(plain["share"]), _pass(plain["at_most_half"], 1.0),
                     _pass(plain.get("at_most_half_where_possible"), 1.0),
                     fmt(e["plain"]["before"]["change"]), fmt(e["plain"]["before"]["share"])])
    out.append(table(["critique", "a bit", "plain", "much", "a bit < plain < much",
                      "plain: share of remaining range", "plain steps <= half the range",
                      "... where the catalog had a closer step",
                      "refine: plain change", "refine: share"], rows))
    out.append("")
    return "\n".join(out)


def off_scale_markdown(off: dict[str, Any]) -> str:
    rows = []
    for text, e in off.items():
        starts = ", ".join(f"{k} {v}" for k, v in sorted(e["starts"].items()))
        names = [k for k in ("critique engine (this change)", "paper", "similarity baseline") if k in e]
        for name in names:
            m = e[name]
            rows.append([f"{text} (from {starts})" if name == names[0] else "", name,
                         _pass(m["satisfied"], 0.85) if name == names[0] else fmt(m["satisfied"]),
                         fmt(m["kind_kept"]), fmt(m["answered"])])
    return ("### From a value off the scale (one step)\n\n"
            + table(["critique (starts)", "method", "lands on the scale past the kind's lowest level",
                     "kind kept", "answered"], rows) + "\n")


def misses(r: dict[str, Any]) -> list[str]:
    """Every target of issue 7 this change misses, computed from the results, as report lines."""
    me = "critique engine (this change)"
    out = []
    for text, e in r["comparatives"].items():
        m = e[me]
        for key, target, low, label in (("consistency", 0.85, False, "per-step consistency"),
                                        ("kind_kept", 1.0, False, "kind kept"),
                                        ("worst_other", 0.8, False, "every other attribute kept"),
                                        ("false_ends", 0.05, True, "false ends")):
            x = m.get(key)
            if x is not None and ((x > target) if low else (x < target)):
                col = f" ({m['worst_other_column']})" if key == "worst_other" else ""
                out.append(f"- \"{text}\": {label} {fmt(x)}{col}, target {'<=' if low else '>='} {fmt(target)}")
        possible = m.get("possible_length") or 0.0
        if possible >= 6.0 and m.get("walk_length") is not None and m["walk_length"] < 6.0:
            out.append(f"- \"{text}\": walks last {fmt(m['walk_length'], 1)} steps where the catalog allows "
                       f"{fmt(possible, 1)} on average (target >= 6)")
        elif possible < 6.0 and m.get("reached") is not None and m["reached"] < 0.95:
            out.append(f"- \"{text}\": walks cover {fmt(m['reached'])} of the levels the catalog holds further "
                       f"(the catalog allows {fmt(possible, 1)} steps on average, fewer than 6)")
    for text, e in r["intensity"].items():
        bit, plain, much = (e[k]["this change"] for k in ("a bit", "plain", "much"))
        if None in (bit["change"], plain["change"], much["change"]) or not (
                bit["change"] < plain["change"] < much["change"]):
            out.append(f"- \"{text}\": \"a bit\" {fmt(bit['change'])}, plain {fmt(plain['change'])}, "
                       f"\"much\" {fmt(much['change'])}: not strictly increasing")
        if plain["at_most_half"] is not None and plain["at_most_half"] < 1.0:
            possible = plain.get("at_most_half_where_possible")
            out.append(f"- \"{text}\": {fmt(1 - plain['at_most_half'])} of plain steps covered more than half "
                       "of the seed's remaining range" + (
                           f" ({fmt(1 - possible)} of those where the catalog had a distinguishable step "
                           "within half)" if possible is not None else ""))
    for key, target in (("substitutions", 0.9), ("structured", 1.0), ("open_vocabulary", 0.7), ("compound", 0.8)):
        for label, e in r.get(key, {}).items():
            m = e[me]
            if m["satisfied"] is not None and m["satisfied"] < target:
                out.append(f"- {key.replace('_', ' ')} \"{label}\": answer satisfies it {fmt(m['satisfied'])}, "
                           f"target >= {fmt(target)}")
            if key in ("substitutions", "structured") and m["worst_other"] is not None and m["worst_other"] < 0.8:
                out.append(f"- {key} \"{label}\": other attributes kept, worst column {fmt(m['worst_other'])} "
                           f"({m['worst_other_column']}), target >= 0.80")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--index", default=None)
    ap.add_argument("--catalog", choices=("sample", "retail"), default="sample",
                    help="whose ground truth: the sample catalog's (every critique kind) or the retail "
                         "catalog's (`make retail`: occasion and colour-name comparatives)")
    ap.add_argument("--seeds", type=int, default=None, help=f"seeds per task (default {SEEDS}; --quick {QUICK_SEEDS})")
    args = ap.parse_args(argv)
    truth = retail_truth() if args.catalog == "retail" else SAMPLE
    print(markdown(run(args.quick, args.index, truth, args.seeds)))


if __name__ == "__main__":
    main()
