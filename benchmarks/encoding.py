"""Indexing speed of the MiniLM encoder's backends against a plain transformers loop (issue 20 part 4).

Same run, same texts (N sample-catalog texts in file order):

* the baseline: what a shop writes first: the bundled model's tokenizer + AutoModel, mean pooling
  over the attention mask, L2 normalisation, batch 64, catalog order, float32;
* `gradrec index`'s encoder with each backend (`MiniLMEncoder.encode_texts`: length-sorted
  batches of the backend's size, `BATCH_SIZES`; torch, onnx, onnx-int8);
* references: the plain loop at other batch sizes (`--plain-batches`, default 8: the ONNX
  backends' size), to show what the batch size alone does to it.

The variants are run in interleaved rounds (the 2 cores are shared, so the load drifts): in each
round every variant encodes each chunk of 128 texts in turn, in a random order, and its rate is
the texts over its summed time; the rate of each is its best round and its median round, the speed-up is against the baseline's best
(and median). The CPU time of each call (the process's, all its threads) is summed the same way:
items per CPU second, median round, against the baseline's (what the encoder costs a machine
shared with other work, less sensitive to the load than the wall clock). Quality: recall@10 of 200 shopper-shaped queries (the opening 2-6 words of other
items' texts) against the float model's top 10, each backend embedding both the queries and the
items, and of a second, disjoint set of 200 (the opening 3-8 words of yet other items), so that a
backend chosen on the first is checked on queries it was not chosen on; and the cosine of each
item vector to the float model's.

    python benchmarks/encoding.py [--texts 1024] [--rounds 3] [--plain-batches 8] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_INDEX, Stopwatch, machine, save  # noqa: E402

QUERIES = 200
CHUNK = 128  # texts per turn of each variant: the load drifts within a round, every variant sees it
RECALL_TARGET = 0.98
SPEED_TARGET = 3.0


def plain_loop(folder: str, batch: int = 64) -> Any:
    """The baseline: a plain transformers loop over the texts in file order, batch 64 (other
    batch sizes: references, to show what the batch size alone does)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()

    def run(texts: list[str]) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch):
                enc = tokenizer(texts[i:i + batch], padding=True, truncation=True, max_length=256, return_tensors="pt")
                tokens = model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).float()
                pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(out)
    return run


def recall_at_10(truth_q: np.ndarray, truth_items: np.ndarray, q: np.ndarray, items: np.ndarray) -> float:
    truth = np.argsort(-(truth_q @ truth_items.T), axis=1)[:, :10]
    found = np.argsort(-(q @ items.T), axis=1)[:, :10]
    return float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)]))


def measure(n: int, rounds: int, backends: list[str], plain_batches: list[int]) -> dict[str, Any]:
    from gradrec_core import load_index
    from gradrec_core.encoders import BATCH_SIZES, DEFAULT_BACKEND, MiniLMEncoder, encoder_threads

    index = load_index(DEFAULT_INDEX)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(index), min(n, len(index)), replace=False))
    texts = [index.items[r].text for r in rows]
    others = rng.choice(np.setdiff1d(np.arange(len(index)), rows), QUERIES, replace=False)
    queries = [" ".join(index.items[r].text.split()[:k]) for r, k in zip(others, rng.integers(2, 7, QUERIES))]
    rest = np.setdiff1d(np.arange(len(index)), np.concatenate([rows, others]))
    queries2 = [" ".join(index.items[r].text.split()[:k])
                for r, k in zip(rng.choice(rest, QUERIES, replace=False), rng.integers(3, 9, QUERIES))]
    encoders = {b: MiniLMEncoder(backend=b) for b in backends}
    for enc in encoders.values():
        enc._ensure_loaded()  # model loads and the ONNX export (once) before timing
    base = plain_loop(next(iter(encoders.values())).model_path)
    runs: dict[str, Any] = {"plain_loop": base}
    runs.update({f"plain_loop_batch_{b}": plain_loop(next(iter(encoders.values())).model_path, b)
                 for b in plain_batches if b != 64})
    runs.update({b: (lambda t, e=e: e.encode_texts(t, progress=False)) for b, e in encoders.items()})
    for run in runs.values():
        run(texts[:64])  # warm
    rates: dict[str, list[float]] = {k: [] for k in runs}
    cpu_rates: dict[str, list[float]] = {k: [] for k in runs}
    loads = [os.getloadavg()[0]]
    dim = next(iter(encoders.values())).dim
    vectors = {name: np.zeros((len(texts), dim), dtype=np.float32) for name in runs}
    for r in range(rounds):
        spent, cpu = dict.fromkeys(runs, 0.0), dict.fromkeys(runs, 0.0)
        for start in range(0, len(texts), CHUNK):  # every variant on each chunk, in a random order
            for name in rng.permutation(list(runs)):
                started, cpu_started = time.perf_counter(), time.process_time()
                vectors[name][start:start + CHUNK] = runs[name](texts[start:start + CHUNK])
                spent[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - cpu_started
        for name in runs:
            rates[name].append(len(texts) / spent[name])
            cpu_rates[name].append(len(texts) / max(cpu[name], 1e-9))
        loads.append(os.getloadavg()[0])
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()) + " items/s", flush=True)
    import torch

    out: dict[str, Any] = {"texts": len(texts), "queries": QUERIES, "rounds": rounds, "default": DEFAULT_BACKEND,
                           "batch_sizes": {b: BATCH_SIZES[b] for b in backends},
                           "torch_threads": torch.get_num_threads(), "onnx_threads": encoder_threads(),
                           "load_per_round": [round(x, 1) for x in loads], "backends": {}}
    float_q, float_q2 = base(queries), base(queries2)
    best0, med0 = max(rates["plain_loop"]), float(np.median(rates["plain_loop"]))
    for name, run in runs.items():
        row: dict[str, Any] = {"best": round(max(rates[name]), 1), "median": round(float(np.median(rates[name])), 1),
                               "x_best": round(max(rates[name]) / best0, 2),
                               "x_median": round(float(np.median(rates[name])) / med0, 2),
                               "cpu_median": round(float(np.median(cpu_rates[name])), 1),
                               "x_cpu_median": round(float(np.median(cpu_rates[name]))
                                                     / float(np.median(cpu_rates["plain_loop"])), 2)}
        q, q2 = (float_q, float_q2) if name == "plain_loop" else (run(queries), run(queries2))
        row["recall_at_10"] = round(recall_at_10(float_q, vectors["plain_loop"], q, vectors[name]), 4)
        row["recall_at_10_second"] = round(recall_at_10(float_q2, vectors["plain_loop"], q2, vectors[name]), 4)
        cos = (vectors[name] * vectors["plain_loop"]).sum(axis=1)
        row["cosine_min"], row["cosine_mean"] = round(float(cos.min()), 5), round(float(cos.mean()), 6)
        out["backends"][name] = row
    return out


