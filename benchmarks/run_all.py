"""Run every benchmark and write docs/RESULTS.md (tables, plots, machine and timing header).

    python benchmarks/run_all.py            # everything (~45-65 min on 2 cores; needs `make retail`)
    python benchmarks/run_all.py --quick    # smoke run (< 5 min); writes var/bench/RESULTS_quick.md
    python benchmarks/run_all.py --report-only   # rebuild docs/RESULTS.md from docs/results/*.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import any_catalog, chat_latency, critiques, discovery, gradient_metrics, nlu_heldout, speed  # noqa: E402
from benchmarks import load as load_bench  # noqa: E402
from benchmarks import shopper as shopper_bench  # noqa: E402
from benchmarks.common import DOCS, VAR_BENCH, Stopwatch, load, machine, save  # noqa: E402
from benchmarks.report import render  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run of every benchmark (< 3 min)")
    ap.add_argument("--report-only", action="store_true", help="only rebuild the report from docs/results/")
    ap.add_argument("--index", default=None, help="index folder (default var/index/sample)")
    args = ap.parse_args(argv)
    suffix = "_quick" if args.quick else ""
    if not args.report_only:
        watch = Stopwatch()
        sections = {}
        for name, fn in (("discovery", lambda: discovery.run(args.quick, args.index)),
                         ("gradient_metrics", lambda: gradient_metrics.run(args.quick, None, args.index)),
                         ("speed", lambda: speed.run(args.quick, None, args.index)),
                         ("chat_latency", lambda: chat_latency.run(args.quick, args.index)),
                         ("critiques", lambda: critiques.run(args.quick, args.index)),
                         ("critiques_retail", lambda: critiques.run(args.quick, None, critiques.retail_truth())),
                         ("load", lambda: load_bench.run(args.quick, args.index)),
                         ("shopper", lambda: shopper_bench.run(args.quick)),
                         ("any_catalog", lambda: any_catalog.run(args.quick)),
                         ("nlu_heldout", lambda: nlu_heldout.main(["--no-save"] if args.quick else []))):
            print(f"== {name}", file=sys.stderr, flush=True)
            t = time.perf_counter()
            fn()
            sections[name] = round(time.perf_counter() - t, 1)
        save(f"run_all{suffix}", {"machine": machine(), "sections_s": sections, "quick": args.quick,
                                  **watch.stamp()})
    results = {name: load(f"{name}{suffix}")
               for name in ("discovery", "gradient_metrics", "speed", "chat_latency", "critiques", "load", "run_all")}
    missing = [k for k, v in results.items() if v is None]
    if missing:
        raise SystemExit(f"no results for {', '.join(missing)}: run without --report-only first")
    results["critiques_retail"] = load(f"critiques_retail{suffix}")  # optional: needs `make retail`
    results["shopper"] = load(f"shopper{suffix}")  # optional: `benchmarks/shopper.py` needs `make retail`
    results["any_catalog"] = load(f"any_catalog{suffix}")  # optional: older result sets lack it
    results["scale"] = load(f"scale{suffix}")  # benchmarks/scale.py, run on its own (section 10)
    results["scale_memory"] = load("scale_memory")  # benchmarks/scale.py --memory, run on its own
    results["encoding"] = load(f"encoding{suffix}")  # benchmarks/encoding.py, run on its own (section 10)
    results["scale_turns"] = load("scale_turns")  # benchmarks/scale.py --turns, on its own (section 10)
    results["nlu_heldout"] = load("nlu_heldout")  # optional: needs Rasa's environment and a trained model
    text = render(results)
    out = (VAR_BENCH / "RESULTS_quick.md") if args.quick else (DOCS / "RESULTS.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
