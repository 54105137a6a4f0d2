"""A shop with many items (issue 20): indexing, catalog updates, and an index's load time and memory.

* Indexing throughput, same run: a plain transformers loop (batch 64, catalog order, the float
  model) against `gradrec index`'s encoders (torch: length-sorted batches; onnx: the int8 ONNX
  Runtime backend), over the sample catalog's texts; the int8 vectors' recall@10 against the
  float model's for the same queries.
* Updates: a catalog of N rows (the sample's rows repeated with new ids and a variant number in
  the text) indexed once from vectors (`--vectors`), then 1% of its rows' texts changed and
  `gradrec index` run on it as a shop would: only those rows are embedded. A full build's time is
  N / the measured items/s (not run: hours at 1M).
* Load and memory: `load_index` of each N-row index in a fresh process: seconds and RSS, and
  the RSS after an engine answers a first turn.

Synthetic vectors: the sample's real MiniLM vectors plus Gaussian noise (norm ~0.3), unit rows.

    python benchmarks/scale.py [--quick] [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DEFAULT_INDEX, REPO, VAR_BENCH, Stopwatch, load, machine, save  # noqa: E402
from gradrec_core.encoders import DEFAULT_BACKEND  # noqa: E402

SAMPLE_CSV = REPO / "data" / "catalog" / "sample" / "items.csv"
BASELINE_COMMIT = "47d5e68f4a7748a6cb32f22bed94e32821815aac"  # the last commit with index format 1 (items.jsonl)
INDEX_ARGS = ["--text-columns", "name,description", "--category-column", "kind", "--name-column", "name",
              "--numeric-columns", "price,heel_cm"]


def gradrec(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "gradrec_core.cli", *args], capture_output=True, text=True,
                       env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if r.returncode != 0:
        raise SystemExit(f"gradrec {' '.join(args[:1])} failed: {r.stderr.strip()}")
    return time.perf_counter() - started, r.stdout.strip()


# --------------------------------------------------------------------------- indexing speed

def indexing(n: int) -> dict[str, Any]:
    import torch

    from gradrec_core import load_index
    from gradrec_core.encoders import MiniLMEncoder

    index = load_index(DEFAULT_INDEX)
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(index), min(n, len(index)), replace=False))
    texts = [index.items[r].text for r in rows]
    plain = MiniLMEncoder(backend="torch")
    plain._ensure_loaded()
    fused = MiniLMEncoder(backend="onnx")
    fused._ensure_loaded()  # the export happens once, before timing
    fast = MiniLMEncoder(backend="onnx-int8")
    fast._ensure_loaded()
    vino = MiniLMEncoder(backend="openvino")
    vino._ensure_loaded()
    out: dict[str, Any] = {"texts": len(texts), "torch_threads": torch.get_num_threads()}

    def timed(label: str, run: Any) -> np.ndarray:
        run(texts[:64])  # warm
        started = time.perf_counter()
        vectors = run(texts)
        out[label] = round(len(texts) / (time.perf_counter() - started), 1)
        print(f"  {label}: {out[label]} items/s", flush=True)
        return vectors

    def loop(batch: list[str]) -> np.ndarray:  # what a shop writes first: no sorting, batch 64
        with torch.inference_mode():
            return np.concatenate([plain._embed_batch(batch[i:i + 64]) for i in range(0, len(batch), 64)])

    base = timed("plain_loop", loop)
    timed("torch", lambda b: plain.encode_texts(b, progress=False))
    onnx = timed("onnx", lambda b: fused.encode_texts(b, progress=False))
    int8 = timed("onnx_int8", lambda b: fast.encode_texts(b, progress=False))
    ov = timed("openvino", lambda b: vino.encode_texts(b, progress=False))
    base_again = timed("plain_loop_again", loop)  # the machine's load drifts: the baseline twice
    baseline = (out["plain_loop"] + out["plain_loop_again"]) / 2
    for name in ("torch", "onnx", "onnx_int8", "openvino"):
        out[f"{name}_x"] = round(out[name] / baseline, 2)
    others = rng.choice(np.setdiff1d(np.arange(len(index)), rows), 80, replace=False)
    queries = [" ".join(index.items[r].text.split()[:k]) for r, k in zip(others, rng.integers(2, 7, 80))]
    truth = np.argsort(-(plain.encode_texts(queries, progress=False) @ base.T), axis=1)[:, :10]
    for name, enc, vectors in (("onnx", fused, onnx), ("onnx_int8", fast, int8), ("openvino", vino, ov)):
        found = np.argsort(-(enc.encode_texts(queries, progress=False) @ vectors.T), axis=1)[:, :10]
        out[f"{name}_recall_at_10"] = round(float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])), 4)
        cos = (vectors * base).sum(axis=1)
        out[f"{name}_cosine_min"] = round(float(cos.min()), 4)
    assert np.allclose(base, base_again)
    return out


# --------------------------------------------------------------------------- big catalogs

def synthetic(n: int, folder: Path, rng: np.random.Generator) -> tuple[Path, Path]:
    """An n-row catalog (the sample's rows with new ids, the text numbered) and its vectors,
    written in chunks (3.2M rows' vectors are 4.9 GB: never a second copy in memory)."""
    from gradrec_core import load_index

    index = load_index(DEFAULT_INDEX)
    with open(SAMPLE_CSV, newline="") as f:
        sample = list(csv.DictReader(f))
    sample_vectors = np.asarray(index.vectors)[[index.row(s["id"]) for s in sample]]
    catalog, path = folder / f"catalog-{n}.csv", folder / f"vectors-{n}.npy"
    with open(catalog, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(sample[0]))
        w.writeheader()
        for i in range(n):
            row = dict(sample[i % len(sample)])
            row["id"] = f"{row['id']}-{i}"
            row["description"] = f"{row['description']} Style {i}."
            row["image"] = ""
            w.writerow(row)
    vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, sample_vectors.shape[1]))
    for start in range(0, n, 100_000):
        rows = np.arange(start, min(n, start + 100_000)) % len(sample)
        chunk = sample_vectors[rows] + rng.standard_normal((len(rows), sample_vectors.shape[1]), dtype=np.float32) \
            * np.float32(0.3 / np.sqrt(sample_vectors.shape[1]))
        vectors[start:start + len(rows)] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    vectors.flush()
    del vectors
    return catalog, path


