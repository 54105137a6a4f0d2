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

    def turn(eng: Engine, text: str | None, seed: str) -> tuple[float, float]:
        """The turn's wall-clock and CPU milliseconds (its thread's: the 2 cores are shared)."""
        sid = f"s{next(session)}"
        eng.start(sid, seed)
        if text is None:
            take_turn(eng, sid, "darker")
            t, cpu = time.perf_counter(), time.thread_time()
            eng.alternatives(sid, 3)
        else:
            t, cpu = time.perf_counter(), time.thread_time()
            take_turn(eng, sid, text)
        return (time.perf_counter() - t) * 1000.0, (time.thread_time() - cpu) * 1000.0

    def both(label: str, run: Callable[[str], tuple[float, float]], warm: bool = True) -> None:
        times: dict[str, list[float]] = {"new": [], "old": [], "new_cpu": [], "old_cpu": []}
        for i, seed in enumerate(seeds):
            if warm:  # the item's directions are built once (its phrase is in them), then both steps timed
                run(seed)
            for which in ("new", "old"):
                if which == "old":
                    with graded_baseline.reference():
                        ms, cpu = run(seed)
                else:
                    ms, cpu = run(seed)
                if i:  # the first seed warms the rest (axes, columns)
                    times[which].append(ms)
                    times[f"{which}_cpu"].append(cpu)
        out[label] = {k: _percentiles(v) for k, v in times.items()}
        out[label]["load"] = round(os.getloadavg()[0], 1)  # the machine's, as this kind ended
        print(f"  {len(index)}: {label}: new {out[label]['new']} (CPU {out[label]['new_cpu']}), old "
              f"{out[label]['old']} (CPU {out[label]['old_cpu']})", flush=True)

    for label, text in TURNS:
        both(label, lambda seed, text=text: turn(engine, text, seed))  # type: ignore[misc]

    def cold(seed: str) -> tuple[float, float]:  # a new engine: no direction, no axis cached; the same loaded encoder
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
    """The turn-latency tables of section 10: this step / the step before it (same run), p50 / p95
    ms per size, wall clock and the turn's own CPU time, and the targets of issue 20 checked on
    the sizes they name."""
    sizes = r["sizes"]
    out = ["Runs (one per size; the 2 cores were shared with other work: absolute wall times are inflated, "
           "the two steps' ratio and the CPU times are what stays valid): " + "; ".join(
               f"{s['items']:,} started {s['run']['started']}, {s['run']['seconds'] / 60:.1f} min, load average "
               f"{s['run']['load_start']:.1f} -> {s['run']['load_end']:.1f}" for s in sizes) + ".\n"]
    for title, new_key, old_key in (("wall clock", "new", "old"), ("CPU time of the turn's thread", "new_cpu",
                                                                   "old_cpu")):
        with_key = [s for s in sizes if new_key in s["darker"]]
        if not with_key:
            continue
        out += [f"| turn (p50 / p95 ms, {title}): this step (the step before it) | " + " | ".join(
            f"{s['items']:,}" for s in with_key) + " |", "|---|" + "---|" * len(with_key)]
        for label, _ in TURNS + (COLD,):
            cells = []
            for s in with_key:
                new, old = s[label][new_key], s[label][old_key]
                cells.append(f"{new['p50']:g} / {new['p95']:g} ({old['p50']:g} / {old['p95']:g})")
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("Per size: " + "; ".join(
        f"{s['items']:,} items (largest kind {s['largest_kind']:,}): loaded in {s['load_s']} s, per-kind "
        f"structures built in {s['structures_s']} s, {s['darker']['new']['n']} seeds per turn kind"
        + (f", load average per turn kind {', '.join(str(s[label]['load']) for label, _ in TURNS + (COLD,))}"
           if "load" in s["darker"] else "")
        for s in sizes) + ".\n")
    targets = []
    for n, limit in ((1_000_000, 20.0), (3_200_000, 50.0)):
        s = next((s for s in sizes if s["items"] == n), None)
        if s is None:
            targets.append(f"at {n:,} items (every warm turn p95 < {limit:g} ms): not measured")
            continue
        for key, what in (("new", "wall clock"), ("new_cpu", "CPU time")):
            if key not in s["darker"]:
                continue
            missed = [f"{label} {s[label][key]['p95']:g} ms" for label, _ in TURNS if s[label][key]["p95"] >= limit]
            targets.append(f"at {n:,} items every warm turn p95 < {limit:g} ms ({what}) is "
                           + (f"**missed** ({'; '.join(missed)})" if missed else "**met**")
                           + (f", worst {max(s[label][key]['p95'] for label, _ in TURNS):g} ms" if not missed else ""))
        if n == 1_000_000:
            for key, what in (("new", "wall clock"), ("new_cpu", "CPU time")):
                if key in s[COLD[0]]:
                    cold = s[COLD[0]][key]["p95"]
                    targets.append(f"a cold turn p95 < 100 ms at 1,000,000 ({what}) is "
                                   f"**{'met' if cold < 100 else 'missed'}** ({cold:g} ms)")
    out.append("Targets (issue 20): " + "; ".join(targets) + ".")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], int(sys.argv[2]))))
