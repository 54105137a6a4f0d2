"""Turn latency on big catalogs (issue 20): every turn kind, warm and cold, p50 / p95, the graded
step of issue 20 against the step before it (`graded_baseline`, a scan of the kind), same run,
same index, same seeds, one thread (as the launcher runs a server).

Each size is measured in a fresh process over the synthetic index `scale.py` builds with
`gradrec index --vectors` (the sample's rows repeated, its MiniLM vectors plus noise).

    python benchmarks/scale.py --turns 10000,100000,1000000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Warm: the turn's directions were built for the item before (a direction's prompts name the item's
# kind and colour). Cold: a new engine, nothing built but the index's structures and the encoder.
# (label, what the shopper says); None: the web chat's "another one" (three alternatives, after a "darker")
TURNS: tuple[tuple[str, str | None], ...] = (
    ("darker", "darker"),
    ("does it come in black?", "does it come in black?"),
    ("cheaper", "cheaper"),
    ("under 40", "under 40"),
    ("another one, web chat (3 alternatives)", None),
    ("what colours does it come in? (with examples)", "what colours does it come in?"),
)
COLD = ("a cold turn (a new direction), darker", "darker")


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(ms, 50)), 1), "p95": round(float(np.percentile(ms, 95)), 1),
            "n": len(ms)}


def probe(index_dir: str, trials: int) -> dict[str, Any]:
    """Run in the measuring process: load, build the per-kind structures, time every turn kind."""
    from benchmarks import graded_baseline
    from gradrec_core import Engine, load_index
    from gradrec_core.critique import take_turn
    from gradrec_core.kinds import structures
    from gradrec_core.store import SessionStore

    started = time.perf_counter()
    index = load_index(index_dir)
    out: dict[str, Any] = {"items": len(index), "load_s": round(time.perf_counter() - started, 1),
                           "largest_kind": int(max(len(index.rows_in_category(k)) for k in index.category_names))}
    engine = Engine(index)
    started = time.perf_counter()
    built = structures(index)
    for kind in index.category_names:
        built.kind_lists(kind or None)
    for c in index.schema.attributes:
        built.column_codes(c.name)
    out["structures_s"] = round(time.perf_counter() - started, 1)
    rng = np.random.default_rng(len(index))
    seeds = [index.items[int(r)].id for r in rng.choice(len(index), trials + 1, replace=False)]
    session = iter(range(10 ** 9))

    def turn(eng: Engine, text: str | None, seed: str) -> float:
        sid = f"s{next(session)}"
        eng.start(sid, seed)
        if text is None:
            take_turn(eng, sid, "darker")
            t = time.perf_counter()
            eng.alternatives(sid, 3)
        else:
            t = time.perf_counter()
            take_turn(eng, sid, text)
        return (time.perf_counter() - t) * 1000.0

    def both(label: str, run: Callable[[str], float], warm: bool = True) -> None:
        times: dict[str, list[float]] = {"new": [], "old": []}
        for i, seed in enumerate(seeds):
            if warm:  # the item's directions are built once (its phrase is in them), then both steps timed
                run(seed)
            for which in ("new", "old"):
                if which == "old":
                    with graded_baseline.reference():
                        ms = run(seed)
                else:
                    ms = run(seed)
                if i:  # the first seed warms the rest (axes, columns)
                    times[which].append(ms)
        out[label] = {k: _percentiles(v) for k, v in times.items()}
        print(f"  {len(index)}: {label}: new {out[label]['new']}, old {out[label]['old']}", flush=True)

    for label, text in TURNS:
        both(label, lambda seed, text=text: turn(engine, text, seed))  # type: ignore[misc]

    def cold(seed: str) -> float:  # a new engine: no direction, no axis cached; the same loaded encoder
        fresh = Engine(index, SessionStore("sqlite:///:memory:"), None, engine.encoder)
        return turn(fresh, COLD[1], seed)

    both(COLD[0], cold, warm=False)
    return out


def measure(index_dir: Path, trials: int) -> dict[str, Any]:
    """One size in a fresh process with one thread for FAISS and BLAS."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "GRADREC_FAISS_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, "-m", "benchmarks.scale_turns", str(index_dir), str(trials)],
                       capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[1])
    if r.returncode != 0:
        raise SystemExit(r.stderr[-4000:])
    sys.stdout.write("".join(line + "\n" for line in r.stdout.splitlines()[:-1]))
    return json.loads(r.stdout.splitlines()[-1])


def markdown(r: dict[str, Any]) -> str:
    """The turn-latency table of section 10: this step / the step before it (same run), p50 / p95
    ms per size, and the targets of issue 20 checked on the largest size measured."""
    sizes = r["sizes"]
    out = ["Runs (one per size; the 2 cores were shared with other work: absolute times are inflated, the "
           "two steps' ratio is same-run): " + "; ".join(
               f"{s['items']:,} started {s['run']['started']}, {s['run']['seconds'] / 60:.1f} min, load average "
               f"{s['run']['load_start']:.1f} -> {s['run']['load_end']:.1f}" for s in sizes) + ".\n",
           "| turn (p50 / p95 ms): this step (the step before it) | " + " | ".join(
               f"{s['items']:,}" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for label, _ in TURNS + (COLD,):
        cells = []
        for s in sizes:
            new, old = s[label]["new"], s[label]["old"]
            cells.append(f"{new['p50']:g} / {new['p95']:g} ({old['p50']:g} / {old['p95']:g})")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Per size: " + "; ".join(
        f"{s['items']:,} items (largest kind {s['largest_kind']:,}): loaded in {s['load_s']} s, per-kind "
        f"structures built in {s['structures_s']} s, {s['darker']['new']['n']} seeds per turn kind"
        for s in sizes) + ".\n")
    top = sizes[-1]
    if top["items"] >= 1_000_000:
        warm = [(label, top[label]["new"]["p95"]) for label, _ in TURNS]
        missed = [f"{label} {p95:g} ms" for label, p95 in warm if p95 >= 20.0]
        cold = top[COLD[0]]["new"]["p95"]
        out.append(f"Targets (issue 20) at {top['items']:,} items: every warm turn p95 < 20 ms is "
                   + (f"**missed** ({'; '.join(missed)})" if missed else "**met**")
                   + f"; a cold turn p95 < 100 ms is **{'met' if cold < 100 else 'missed'}** ({cold:g} ms). "
                   "3.2M items were not measured.")
    else:
        out.append(f"The targets of issue 20 (at 1M and 3.2M items) are not checked here: the largest size "
                   f"measured is {top['items']:,}.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], int(sys.argv[2]))))