def big(n: int, folder: Path, items_per_s: float, backend: str = "torch") -> dict[str, Any]:
    rng = np.random.default_rng(n)
    started = time.perf_counter()
    catalog, vectors = synthetic(n, folder, rng)
    out: dict[str, Any] = {"items": n, "generate_s": round(time.perf_counter() - started, 1)}
    index_dir = folder / f"index-{n}"
    out["build_from_vectors_s"], _ = gradrec("index", str(catalog), "--out", str(index_dir), *INDEX_ARGS,
                                             "--vectors", str(vectors))
    print(f"  {n}: built from --vectors in {out['build_from_vectors_s']:.1f}s", flush=True)
    r = subprocess.run(probe_argv(index_dir, "first", ["cheaper"]), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    probe = json.loads(r.stdout)
    out.update(load_s=probe["import_and_load_s"], rss_before_mb=probe["started"]["VmRSS"],
               rss_loaded_mb=probe["loaded"]["VmRSS"], rss_after_turn_mb=probe["served"]["VmRSS"],
               first_turn_s=probe["turns_s"]["cheaper"])
    print(f"  {n}: loads in {out['load_s']}s, RSS {out['rss_loaded_mb']} MB, after a turn {out['rss_after_turn_mb']} MB",
          flush=True)
    # an update: the same catalog with 1% of its texts changed, indexed as a shop would (the
    # --vectors index holds no content hashes, so a first encoder-made version is needed: its
    # rows' hashes are written for the vectors above, as `gradrec index` would have)
    from gradrec_core import CatalogSpec, load_catalog
    from gradrec_core.index import IndexConfig, write_index
    from gradrec_core.indexing import row_keys
    from gradrec_core.encoders import MINILM_HUB_ID

    spec = CatalogSpec(text_columns=("name", "description"), category_column="kind", name_column="name",
                       numeric_columns=("price", "heel_cm"))
    loaded = load_catalog(catalog, spec)
    encoder_dir = folder / f"index-{n}-encoder"
    manifest = {"encoder": "minilm", "model": MINILM_HUB_ID, "backend": backend, "vectors": "encoder",
                "fingerprint": "bench", "catalog": {"text_columns": ["name", "description"]}}
    write_index(encoder_dir, loaded.items, np.load(vectors), manifest, IndexConfig(), row_keys(loaded.items, "minilm"))
    del loaded
    changed = folder / f"catalog-{n}-changed.csv"
    with open(catalog, newline="") as f, open(changed, "w", newline="") as g:
        reader = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=reader.fieldnames or [])
        w.writeheader()
        picked = set(rng.choice(n, n // 100, replace=False).tolist())
        for i, row in enumerate(reader):
            if i in picked:
                row["description"] += " Now in organic cotton."
            w.writerow(row)
    out["load_before_update"] = round(os.getloadavg()[0], 1)
    out["update_s"], said = gradrec("index", str(changed), "--out", str(encoder_dir), *INDEX_ARGS)
    out["load_after_update"] = round(os.getloadavg()[0], 1)
    out["update_said"] = said.replace(f"{folder}/", "")  # no machine paths in the results
    out["full_build_s_estimated"] = round(n / items_per_s, 1)
    out["update_share_of_full_build"] = round(out["update_s"] / out["full_build_s_estimated"], 4)
    print(f"  {n}: update of 1% in {out['update_s']:.1f}s ({said}); a full build ~{out['full_build_s_estimated']:.0f}s",
          flush=True)
    return out


# --------------------------------------------------------------------------- load and memory

PROBE = """
import json, sys, time
from pathlib import Path
def mem():
    d = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            d[key] = round(int(value.split()[0]) / 1024)
    return d
started = mem()
t = time.perf_counter()
from gradrec_core import Engine, load_index
from gradrec_core.critique import take_turn
imported = time.perf_counter() - t
before = mem()
t = time.perf_counter()
index = load_index(sys.argv[1])
loaded = time.perf_counter() - t
after_load = mem()
engine = Engine(index)
turns = {}
t = time.perf_counter()
engine.start("s", index.items[0 if sys.argv[2] == "first" else len(index) // 2].id)
for text in json.loads(sys.argv[3]):
    started_turn = time.perf_counter()
    take_turn(engine, "s", text)
    turns[text] = round(time.perf_counter() - started_turn, 2)
served = time.perf_counter() - t
print(json.dumps({"import_s": round(imported, 2), "load_s": round(loaded, 2),
                  "import_and_load_s": round(imported + loaded, 2), "started": started, "before": before,
                  "loaded": after_load, "served": mem(), "first_turns_s": round(served, 1), "turns_s": turns}))
"""
SERVED_TURNS = ["cheaper", "darker", "does it come in black?", "under 40", "another one"]


def probe_argv(index_dir: Path, start: str, turns: list[str]) -> list[str]:
    """The command that loads `index_dir` in a fresh process, starts a walk at its first or middle
    item (`start`: "first" or "middle") and takes `turns`, printing times and memory as JSON."""
    return [sys.executable, "-c", PROBE, str(index_dir), start, json.dumps(turns)]


DIRECT_BUILD = """
import sys
import numpy as np
from gradrec_core import load_index
from gradrec_core.index import IndexConfig, read_manifest, write_index
from gradrec_core.types import Item
small_dir, vectors, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
small = load_index(small_dir)
period = int(sys.argv[5])  # the sample's rows repeat with this period

class Rows:  # row i of the synthetic catalog, made from row i % period of the small build's
    def __len__(self):
        return n
    def __iter__(self):
        return (self[i] for i in range(n))
    def __getitem__(self, i):
        j = i % period
        it = small.items[j]
        meta = dict(it.metadata)
        meta["description"] = meta["description"][:-len(f" Style {j}.")] + f" Style {i}."
        return Item(it.id[:-len(f"-{j}")] + f"-{i}", it.text[:-len(f" Style {j}")] + f" Style {i}", it.category,
                    it.image, meta)

manifest = {k: v for k, v in read_manifest(small_dir).items()
            if k not in ("version", "count", "created", "format", "dim", "index", "space")}
write_index(out, Rows(), np.load(vectors, mmap_mode="r"), {**manifest, "fingerprint": "bench-direct"}, IndexConfig())
"""


def _meminfo_mb(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) // 1024
    return 0


def _available_mb() -> int:
    return _meminfo_mb("MemAvailable")


def _total_mb() -> int:
    return _meminfo_mb("MemTotal")


def _timed_rss(cmd: list[str], **kwargs: Any) -> tuple[float, int, str]:
    """Run a command: (seconds, its peak RSS in MB, its stdout)."""
    started = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", *cmd], capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {r.stderr.strip()[-2000:]}")
    peak = int(r.stderr.strip().splitlines()[-1].split("=")[1]) // 1024
    return time.perf_counter() - started, peak, r.stdout.strip()


def _row_by_row(n: int, direct_from: int) -> bool:
    """Whether an n-row index is written row by row: from `direct_from` rows up, or when
    `gradrec index` (the whole catalog as Python objects, ~6 GB per 1M rows) would not fit."""
    return _NEED_MB_PER_M["build"] * n / 1e6 + 1_000 > _available_mb() or n >= direct_from


def direct_build(folder: Path, catalog: Path, vectors: Path, n: int, index_dir: Path) -> list[str]:
    """The command that writes the index of `catalog` (the sample's rows repeated) by
    `write_index` from rows made one at a time: the same columns as `gradrec index` writes, from
    a small index of one repetition made by it."""
    with open(SAMPLE_CSV, newline="") as f:
        period = sum(1 for _ in csv.DictReader(f))
    small_catalog, small_dir = folder / f"catalog-{period}-head.csv", folder / f"index-{period}-head"
    with open(catalog, newline="") as f, open(small_catalog, "w", newline="") as g:
        csv.writer(g).writerows(row for _, row in zip(range(period + 1), csv.reader(f)))
    np.save(folder / "vectors-head.npy", np.load(vectors, mmap_mode="r")[:period])
    gradrec("index", str(small_catalog), "--out", str(small_dir), *INDEX_ARGS, "--vectors",
            str(folder / "vectors-head.npy"))
    return [sys.executable, "-c", DIRECT_BUILD, str(small_dir), str(vectors), str(n), str(index_dir), str(period)]


def baseline_code(folder: Path, commit: str) -> Path:
    """The engine as it was before items were stored by column (`git archive` of `commit`)."""
    out = folder / f"code-{commit[:10]}"
    if not (out / "gradrec_core").is_dir():
        out.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "gradrec_core"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


# memory a format needs per million items when loading and serving (measured, rounded up; format
# 2: its own memory and the row-by-row writer's, the mapped pages being evictable): what decides
# whether a size is run here
_NEED_MB_PER_M = {"columns": 1_000, "jsonl": 6_500, "build": 6_500}


def load_memory(n: int, folder: Path, old_code: Path | None, direct_from: int = 1 << 62) -> dict[str, Any]:
    """Build an n-item index from vectors in today's format and, where it fits, in the format
    before it (items.jsonl, `old_code`); load each in a fresh process and serve five turns."""
    out: dict[str, Any] = {"items": n}
    catalog, vectors = folder / f"catalog-{n}.csv", folder / f"vectors-{n}.npy"
    if not catalog.is_file() or not vectors.is_file():
        started = time.perf_counter()
        catalog, vectors = synthetic(n, folder, np.random.default_rng(n))
        out["generate_s"] = round(time.perf_counter() - started, 1)
    for label, code in (("columns", None), ("jsonl", old_code)):
        if code is None and label == "jsonl":
            continue
        need = _NEED_MB_PER_M[label] * n / 1e6 + 1_000
        if need > _total_mb():
            out[label] = {"skipped": f"needs ~{need / 1024:.0f} GB, more than this machine's {_total_mb() / 1024:.0f} GB"}
            print(f"  {n} {label}: skipped ({out[label]['skipped']})", flush=True)
            continue
        if need > _available_mb():
            out[label] = {"skipped": f"needs ~{need / 1024:.0f} GB, {_available_mb() / 1024:.0f} GB available"}
            print(f"  {n} {label}: skipped ({out[label]['skipped']})", flush=True)
            continue
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        if code is not None:
            env["PYTHONPATH"] = str(code)
        index_dir = folder / f"index-{n}-{label}"
        shutil.rmtree(index_dir, ignore_errors=True)
        build = [sys.executable, "-m", "gradrec_core.cli", "index", str(catalog), "--out", str(index_dir),
                 *INDEX_ARGS, "--vectors", str(vectors)]
        if code is None and _row_by_row(n, direct_from):
            build = direct_build(folder, catalog, vectors, n, index_dir)
            out["built_by"] = "write_index, rows made one at a time (gradrec index would not fit)"
        build_s, build_peak, _ = _timed_rss(build, env=env, cwd=str(code or REPO))
        _, probe_peak, said = _timed_rss(probe_argv(index_dir, "middle", SERVED_TURNS), env=env,
                                         cwd=str(code or REPO))
        r = json.loads(said.splitlines()[-1])
        r.update(build_s=round(build_s, 1), build_peak_mb=build_peak, peak_mb=probe_peak,
                 disk_mb=round(sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) / 2**20))
        out[label] = r
        print(f"  {n} {label}: built in {build_s:.0f}s (peak {build_peak} MB), loads in {r['load_s']}s, RSS "
              f"{r['loaded']['VmRSS']} MB loaded, {r['served']['VmRSS']} MB served (anonymous "
              f"{r['served']['RssAnon']} MB), peak {probe_peak} MB; first turns {r['turns_s']}", flush=True)
        shutil.rmtree(index_dir, ignore_errors=True)
    return out