def verdict(r: dict[str, Any]) -> tuple[str | None, bool]:
    """The fastest backend with recall@10 >= 0.98 and whether it reaches 3x (by its median)."""
    good = {k: v for k, v in r["backends"].items()
            if not k.startswith("plain_loop") and min(v["recall_at_10"], v.get("recall_at_10_second", 1)) >= RECALL_TARGET}
    if not good:
        return None, False
    best = max(good, key=lambda k: good[k]["x_median"])
    return best, good[best]["x_median"] >= SPEED_TARGET


def markdown(r: dict[str, Any]) -> str:
    run = r["run"]
    lines = [f"**Indexing speed** (`python benchmarks/encoding.py`, run {run['started']}, {run['seconds'] / 60:.1f} min; "
             f"{r['texts']} sample-catalog texts, {r['rounds']} interleaved rounds (chunks of {CHUNK} texts), "
             f"{r['torch_threads']} torch threads, "
             f"{r['onnx_threads']} ONNX Runtime threads; load average per round {r['load_per_round']} on 2 cores: "
             "the machine was shared, absolute rates are low, the ratios are same-run):\n",
             "| encoder | items/s best / median | x plain loop (best / median) | items per CPU s (x plain loop) "
             "| recall@10 vs float (second query set) | cosine vs float (min / mean) |",
             "|---|---|---|---|---|---|"]
    label = {"plain_loop": "plain transformers loop (batch 64, catalog order, float32)"}
    sizes = r.get("batch_sizes", {})
    for name, row in r["backends"].items():
        if name.startswith("plain_loop_batch_"):
            title = f"plain loop at batch {name.rsplit('_', 1)[1]} (a reference: the batch size alone)"
        else:
            title = label.get(name, f"`--backend {name}`" + (" (default)" if name == r["default"] else "")
                              + (f", batch {sizes[name]}" if name in sizes else ""))
        lines.append(f"| {title} | {row['best']} / {row['median']} | {row['x_best']} / {row['x_median']} | "
                     f"{row.get('cpu_median', '-')} ({row.get('x_cpu_median', '-')}) | "
                     f"{row['recall_at_10']} ({row.get('recall_at_10_second', '-')}) | {row['cosine_min']} / {row['cosine_mean']} |")
    best, met = verdict(r)
    lines.append("")
    lines.append(f"Recall@10: {r['queries']} queries (the opening 2-6 words of other items' texts; in brackets a "
                 "second, disjoint set: the opening 3-8 words of yet other items), each backend's "
                 "query and item vectors, against the float model's top 10. Target (>= 3x with recall@10 >= 0.98 "
                 "on both sets): "
                 + (f"**{'met' if met else 'missed'}**: the fastest backend that keeps the neighbours is "
                    f"`{best}`, {r['backends'][best]['x_median']}x (median)" if best else "**missed**: no backend keeps "
                    "the neighbours") + ".")
    return "\n".join(lines) + "\n"


def main() -> None:
    from gradrec_core.encoders import BACKENDS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--plain-batches", default="8",
                        help="comma-separated batch sizes of the plain loop run as references (64 is the baseline)")
    parser.add_argument("--quick", action="store_true", help="64 texts, one round (a smoke run)")
    args = parser.parse_args()
    watch = Stopwatch()
    result = measure(64 if args.quick else args.texts, 1 if args.quick else args.rounds, args.backends.split(","),
                     [int(b) for b in args.plain_batches.split(",") if b])
    result["machine"] = machine()
    result["run"] = watch.stamp()
    path = save("encoding_quick" if args.quick else "encoding", result)
    print(markdown(result))
    print(path)


if __name__ == "__main__":
    main()
