"""Gradient metrics of walks against the catalog's ground truth (CGIR, eq. 11-13): the engine
(`Engine.refine`: the graded step) against GradREC as published (`WalkConfig().paper()`) and the
nearest neighbours, with and without the opposite prompt.

For each test pair (a seed item and an asked change, e.g. "darker"), a walk of 10 steps is
taken and the sequence seed, item 1, ..., item n is scored on the ground-truth columns:

* Consistency (eq. 12): share of consecutive pairs where alpha * value increases (alpha = +1
  when the asked change raises the value: lighter, longer, higher, more formal; -1 otherwise).
* Restrictiveness (eq. 13) of another attribute t': 1 - |mean over consecutive pairs of
  f(alpha * rel(k, t') < alpha * rel(k+1, t'))| with f = +1 / -1. Our catalog's other
  attributes are often exactly unchanged between two items, and the strict inequality would
  score every tie as -1 (a walk that changes nothing else would look maximally biased), so a
  tie counts 0: f = sign(rel(k+1) - rel(k)). Numeric attributes use their value; categorical
  ones (kind, hue_family, fit, material, pattern) the relevance 1[value == the seed's value].
  Only attributes the seed has a value for are scored.
* Mean gradient score (eq. 11): Consistency x mean Restrictiveness over the other
  attributes, averaged over test pairs.

    python benchmarks/gradient_metrics.py [--quick] [--seeds 50]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    CATEGORICAL, NUMERIC, Sample, Stopwatch, configs, gt, progress, save, table,
)

STEPS = 10
DARK_HUES = ("black", "white")  # no "dark black" / "light white"

# Each task: which items may seed it, how prompts are worded, and which way each seed goes.
TASKS: list[dict[str, Any]] = [
    {"key": "lightness", "label": "darker / lighter", "gt": "lightness",
     "kinds": ("polo shirt", "t-shirt", "shirt", "dress"),
     "up": ("lighter", "light {hue} {kind}"), "down": ("darker", "dark {hue} {kind}"), "neutral": "{hue} {kind}"},
    {"key": "length", "label": "longer / shorter", "gt": "length", "kinds": ("skirt", "dress"),
     "up": ("longer", "maxi {kind}"), "down": ("shorter", "mini {kind}"), "neutral": "{kind}"},
    {"key": "heel", "label": "higher / lower heel", "gt": "heel_cm", "kinds": ("heels",),
     "up": ("higher", "stiletto heels"), "down": ("lower", "kitten heels"), "neutral": "heels"},
    {"key": "formality", "label": "more formal / more casual", "gt": "formality",
     "kinds": ("shirt", "jacket", "trousers", "dress", "sneakers"),
     "up": ("more formal", "formal {kind}"), "down": ("more casual", "casual {kind}"), "neutral": "{kind}"},
]


# --------------------------------------------------------------------------- test pairs

def test_pairs(index: Any, task: dict[str, Any], n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """`n` seeds, half asked to go up and half down; each is drawn from the half of its kind
    with room to move that way (above / below the kind's median)."""
    attribute = task["gt"]
    pool = [r for r, it in enumerate(index.items)
            if it.category in task["kinds"] and gt(it, attribute) is not None
            and (attribute != "lightness" or (gt(it, "hue_family") or "") not in DARK_HUES)]
    pairs = []
    for direction, count in (("up", n - n // 2), ("down", n // 2)):
        candidates = []
        for kind in task["kinds"]:
            rows = [r for r in pool if index.items[r].category == kind]
            if not rows:
                continue
            median = float(np.median([gt(index.items[r], attribute) for r in rows]))
            if direction == "up":
                candidates += [r for r in rows if gt(index.items[r], attribute) < median]
            else:
                candidates += [r for r in rows if gt(index.items[r], attribute) > median]
        chosen = rng.choice(np.array(sorted(candidates)), size=min(count, len(candidates)), replace=False)
        for r in chosen.tolist():
            item = index.items[r]
            words = {"hue": gt(item, "hue_family") or "", "kind": item.category}
            change, exemplar = task[direction]
            other = task["down" if direction == "up" else "up"][1]
            pairs.append({
                "row": int(r), "id": item.id, "kind": item.category, "change": change,
                "alpha": 1 if direction == "up" else -1,
                "neutral": task["neutral"].format(**words), "exemplar": exemplar.format(**words),
                "opposite": other.format(**words),
            })
    return pairs


# --------------------------------------------------------------------------- metrics

def _relevance(item: Any, attribute: str, seed_value: Any) -> float | None:
    value = gt(item, attribute)
    if value is None:
        return None
    if attribute in NUMERIC:
        return float(value)
    return 1.0 if value == seed_value else 0.0


def consistency(values: Sequence[float | None], alpha: int) -> float | None:
    """CGIR eq. 12: share of consecutive pairs where alpha * value strictly increases (a
    missing value counts as no increase). None for a sequence of one item."""
    if len(values) < 2:
        return None
    ups = [a is not None and b is not None and alpha * b > alpha * a for a, b in zip(values, values[1:])]
    return float(np.mean(ups))


def restrictiveness(values: Sequence[float | None]) -> float | None:
    """CGIR eq. 13 with ties counted 0: 1 - |mean of sign(rel(k+1) - rel(k))| (alpha's sign
    cancels in the absolute value). A missing value counts as a tie."""
    if len(values) < 2:
        return None
    signs = [0.0 if a is None or b is None else float(np.sign(b - a)) for a, b in zip(values, values[1:])]
    return 1.0 - abs(float(np.mean(signs)))


def score_walk(index: Any, rows: Sequence[int], attribute: str, alpha: int) -> dict[str, Any]:
    """Metrics of the sequence `rows` (the seed first)."""
    items = [index.items[r] for r in rows]
    seed = items[0]
    main = [gt(it, attribute) for it in items]
    c = consistency(main, alpha)
    others = {}
    for other in NUMERIC + CATEGORICAL:
        if other == attribute:
            continue
        seed_value = gt(seed, other)
        if seed_value is None:
            continue
        others[other] = restrictiveness([_relevance(it, other, seed_value) for it in items])
    r_values = [v for v in others.values() if v is not None]
    r = float(np.mean(r_values)) if r_values else None
    last = next((v for v in reversed(main[1:]) if v is not None), None)
    change = None if last is None or main[0] is None else alpha * (last - main[0])
    return {
        "steps": len(rows) - 1, "consistency": c, "restrictiveness": r, "by_attribute": others,
        "mgs": None if c is None or r is None else c * r,
        "change": change,
        "kind_kept": float(np.mean([it.category == seed.category for it in items[1:]])) if len(items) > 1 else None,
    }


def further_left(index: Any, rows: Sequence[int], attribute: str, alpha: int) -> int:
    """Unseen items of the seed's kind (and hue family, for lightness) lying further the asked
    way than the walk's last item: what an "end of the walk" leaves behind."""
    seed, last = index.items[rows[0]], index.items[rows[-1]]
    last_value = gt(last, attribute)
    if last_value is None:
        return 0
    walked = set(rows)
    hue = gt(seed, "hue_family") if attribute == "lightness" else None
    count = 0
    for r in index.rows_in_category(seed.category).tolist():
        if r in walked:
            continue
        item = index.items[r]
        value = gt(item, attribute)
        if value is not None and alpha * value > alpha * last_value and (hue is None or gt(item, "hue_family") == hue):
            count += 1
    return count


# --------------------------------------------------------------------------- walks

def walk_engine(engine: Any, pair: dict[str, Any], use_opposite: bool, sid: str, steps: int = STEPS,
                intensity: float = 1.0) -> tuple[list[int], bool, float]:
    """Refine `steps` times; returns the rows (seed first), whether it ended early, and the
    direction's confidence."""
    engine.start(sid, pair["id"])
    rows, ended, confidence = [pair["row"]], False, float("nan")
    for _ in range(steps):
        s = engine.refine(sid, pair["neutral"], pair["exemplar"], intensity=intensity,
                          opposite=pair["opposite"] if use_opposite else "")
        confidence = s.confidence
        if s.end_reached or s.item is None:
            ended = True
            break
        rows.append(engine.index.row(s.item.id))
    engine.reset(sid)
    return rows, ended, confidence


def walk_baseline(index: Any, pair: dict[str, Any], steps: int = STEPS) -> list[int]:
    _, found = index.search(index.vectors[pair["row"]], steps + 1)
    return [pair["row"]] + [int(r) for r in found[0] if r >= 0 and r != pair["row"]][:steps]


# --------------------------------------------------------------------------- aggregation

def _mean(values: Sequence[Any]) -> float | None:
    values = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return float(np.mean(values)) if values else None


def aggregate(walks: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [w for w in walks if w["steps"] > 0]
    return {
        "walks": len(walks),
        "answered": len(answered) / max(1, len(walks)),
        "consistency": _mean([w["consistency"] for w in answered]),
        "restrictiveness": _mean([w["restrictiveness"] for w in answered]),
        "mgs": _mean([w["mgs"] for w in answered]),
        "mgs_all": _mean([w["mgs"] if w["mgs"] is not None else 0.0 for w in walks]),
        "change": _mean([w["change"] for w in answered]),
        "ended_early": _mean([1.0 if w["ended"] else 0.0 for w in walks]),
        "ended_with_items_left": _mean([1.0 if w["ended"] and w["left_further"] > 0 else 0.0 for w in walks]),
        "left_further": _mean([w["left_further"] for w in walks if w["ended"]]),
        "steps": _mean([w["steps"] for w in walks]),
        "kind_kept": _mean([w["kind_kept"] for w in answered]),
        "r_kind": _mean([w["by_attribute"].get("kind") for w in answered]),
        "r_hue": _mean([w["by_attribute"].get("hue_family") for w in answered]),
    }


def _spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return None
    rank = lambda v: np.argsort(np.argsort(v, kind="stable"), kind="stable").astype(float)  # noqa: E731
    return float(np.corrcoef(rank(x), rank(y))[0, 1])


def calibration(walks: list[dict[str, Any]]) -> dict[str, Any]:
    edges = [0.0, 0.25, 0.5, 0.75, 1.01]
    answered = [w for w in walks if w["steps"] > 0 and w["consistency"] is not None]
    buckets = []
    for lo, hi in zip(edges, edges[1:]):
        inside = [w for w in answered if lo <= w["confidence"] < hi]
        buckets.append({"range": f"{lo:.2f}-{min(hi, 1.0):.2f}", "walks": len(inside),
                        "consistency": _mean([w["consistency"] for w in inside]),
                        "change": _mean([w["change"] for w in inside])})
    return {"buckets": buckets,
            "spearman": _spearman([w["confidence"] for w in answered], [w["consistency"] for w in answered])}


# --------------------------------------------------------------------------- run

def run(quick: bool = False, seeds: int | None = None, index_dir: str | None = None) -> dict[str, Any]:
    from gradrec_core import WalkConfig

    watch = Stopwatch()
    sample = Sample(index_dir) if index_dir else Sample()
    index = sample.index
    n_seeds = seeds or (4 if quick else 50)
    rng = np.random.default_rng(20221)
    pairs = {t["key"]: test_pairs(index, t, n_seeds, rng) for t in TASKS}
    rows_cfg: dict[str, Any] = {"similarity baseline": None}
    rows_cfg.update({name: (cfg, opp, 1.0) for name, (cfg, opp) in configs().items()})
    rows_cfg["full engine, intensity 0.25"] = (WalkConfig(), True, 0.25)
    walks: dict[str, dict[str, list[dict[str, Any]]]] = {name: {t["key"]: [] for t in TASKS} for name in rows_cfg}
    total = sum(len(p) for p in pairs.values()) * len(rows_cfg)
    with progress(total=total, desc="gradient metrics: walks") as bar:
        for name, spec in rows_cfg.items():
            engine = None if spec is None else sample.engine(spec[0])
            for task in TASKS:
                for i, pair in enumerate(pairs[task["key"]]):
                    if spec is None:
                        rows, ended, confidence = walk_baseline(index, pair), False, float("nan")
                    else:
                        rows, ended, confidence = walk_engine(engine, pair, spec[1], f"{task['key']}-{i}",
                                                              intensity=spec[2])
                    w = score_walk(index, rows, task["gt"], pair["alpha"])
                    w["left_further"] = further_left(index, rows, task["gt"], pair["alpha"])
                    w.update(ended=ended, confidence=confidence, id=pair["id"], change_asked=pair["change"],
                             items=[index.items[r].id for r in rows[1:]])
                    walks[name][task["key"]].append(w)
                    bar.update(1)
    table_rows = {}
    for name in rows_cfg:
        per_task = {t["key"]: aggregate(walks[name][t["key"]]) for t in TASKS}
        everything = [w for t in TASKS for w in walks[name][t["key"]]]
        table_rows[name] = {"all": aggregate(everything), **per_task}
    calib = {name: calibration([w for t in TASKS for w in walks[name][t["key"]]])
             for name in ("paper", "full engine (defaults + opposite)")}
    intensity = intensity_check(sample, pairs["lightness"], WalkConfig())
    results = {
        "seeds_per_task": n_seeds, "steps": STEPS,
        "tasks": [{k: v for k, v in t.items()} for t in TASKS],
        "table": table_rows, "calibration": calib, "intensity": intensity,
        "examples": {name: {t["key"]: walks[name][t["key"]][:2] for t in TASKS} for name in rows_cfg},
        "timing": watch.stamp(),
    }
    save("gradient_metrics_quick" if quick else "gradient_metrics", results)
    return results


def intensity_check(sample: Sample, pairs: list[dict[str, Any]], config: Any) -> dict[str, Any]:
    """One step from each seed at intensity 0.5, 1 and 2 ("a bit darker", "darker", "much
    darker"): the lightness change (signed: + is the asked way) and the gain along the direction."""
    out = {}
    engine = sample.engine(config)
    for intensity in progress((0.5, 1.0, 2.0), desc="gradient metrics: intensity"):
        changes, gains, ended = [], [], 0
        for i, pair in enumerate(pairs):
            sid = f"intensity-{intensity}-{i}"
            engine.start(sid, pair["id"])
            s = engine.refine(sid, pair["neutral"], pair["exemplar"], intensity=intensity, opposite=pair["opposite"])
            if s.item is None:
                ended += 1
            else:
                before, after = gt(sample.index.items[pair["row"]], "lightness"), gt(s.item, "lightness")
                changes.append(pair["alpha"] * (after - before))
                d = engine._direction_vector(pair["neutral"], pair["exemplar"], pair["opposite"])
                gains.append(s.gain / d.spread)
            engine.reset(sid)
        out[str(intensity)] = {"lightness_change": _mean(changes),
                               "abs_lightness_change": _mean([abs(c) for c in changes]),
                               "gain_spreads": _mean(gains), "ended": ended, "walks": len(pairs)}
    return out


# --------------------------------------------------------------------------- report

COLUMNS = ["row", "MGS", "consistency", "restrictiveness", "change (asked way)", "ended early",
           "ended, items left", "steps", "kind kept", "answered", "MGS, refusals as 0"]


def _row(name: str, a: dict[str, Any]) -> list[Any]:
    return [name, a["mgs"], a["consistency"], a["restrictiveness"], a["change"], a["ended_early"],
            a["ended_with_items_left"], a["steps"], a["kind_kept"], a["answered"], a["mgs_all"]]


def markdown(results: dict[str, Any]) -> str:
    out = []
    t = results["table"]
    out.append(f"All test pairs ({results['seeds_per_task']} seeds for each of {len(results['tasks'])} attributes, "
               f"half asked each way; walks of {results['steps']} steps):\n")
    out.append(table(COLUMNS, [_row(name, v["all"]) for name, v in t.items()], 3))
    out.append("\n\"Change\" is averaged over attributes with different units (L* points, length grades, cm, "
               "formality grades): compare it within the per-attribute tables below.\n")
    for task in results["tasks"]:
        key = task["key"]
        prompts = f"\"{task['neutral']}\" -> \"{task['up'][1]}\" / \"{task['down'][1]}\""
        out.append(f"**{task['label']}** (`{task['gt']}`; kinds: {', '.join(task['kinds'])}; prompts {prompts}, "
                   f"the other one as `opposite`):\n")
        out.append(table(COLUMNS, [_row(name, v[key]) for name, v in t.items()], 3))
        out.append("")
    return "\n".join(out)


def markdown_calibration(results: dict[str, Any]) -> str:
    out = []
    for name, c in results["calibration"].items():
        rows = [[b["range"], b["walks"], b["consistency"], b["change"]] for b in c["buckets"]]
        sp = "–" if c["spearman"] is None else f"{c['spearman']:.2f}"
        out.append(f"**{name}** (Spearman correlation of confidence with a walk's consistency: {sp}):\n")
        out.append(table(["direction confidence", "walks", "consistency", "change (asked way)"], rows, 3))
        out.append("")
    return "\n".join(out)


def markdown_intensity(results: dict[str, Any]) -> str:
    rows = [[k, v["lightness_change"], v["abs_lightness_change"], v["gain_spreads"], f"{v['ended']}/{v['walks']}"]
            for k, v in results["intensity"].items()]
    return table(["intensity", "L* change, asked way", "|L* change|", "gain (spreads)", "no item"], rows, 2)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 seeds per attribute (smoke run)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per attribute (default 50; quick 4)")
    ap.add_argument("--index", default=None)
    args = ap.parse_args(argv)
    results = run(args.quick, args.seeds, args.index)
    print(markdown(results))
    print(markdown_calibration(results))
    print(markdown_intensity(results))
    print(f"\n(gradient metrics took {results['timing']['seconds']} s)")


if __name__ == "__main__":
    main()