def memory_markdown(rows: list[dict[str, Any]], commit: str) -> str:
    """The load-and-memory part of section 10."""
    out = ["**Load time and memory** (synthetic indexes as above, exact FAISS, built with `gradrec index "
           "--vectors` or, marked row by row, by `write_index` (below); each loaded in a fresh process, which then serves five first turns: cheaper, darker, "
           "does it come in black?, under 40, another one; one OpenMP thread). Today's format (items by column, "
           "memory-mapped) against the format before it (items.jsonl read into Python objects, commit "
           f"`{commit[:10]}`), same run. RSS counts the memory-mapped pages a process has touched (shared "
           "with every other process serving the shop, and reclaimable); anonymous is the process's own memory.\n",
           "| items | format | load (s) | RSS loaded (MB) | RSS after 5 turns (MB) | of which anonymous (MB) | "
           "peak RSS (MB) | 5 first turns (s) | index on disk (MB) | build peak RSS (MB) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        for label, name in (("columns", "by column (2)"), ("jsonl", "items.jsonl (1)")):
            r = row.get(label)
            if r is None:
                continue
            if "skipped" in r:
                out.append(f"| {row['items']:,} | {name} | not run: {r['skipped']} | | | | | | | |")
                continue
            out.append(f"| {row['items']:,} | {name} | {r['load_s']} | {r['loaded']['VmRSS']:,} | "
                       f"{r['served']['VmRSS']:,} | {r['served']['RssAnon']:,} | {r['peak_mb']:,} | "
                       f"{r['first_turns_s']} | {r['disk_mb']:,} | {r['build_peak_mb']:,}"
                       f"{' (row by row)' if row.get('built_by') and label == 'columns' else ''} |")
    ran = {row["items"]: row["columns"] for row in rows if "load_s" in row.get("columns", {})}
    targets = []
    if 1_000_000 in ran:
        targets.append(f"a 1M index loads in < 5 s: **{'met' if ran[1_000_000]['load_s'] < 5 else 'missed'}** "
                       f"({ran[1_000_000]['load_s']} s)")
    if 3_200_000 in ran:
        rss = ran[3_200_000]["peak_mb"]
        targets.append(f"3.2M items served in < 12 GB RSS: **{'met' if rss < 12 * 1024 else 'missed'}** "
                       f"(peak {rss / 1024:.1f} GB, of which the process's own {ran[3_200_000]['served']['RssAnon'] / 1024:.1f} GB)")
    else:
        targets.append("3.2M items in < 12 GB RSS: not measured (see the table)")
    out += ["", "Targets (issue 20): " + "; ".join(targets) + "."]
    return "\n".join(out) + "\n"


def markdown(r: dict[str, Any]) -> str:
    """Section 9 of docs/RESULTS.md."""
    ix = r["indexing"]
    run = r["run"]
    out = [f"This section's run started {run['started']} and took {run['seconds'] / 60:.1f} min (`python "
           f"benchmarks/scale.py`); load average {run['load_start']:.1f} at its start, {run['load_end']:.1f} at "
           "its end (the 2 cores were shared: absolute rates are low, the ratios are same-run).\n",
           f"**Indexing** ({ix['texts']} sample-catalog texts, {ix['torch_threads']} torch threads; the plain "
           "loop is run first and last and averaged):\n",
           "| encoder | items/s | x plain loop | recall@10 vs float | min cosine vs float |", "|---|---|---|---|---|",
           f"| plain transformers loop (batch 64, catalog order) | {ix['plain_loop']} / {ix['plain_loop_again']} | 1.00 | "
           "(the reference) | |",
           f"| `--backend torch` (length-sorted batches) | {ix['torch']} | {ix['torch_x']} | (the same model) | |",
           f"| `--backend onnx` (ONNX Runtime, fused float graph) | {ix['onnx']} | {ix['onnx_x']} | "
           f"{ix['onnx_recall_at_10']} | {ix['onnx_cosine_min']} |",
           f"| `--backend onnx-int8` (int8 weights, per channel) | {ix['onnx_int8']} | {ix['onnx_int8_x']} | "
           f"{ix['onnx_int8_recall_at_10']} | {ix['onnx_int8_cosine_min']} |",
           *([f"| `--backend openvino` (default: OpenVINO, bfloat16 where the CPU has it) | {ix['openvino']} | "
              f"{ix['openvino_x']} | {ix['openvino_recall_at_10']} | {ix['openvino_cosine_min']} |"]
             if "openvino" in ix else []), "",
           "Recall@10: 80 queries (the opening words of other items' texts), each backend's query and item "
           "vectors, against the float model's top 10.\n",
           "**Big catalogs** (synthetic: the sample's rows repeated with new ids, the sample's MiniLM vectors plus "
           "noise, built with `--vectors`; an update changes 1% of the texts and runs `gradrec index` as a shop "
           "would, with the default encoder; a full build's time is N / that encoder's items/s in the same run, "
           "not run):\n",
           "| items | run | build from --vectors (s) | load (s) | RSS loaded (MB) | RSS after a first turn (MB) | "
           "update of 1% (s) | encoder items/s | full build, estimated (s) | update / full build |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for b in r["sizes"]:
        out.append(f"| {b['items']:,} | {b.get('run_started', run['started'])} | {b['build_from_vectors_s']:.1f} | "
                   f"{b['load_s']} | {b['rss_loaded_mb']} | {b['rss_after_turn_mb']} | {b['update_s']:.1f} | "
                   f"{b['items'] / b['full_build_s_estimated']:.1f} ({b.get('backend', 'torch')}) | "
                   f"{b['full_build_s_estimated']:,.0f} | "
                   f"{b['update_share_of_full_build']:.2%} |")
    out.append("")
    for b in r["sizes"]:
        out.append(f"- {b['items']:,}: `gradrec index` said: {b['update_said'].splitlines()[-1]}")
    backends = [k for k in ("onnx", "onnx_int8", "openvino") if k in ix]
    fastest = max(backends, key=lambda k: ix[f"{k}_x"])
    exact = [k for k in backends if ix[f"{k}_recall_at_10"] >= 0.98]
    best_exact = max(exact, key=lambda k: ix[f"{k}_x"]) if exact else None
    met = best_exact is not None and ix[f"{best_exact}_x"] >= 3.0
    out.append("")
    out.append(f"Targets (issue 20): indexing >= 3x the plain loop with recall@10 >= 0.98 is "
               f"**{'met' if met else 'missed'}** in this run: the fastest backend, `{fastest.replace('_', '-')}`, runs "
               f"{ix[fastest + '_x']}x at recall@10 {ix[fastest + '_recall_at_10']}"
               + (f"; the fastest with the float model's neighbours, `{best_exact.replace('_', '-')}`, "
                  f"{ix[best_exact + '_x']}x" if best_exact else "") + ". "
               + "; ".join(f"An update of 1% at {b['items']:,} items took {b['update_share_of_full_build']:.1%} "
                           "of a full build's estimated time (target < 5% at 1M)" for b in r["sizes"]) + ".")
    return "\n".join(out) + "\n"


def turn_latency(sizes: list[int], trials: int, direct_from: int = 1 << 62) -> None:
    """Section 10's turn-latency table: each size's synthetic index (built once, kept under
    var/bench/scale), measured by `scale_turns` in a fresh process."""
    from benchmarks import scale_turns
    from benchmarks.common import load

    folder = VAR_BENCH / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    # each size is saved as it is measured, replacing that size's earlier figures (1M needs most of
    # a shared machine's memory: it may be run on its own)
    results: dict[str, Any] = load("scale_turns") or {"sizes": []}
    results["machine"] = machine()
    for n in sizes:
        watch = Stopwatch()
        index_dir = folder / f"index-{n}"
        if not (index_dir / "manifest.json").is_file():
            catalog, vectors = synthetic(n, folder, np.random.default_rng(n))
            if _row_by_row(n, direct_from):
                seconds, peak, _ = _timed_rss(direct_build(folder, catalog, vectors, n, index_dir),
                                              env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=str(REPO))
                print(f"  {n}: written row by row in {seconds:.1f}s (peak RSS {peak} MB)", flush=True)
            else:
                seconds, _ = gradrec("index", str(catalog), "--out", str(index_dir), *INDEX_ARGS, "--vectors",
                                     str(vectors))
                print(f"  {n}: built from --vectors in {seconds:.1f}s", flush=True)
        measured = {**scale_turns.measure(index_dir, trials), "run": watch.stamp()}
        results["sizes"] = sorted([s for s in results["sizes"] if s["items"] != n] + [measured],
                                  key=lambda s: s["items"])
        print(save("scale_turns", results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--sizes", default="100000", help="comma-separated catalog sizes")
    parser.add_argument("--turns", default="", help="comma-separated sizes: only the turn-latency table "
                        "(benchmarks/scale_turns.py), saved as scale_turns")
    parser.add_argument("--trials", type=int, default=40, help="seeds per turn kind in --turns")
    parser.add_argument("--memory", default="", help="only load time and memory, at these comma-separated sizes")
    parser.add_argument("--direct-from", type=int, default=1 << 62,
                        help="sizes from this one up are written row by row, not by `gradrec index` (also "
                             "whenever `gradrec index` would not fit in the memory available)")
    parser.add_argument("--baseline", default=BASELINE_COMMIT, help="the commit whose index format is the baseline")
    args = parser.parse_args()
    if args.turns:
        turn_latency([int(s) for s in args.turns.split(",")], args.trials, args.direct_from)
        return
    watch = Stopwatch()
    if args.memory:
        folder = VAR_BENCH / "scale"
        folder.mkdir(parents=True, exist_ok=True)
        old = baseline_code(folder, args.baseline) if args.baseline else None
        earlier = REPO / "docs" / "results" / "scale_memory.json"  # sizes run separately (memory) are merged
        for n in args.memory.split(","):
            row = load_memory(int(n), folder, old, args.direct_from)
            rows = json.loads(earlier.read_text()).get("memory", []) if earlier.is_file() else []
            rows = sorted([r for r in rows if r["items"] != row["items"]] + [row], key=lambda r: r["items"])
            result = {"machine": machine(), "baseline": args.baseline, "memory": rows, "run": watch.stamp()}
            print(save("scale_memory", result))  # after each size: a later one may not fit
        print(memory_markdown(rows, args.baseline))
        return
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print("indexing throughput", flush=True)
    speed = indexing(256 if args.quick else 1024)
    results: dict[str, Any] = {"machine": machine(), "indexing": speed, "sizes": []}
    folder = VAR_BENCH / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        # the update embeds with the default backend (`gradrec index` on a new folder), measured above
        backend = DEFAULT_BACKEND.replace("-", "_")
        results["sizes"].append({**big(n, folder, speed[backend], DEFAULT_BACKEND), "backend": DEFAULT_BACKEND,
                                 "run_started": watch.started_at})
    results["run"] = watch.stamp()
    earlier = None if args.quick else load("scale")  # sizes run separately (1M needs the machine) are kept
    if earlier:
        kept = [{"run_started": earlier["run"]["started"], **b} for b in earlier.get("sizes", []) if b["items"] not in sizes]
        results["sizes"] = sorted(kept + results["sizes"], key=lambda b: b["items"])
    print(save("scale_quick" if args.quick else "scale", results))


if __name__ == "__main__":
    main()
