"""Product discovery along an attribute (GradREC paper, sec. 5.3 and Fig. 5).

For each attribute, three sets of N=100 items are retrieved zero-shot for a negative, a
neutral and a positive prompt ("light blue polo shirt", "blue polo shirt", "dark blue polo
shirt"). A walk starts from a negative item (the negative prompt's best match) toward the
positive side and logs k=10 unseen items per step; a window of 50 items slides along the
logged trajectory and its intersection with each set is counted. A walk that follows the
attribute shows the negative set's peak first, then the neutral's, then the positive's.

Trajectories compared:
* baseline: the seed's nearest neighbours in order of distance (the paper's visual-similarity
  baseline; here the text-embedding space the index holds);
* paper: eq. 1 as published (`WalkConfig().paper()`, neutral -> positive direction), logging
  the 10 nearest unseen items to each new position;
* engine: the engine (defaults, the negative prompt as `opposite`) in a session: each logged
  step is one `Engine.refine`, its answer first, followed by the 9 items `Engine.alternatives`
  offers in its place (the same step's next answers). The walk continues from the answer, as a
  session would. All 10 logged items count as seen, as in the paper's protocol. The engine's
  walk stops when no unseen item lies further along the asked axis, so its trajectory can be
  shorter.

    python benchmarks/discovery.py [--quick] [--index var/index/sample]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DOCS, Sample, Stopwatch, gt, progress, save, table  # noqa: E402

N_SET = 100  # as published
N_SMALL = 30  # proportionate to this catalog (110 blue polo shirts, 320 skirts, 320 heels)
K_LOG = 10
WINDOW = 50

# negative -> positive: the walk goes from the first prompt's side toward the last one's.
# `sign`: how the ground truth should move along the walk (+1 up, -1 down).
ATTRIBUTES: list[dict[str, Any]] = [
    {"key": "lightness", "title": "colour lightness of blue polo shirts", "gt": "lightness", "sign": -1,
     "wordings": [("light blue polo shirt", "blue polo shirt", "dark blue polo shirt")]},
    {"key": "skirt_length", "title": "skirt length", "gt": "length", "sign": +1,
     "wordings": [("short skirt", "skirt", "long skirt"), ("mini skirt", "midi skirt", "maxi skirt"),
                  ("mini skirt", "knee-length skirt", "maxi skirt")]},
    {"key": "heel_height", "title": "heel height", "gt": "heel_cm", "sign": +1,
     "wordings": [("low heels", "heels", "high heels"), ("kitten heels", "heels", "stiletto heels"),
                  ("low heel shoes", "heels", "high heel shoes")]},
]
METHODS = ("baseline", "paper", "engine", "engine_bit")
INTENSITY = {"engine": 1.0, "engine_bit": 0.25}
SET_NAMES = ("negative", "neutral", "positive")


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / (np.linalg.norm(v) + 1e-6)).astype(np.float32)


def baseline_trajectory(index: Any, seed: int, length: int) -> list[int]:
    _, rows = index.search(index.vectors[seed], length + 1)
    return [int(r) for r in rows[0] if r >= 0 and r != seed][:length]


def paper_trajectory(index: Any, direction: Any, config: Any, seed: int, steps: int) -> list[int]:
    """Eq. 1 as published; the 10 nearest unseen items to each new position are logged."""
    from gradrec_core.walk import next_position

    position = index.vectors[seed].copy()
    seen, out = {seed}, []
    for _ in range(steps):
        position = next_position(index, position, direction.vector, config.step_size, config)
        _, rows = index.search(_unit(position), K_LOG + len(seen))
        new = [int(r) for r in rows[0] if r >= 0 and int(r) not in seen][:K_LOG]
        if not new:
            break
        out += new
        seen.update(new)
    return out


def engine_trajectory(engine: Any, wording: tuple[str, str, str], seed: int, steps: int,
                      intensity: float = 1.0) -> tuple[list[int], str]:
    """One `Engine.refine` per logged step: its answer, then the 9 alternatives to it."""
    negative, neutral, positive = wording
    index = engine.index
    sid = f"discovery-{seed}-{intensity}"
    engine.start(sid, index.items[seed].id)
    out: list[int] = []
    try:
        for _ in range(steps):
            s = engine.refine(sid, neutral, positive, intensity, opposite=negative)
            if s.item is None:
                return out, s.end_reason
            others = engine.alternatives(sid, K_LOG - 1).items
            out += [index.row(s.item.id)] + [index.row(i.id) for i in others]
    finally:
        engine.reset(sid)
    return out, "steps exhausted"


def window_counts(trajectory: list[int], members: set[int]) -> np.ndarray:
    hits = np.array([r in members for r in trajectory], dtype=np.int32)
    if len(hits) < WINDOW:
        return np.array([hits.sum()], dtype=np.int32) if len(hits) else np.zeros(0, dtype=np.int32)
    c = np.concatenate([[0], np.cumsum(hits)])
    return (c[WINDOW:] - c[:-WINDOW]).astype(np.int32)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = _rankdata(y)
    return float(np.corrcoef(rx, ry)[0, 1])


def _rankdata(y: np.ndarray) -> np.ndarray:
    order = np.argsort(y, kind="stable")
    ranks = np.empty(len(y), dtype=float)
    ranks[order] = np.arange(len(y), dtype=float)
    for value in np.unique(y):  # average ranks for ties
        tie = y == value
        ranks[tie] = ranks[tie].mean()
    return ranks


def trajectory_summary(index: Any, trajectory: list[int], sets: dict[str, set[int]], attribute: str,
                       sign: int) -> dict[str, Any]:
    curves = {name: window_counts(trajectory, members) for name, members in sets.items()}
    peaks = {name: (int(np.argmax(c)) if len(c) and c.max() > 0 else None) for name, c in curves.items()}
    order_ok = all(p is not None for p in peaks.values()) and \
        peaks["negative"] <= peaks["neutral"] <= peaks["positive"] and peaks["negative"] < peaks["positive"]
    if len(trajectory) < 2 * WINDOW:  # fewer than 50 window positions: no peak order to speak of
        order_ok = None
    values = [(i, gt(index.items[r], attribute)) for i, r in enumerate(trajectory)]
    values = [(i, v) for i, v in values if v is not None]
    pos = np.array([i for i, _ in values], dtype=float)
    val = np.array([v for _, v in values], dtype=float)
    return {
        "length": len(trajectory),
        "peaks": peaks,
        "peak_heights": {name: int(c.max()) if len(c) else 0 for name, c in curves.items()},
        "found": {name: len(set(trajectory) & members) for name, members in sets.items()},
        "order_ok": None if order_ok is None else bool(order_ok),
        "trend": sign * _spearman(pos, val) if len(val) else float("nan"),
        "first50": float(np.mean(val[pos < WINDOW])) if (pos < WINDOW).any() else float("nan"),
        "last50": float(np.mean(val[pos >= len(trajectory) - WINDOW])) if len(val) else float("nan"),
        "curves": {name: c.tolist() for name, c in curves.items()},
        "cumulative": {name: np.cumsum([r in members for r in trajectory]).tolist() for name, members in sets.items()},
    }


def set_stats(index: Any, rows: np.ndarray, attribute: str, kind: str | None) -> dict[str, Any]:
    values = [gt(index.items[r], attribute) for r in rows]
    values = [v for v in values if v is not None]
    kinds = [index.items[r].category for r in rows]
    top_kind = max(set(kinds), key=kinds.count) if kinds else None
    return {"mean": float(np.mean(values)) if values else float("nan"),
            "sd": float(np.std(values)) if values else float("nan"),
            "with_value": len(values), "top_kind": top_kind, "top_kind_share": kinds.count(top_kind) / max(1, len(kinds))}


def choose_wording(sample: Sample, spec: dict[str, Any]) -> tuple[tuple[str, str, str], list[dict[str, Any]]]:
    """Among the candidate wordings, the one whose three retrieved sets are best separated in
    the ground truth (ordered means; largest standardised gap negative -> positive)."""
    report, best, best_score = [], spec["wordings"][0], -np.inf
    for wording in spec["wordings"]:
        q = sample.encoder.encode_prompts(list(wording))
        stats = []
        for i in range(3):
            _, rows = sample.index.search(q[i], N_SET)
            stats.append(set_stats(sample.index, rows[0][rows[0] >= 0], spec["gt"], None))
        means = [s["mean"] * spec["sign"] for s in stats]
        pooled = float(np.sqrt(np.mean([s["sd"] ** 2 for s in stats]))) or 1.0
        ordered = means[0] <= means[1] <= means[2]
        score = (means[2] - means[0]) / pooled + (1.0 if ordered else 0.0)
        report.append({"wording": list(wording), "sets": stats, "ordered": ordered, "separation": (means[2] - means[0]) / pooled})
        if score > best_score:
            best, best_score = wording, score
    return best, report


def run(quick: bool = False, index_dir: str | None = None, plots: bool | None = None) -> dict[str, Any]:
    """The analysis; plots (docs/discovery_*.png) only for the full run unless asked."""
    plots = (not quick) if plots is None else plots
    from gradrec_core import WalkConfig
    from gradrec_core.walk import build_direction

    watch = Stopwatch()
    sample = Sample(index_dir) if index_dir else Sample()
    index = sample.index
    steps = 6 if quick else 20
    n_seeds = 2 if quick else 10
    paper_cfg = WalkConfig().paper()
    engine = sample.engine(WalkConfig())
    results: dict[str, Any] = {"steps": steps, "k_log": K_LOG, "window": WINDOW, "set_sizes": [N_SET, N_SMALL],
                               "seeds": n_seeds, "attributes": {}}
    attributes = ATTRIBUTES[:1] if quick else ATTRIBUTES
    for spec in progress(attributes, desc="discovery: attributes"):
        wording, wording_report = choose_wording(sample, spec)
        q = sample.encoder.encode_prompts(list(wording))
        set_rows = []
        for i in range(3):
            _, rows = index.search(q[i], N_SET)
            set_rows.append(rows[0][rows[0] >= 0])  # best first: the first N_SMALL are the small set
        sets_by_n = {n: {name: set(int(r) for r in rows[:n]) for name, rows in zip(SET_NAMES, set_rows)}
                     for n in (N_SET, N_SMALL)}
        d_paper = build_direction(index, q[1], q[2], paper_cfg)
        d_engine = engine.direction(wording[1], wording[2], wording[0])
        seeds = [int(r) for r in set_rows[0][:n_seeds]]
        per: dict[int, dict[str, list[dict[str, Any]]]] = {n: {m: [] for m in METHODS} for n in sets_by_n}
        ends: dict[str, list[str]] = {"engine": [], "engine_bit": []}
        for seed in progress(seeds, desc=f"discovery: {spec['key']} seeds"):
            trajs = {
                "baseline": baseline_trajectory(index, seed, steps * K_LOG),
                "paper": paper_trajectory(index, d_paper, paper_cfg, seed, steps),
            }
            for m in ("engine", "engine_bit"):
                trajs[m], reason = engine_trajectory(engine, wording, seed, steps, INTENSITY[m])
                ends[m].append(reason)
            for n, sets in sets_by_n.items():
                for m in METHODS:
                    per[n][m].append(trajectory_summary(index, trajs[m], sets, spec["gt"], spec["sign"]))
        summary: dict[str, dict[str, Any]] = {}
        for n in sets_by_n:
            summary[str(n)] = {}
            for m in METHODS:
                runs = per[n][m]
                summary[str(n)][m] = {
                    "order_ok_share": _mean_or_none([r["order_ok"] for r in runs]),
                    "peaks": {name: _mean_or_none([r["peaks"][name] for r in runs]) for name in SET_NAMES},
                    "trend": float(np.nanmean([r["trend"] for r in runs])),
                    "length": float(np.mean([r["length"] for r in runs])),
                    "found": {name: float(np.mean([r["found"][name] for r in runs])) for name in SET_NAMES},
                    "first50": float(np.nanmean([r["first50"] for r in runs])),
                    "last50": float(np.nanmean([r["last50"] for r in runs])),
                }
        overlap = {str(n): {"negative&positive": len(s["negative"] & s["positive"]),
                            "negative&neutral": len(s["negative"] & s["neutral"]),
                            "neutral&positive": len(s["neutral"] & s["positive"])} for n, s in sets_by_n.items()}
        set_means = {str(n): {name: set_stats(index, np.array(sorted(s[name])), spec["gt"], None)["mean"]
                              for name in SET_NAMES} for n, s in sets_by_n.items()}
        entry = {
            "title": spec["title"], "gt": spec["gt"], "sign": spec["sign"], "wording": list(wording),
            "wordings_tried": wording_report, "overlap": overlap, "set_means": set_means,
            "direction_confidence": {"paper": d_paper.confidence, "engine": d_engine.confidence},
            "seed": {"id": index.items[seeds[0]].id, "text": index.items[seeds[0]].text,
                     "value": gt(index.items[seeds[0]], spec["gt"])},
            "first_seed": {str(n): {m: per[n][m][0] for m in METHODS} for n in sets_by_n},
            "summary": summary, "engine_end_reasons": ends,
        }
        if plots:
            entry["plot"] = plot(spec, entry)
        results["attributes"][spec["key"]] = entry
    results["timing"] = watch.stamp()
    save("discovery_quick" if quick else "discovery", results)
    return results


def _mean_or_none(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


TITLES = {"baseline": "baseline: nearest neighbours", "paper": "GradREC as published",
          "engine": "engine (+ opposite prompt)", "engine_bit": "engine, intensity 0.25 (\"a bit\")"}


def plot(spec: dict[str, Any], entry: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(entry["first_seed"])
    fig, axes = plt.subplots(len(sizes), len(METHODS), figsize=(16, 3.6 * len(sizes)), sharey="row", squeeze=False)
    colours = {"negative": "#9ecae1", "neutral": "#4292c6", "positive": "#08306b"}
    labels = dict(zip(SET_NAMES, entry["wording"]))
    for row, n in zip(axes, sizes):
        for ax, m in zip(row, METHODS):
            run = entry["first_seed"][n][m]
            short = run["length"] < 2 * WINDOW
            for name in SET_NAMES:
                curve = run["cumulative" if short else "curves"][name]
                x = np.arange(1, len(curve) + 1) if short else np.arange(len(curve))
                ax.plot(x, curve, "--" if short else "-", label=f'"{labels[name]}"', color=colours[name], lw=2)
            what = "cumulative count, too short for windows" if short else f"window of {WINDOW}"
            ax.set_title(f"{TITLES[m]}\n{run['length']} items, sets of {n}; {what}", fontsize=9)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("set items", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("window start / items logged", fontsize=9)
    axes[0][0].legend(fontsize=8, loc="upper right")
    seed = entry["seed"]
    fig.suptitle(f"Discovery along {spec['title']}, from {seed['id']} ({spec['gt']} = {seed['value']})", fontsize=11)
    fig.tight_layout()
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / f"discovery_{spec['key']}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def markdown(results: dict[str, Any]) -> str:
    out = []
    for key, e in results["attributes"].items():
        neg, neu, pos = e["wording"]
        out.append(f"#### {e['title'].capitalize()}: \"{neg}\" / \"{neu}\" / \"{pos}\"\n")
        tried = "; ".join(
            "\"" + " / ".join(w["wording"]) + "\" (means of the sets of 100: "
            + ", ".join(f"{s['mean']:.2f}" for s in w["sets"])
            + f"; separation {w['separation']:.2f} sd" + ("" if w["ordered"] else ", not ordered") + ")"
            for w in e["wordings_tried"])
        out.append(f"Wordings tried, with the ground-truth `{e['gt']}` mean of each retrieved set: {tried}. "
                   f"Used: the best separated. Direction confidence: paper {e['direction_confidence']['paper']:.2f}, "
                   f"engine {e['direction_confidence']['engine']:.2f}.\n")
        for n, ov in e["overlap"].items():
            means = e["set_means"][n]
            out.append(f"* sets of {n}: ground-truth means {means['negative']:.2f} / {means['neutral']:.2f} / "
                       f"{means['positive']:.2f}; shared items negative&neutral {ov['negative&neutral']}, "
                       f"neutral&positive {ov['neutral&positive']}, negative&positive {ov['negative&positive']}")
        out.append("")
        if e.get("plot"):
            out.append(f"![discovery {key}]({e['plot']})\n")
        rows = []
        for n, by_method in e["summary"].items():
            for m, s in by_method.items():
                pk = s["peaks"]
                rows.append([n, TITLES[m], s["length"], s["order_ok_share"],
                             " / ".join("–" if pk[x] is None else f"{pk[x]:.0f}" for x in SET_NAMES),
                             s["trend"], s["first50"], s["last50"],
                             " / ".join(f"{s['found'][x]:.0f}" for x in SET_NAMES)])
        out.append(table(["sets of", "trajectory", "items logged", "peaks in order", "peak at (neg / neu / pos)",
                          "trend (Spearman)", "mean, first 50", "mean, last 50", "set items found (neg / neu / pos)"],
                         rows))
        out.append("")
    out.append(f"Means over {results['seeds']} seeds (the negative prompt's top {results['seeds']} items; the plots "
               f"show the first), {results['steps']} logged steps of {results['k_log']} items. \"Peaks in order\": "
               f"share of seeds whose window peaks (the argmax of each curve) come negative, neutral, positive "
               f"(– for trajectories under {2 * WINDOW} items: too few window positions). "
               f"Trend: Spearman correlation between position in the trajectory and the ground truth, signed "
               f"so that +1 is the asked direction. \"Mean, first/last 50\": ground truth of the first and last "
               f"50 items logged (the same items when fewer than 100 were logged).\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one attribute, short walks (smoke run)")
    ap.add_argument("--index", default=None, help="index folder (default var/index/sample)")
    args = ap.parse_args(argv)
    results = run(args.quick, args.index)
    print(markdown(results))
    print(f"\n(discovery took {results['timing']['seconds']} s)")


if __name__ == "__main__":
    main()
