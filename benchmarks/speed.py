"""Speed and memory: directions, walk steps, approximate search at scale, and indexing.

* Sample catalog (in this process): encoder load, direction build cold (prompt encoding +
  retrieval + SNR + held-out AUC) and cached, one engine step (`Engine.refine`: the graded
  step, with an in-memory SQLite store), the paper's step (`walk.paper_step`, no store), the
  reference implementation's step.
* Synthetic catalogs of 100k, 1M and 3.2M vectors (one subprocess per size, so memory is
  returned between sizes): exact (IndexFlatIP) and approximate (IVF; HNSW at 100k) indexes,
  build time, recall@10 against exact search (unfiltered, and within a category), engine step
  (`Engine.refine`) and paper step p50/p95, resident memory.
* Indexing: items/s of the default encoder against a plain transformers loop, 1 vs 2 torch
  threads, and dynamic int8 quantization (with its cosine agreement with fp32).

Synthetic vectors (clustered, like a real catalog): each is a random convex mix
a*x_i + (1-a)*x_j of two sample-catalog vectors of the same kind (a ~ U(0,1)), plus isotropic
Gaussian noise of norm ~0.3, renormalised; its category is that kind. So the synthetic
catalog keeps the sample's kinds, attributes and directions, densely interpolated.

The reference implementation's way (coveooss/GradREC `traverse_space`): per step one full
matrix product with every vector and a full argsort; its kNN for the next step's regulariser
is reused from the step's own retrieval.

    python benchmarks/speed.py [--quick] [--sizes 100000,1000000,3200000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    REPO, Sample, Stopwatch, percentile_ms, peak_rss_mb, progress, rss_mb, save, table,
)

DIM = 384
NOISE_NORM = 0.3
CHUNK = 200_000
N_QUERIES = 200
DIRECTIONS = [  # (neutral, exemplar, opposite, seed kind)
    ("blue polo shirt", "dark blue polo shirt", "light blue polo shirt", "polo shirt"),
    ("skirt", "maxi skirt", "mini skirt", "skirt"),
]
IVF_NPROBES = (4, 8, 16, 32)


# --------------------------------------------------------------------------- synthetic data

def synth_chunks(base: np.ndarray, base_kinds: np.ndarray, n: int, seed: int = 0):
    """Yield (start, vectors, kind codes) chunks of the synthetic catalog; deterministic."""
    by_kind = [np.flatnonzero(base_kinds == k) for k in range(int(base_kinds.max()) + 1)]
    sigma = NOISE_NORM / np.sqrt(base.shape[1])
    for c, start in enumerate(range(0, n, CHUNK)):
        m = min(CHUNK, n - start)
        rng = np.random.default_rng([seed, c])
        i = rng.integers(0, len(base), m)
        kinds = base_kinds[i]
        j = np.empty(m, dtype=np.int64)
        for k, members in enumerate(by_kind):
            sel = kinds == k
            if sel.any():
                j[sel] = members[rng.integers(0, len(members), int(sel.sum()))]
        a = rng.random((m, 1), dtype=np.float32)
        x = a * base[i] + (1 - a) * base[j]
        x += rng.standard_normal((m, base.shape[1]), dtype=np.float32) * np.float32(sigma)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        yield start, x.astype(np.float32, copy=False), kinds


def exact_topk(vectors: np.ndarray, codes: np.ndarray, queries: np.ndarray, q_codes: np.ndarray,
               k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows by inner product, unfiltered and within each query's category
    (numpy, chunked: the ground truth for recall)."""
    nq = len(queries)
    best = [np.full((nq, k), -np.inf, np.float32), np.full((nq, k), -np.inf, np.float32)]
    rows = [np.zeros((nq, k), np.int64), np.zeros((nq, k), np.int64)]
    for start in range(0, len(vectors), CHUNK):
        sims = queries @ vectors[start:start + CHUNK].T  # (nq, chunk)
        for f in (0, 1):
            s = sims if f == 0 else np.where(codes[start:start + CHUNK][None, :] == q_codes[:, None], sims, -np.inf)
            top = np.argpartition(-s, k - 1, axis=1)[:, :k]
            cand_s = np.concatenate([best[f], np.take_along_axis(s, top, 1)], axis=1)
            cand_r = np.concatenate([rows[f], top + start], axis=1)
            keep = np.argsort(-cand_s, axis=1)[:, :k]
            best[f] = np.take_along_axis(cand_s, keep, 1)
            rows[f] = np.take_along_axis(cand_r, keep, 1)
    return rows[0], rows[1]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a[a >= 0].tolist()) & set(b.tolist())) / len(b) for a, b in zip(found, truth)]))


# --------------------------------------------------------------------------- walk timings

class TableEncoder:
    """Prompt -> precomputed vector (the engine at scale without loading a model)."""

    @staticmethod
    def make(table_: dict[str, np.ndarray]) -> Any:
        from gradrec_core.encoders import Encoder

        class _Enc(Encoder):
            name = "table"

            def __init__(self) -> None:
                super().__init__("table")
                self.table = table_

            def _load(self) -> None:
                self._dim, self.device, self._model = DIM, "cpu", object()

            def encode_texts(self, texts, *, batch_size=64, progress=None):  # type: ignore[no-untyped-def]
                self._ensure_loaded()
                return np.stack([self.table[t] for t in texts]).astype(np.float32)

            def encode_images(self, images, *, batch_size=32, progress=None):  # type: ignore[no-untyped-def]
                raise NotImplementedError

            def encode_items(self, items, *, progress=None):  # type: ignore[no-untyped-def]
                raise NotImplementedError

        return _Enc()


def time_walks(index: Any, prompts: dict[str, np.ndarray], config: Any, seeds: Sequence[tuple[int, int]],
               steps: int, use_opposite: bool, directions: Sequence[tuple[str, str, str, str]] = DIRECTIONS,
               ) -> dict[str, Any]:
    """The paper's step (`walk.paper_step`, no store) per step, from each seed: the baseline."""
    from gradrec_core.walk import WalkState, build_direction, paper_step

    times, ends, dir_times = [], 0, []
    built = {}
    for d_i, (neutral, exemplar, opposite, _) in enumerate(directions):
        t = time.perf_counter()
        built[d_i] = build_direction(index, prompts[neutral], prompts[exemplar], config,
                                          prompts[opposite] if use_opposite else None)
        dir_times.append(time.perf_counter() - t)
    for row, d_i in seeds:
        state = WalkState(position=index.vectors[row].copy(), current_row=row, seen_rows={row})
        for _ in range(steps):
            t = time.perf_counter()
            result = paper_step(index, state, built[d_i], config, 1.0)
            times.append(time.perf_counter() - t)
            if result.row is None:
                ends += 1
                break
            state = WalkState(position=result.position, current_row=result.row,
                              seen_rows=state.seen_rows | {result.row})
    return {"p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95), "steps": len(times),
            "ended": ends, "direction_build_ms": 1000 * float(np.mean(dir_times))}


def time_refine(index: Any, prompts: dict[str, np.ndarray], config: Any, seeds: Sequence[tuple[int, int]],
                steps: int, directions: Sequence[tuple[str, str, str, str]] = DIRECTIONS,
                encoder: Any = None) -> dict[str, Any]:
    """`Engine.refine` per step (the engine's graded step + in-memory SQLite session store),
    opposite prompt on. `encoder`: the index's own (a catalog whose columns the step embeds
    words for); by default a table of the prompts' vectors (synthetic catalogs)."""
    from gradrec_core import Engine, SessionStore

    engine = Engine(index, SessionStore("sqlite:///:memory:"), config, encoder or TableEncoder.make(prompts))
    times = []
    for i, (row, d_i) in enumerate(seeds):
        neutral, exemplar, opposite, _ = directions[d_i]
        engine.direction(neutral, exemplar, opposite)  # built once, as in a warm server
        sid = f"s{i}"
        engine.start(sid, index.items[row].id)
        for _ in range(steps):
            t = time.perf_counter()
            s = engine.refine(sid, neutral, exemplar, opposite=opposite)
            times.append(time.perf_counter() - t)
            if s.item is None:
                break
    return {"p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95), "steps": len(times)}


def time_reference(vectors: np.ndarray, direction: np.ndarray, seeds: Sequence[int], steps: int,
                   rho: float = 0.9, step_size: float = 2.0, k: int = 100) -> dict[str, Any]:
    """The reference implementation's walk: per step, one full product and a full argsort."""
    times = []
    for row in seeds:
        point = vectors[row].copy()
        neighbours = np.argsort(vectors @ (point / np.linalg.norm(point)))[::-1][:k]
        for _ in range(steps):
            t = time.perf_counter()
            p = point / np.linalg.norm(point)
            point = p + (1 - rho) * step_size * direction + rho * vectors[neighbours].mean(axis=0)
            neighbours = np.argsort(vectors @ (point / np.linalg.norm(point)))[::-1][:k]
            times.append(time.perf_counter() - t)
    return {"p50_ms": percentile_ms(times, 50), "p95_ms": percentile_ms(times, 95), "steps": len(times)}


# --------------------------------------------------------------------------- one size (subprocess)

def worker(n: int, prompt_file: str, quick: bool, out_file: str) -> None:
    import faiss

    from gradrec_core import Item, WalkConfig
    from gradrec_core.index import IndexConfig, ItemIndex, build_faiss_index, ivf_nlist_for

    base = np.load(Path(prompt_file).with_name("base.npy"))
    meta = json.loads(Path(prompt_file).with_name("meta.json").read_text())
    base_kinds = np.array(meta["base_kinds"], dtype=np.int32)
    kind_names = meta["kind_names"]
    prompts = {k: np.asarray(v, dtype=np.float32) for k, v in np.load(prompt_file).items()}
    out: dict[str, Any] = {"n": n, "rss_start_mb": rss_mb(), "faiss_build_threads": faiss.omp_get_max_threads()}
    log = lambda msg: print(f"[{n:,}] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    t = time.perf_counter()
    vectors = np.empty((n, DIM), dtype=np.float32)
    codes = np.empty(n, dtype=np.int32)
    for start, x, kinds in progress(synth_chunks(base, base_kinds, n), total=-(-n // CHUNK), desc=f"synthesising {n:,}"):
        vectors[start:start + len(x)] = x
        codes[start:start + len(x)] = kinds
    out["synth_s"] = time.perf_counter() - t
    empty: dict[str, Any] = {}
    items = [Item(f"s{i}", "", kind_names[c], None, empty) for i, c in enumerate(codes.tolist())]
    manifest = {"fingerprint": f"synthetic-{n}", "encoder": "table"}
    out["rss_vectors_items_mb"] = rss_mb()

    rng = np.random.default_rng(1)
    q_rows = rng.integers(0, n, N_QUERIES)
    queries = vectors[q_rows] + rng.standard_normal((N_QUERIES, DIM), dtype=np.float32) * np.float32(NOISE_NORM / np.sqrt(DIM))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    q_codes = codes[q_rows]
    t = time.perf_counter()
    truth, truth_cat = exact_topk(vectors, codes, queries, q_codes)
    out["exact_numpy_query_ms"] = 1000 * (time.perf_counter() - t) / N_QUERIES
    log(f"ground truth in {time.perf_counter() - t:.1f}s")

    n_walks = {100_000: 20, 1_000_000: 10}.get(n, 5) if not quick else 3
    steps = 10 if not quick else 3
    seeds = []
    for w in range(n_walks):
        d_i = w % len(DIRECTIONS)
        kind = kind_names.index(DIRECTIONS[d_i][3])
        members = np.flatnonzero(codes == kind)
        seeds.append((int(rng.choice(members)), d_i))
    full, paper = WalkConfig(), WalkConfig().paper()

    def measure(index: Any, name: str, build_s: float, extra: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"build_s": build_s, "rss_mb": rss_mb(), **extra}
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one query at a time: see "FAISS threads" in RESULTS.md
        _, found = index.search(queries, 10)
        entry["recall10"] = recall(found, truth)
        found_cat = np.vstack([index.search(q, 10, category=kind_names[c])[1] for q, c in zip(queries, q_codes)])
        entry["recall10_category"] = recall(found_cat, truth_cat)
        t = time.perf_counter()
        for q in queries[:50]:
            index.search(q, 10)
        entry["query_ms"] = 1000 * (time.perf_counter() - t) / 50
        log(f"{name}: recall@10 {entry['recall10']:.3f} (in category {entry['recall10_category']:.3f}), "
            f"{entry['query_ms']:.2f} ms/query")
        entry["walk_paper"] = time_walks(index, prompts, paper, seeds, steps, False)
        entry["refine_full"] = time_refine(index, prompts, full, seeds, steps)
        faiss.omp_set_num_threads(threads)
        log(f"{name}: engine step (refine) p50 {entry['refine_full']['p50_ms']:.1f} ms, "
            f"paper step p50 {entry['walk_paper']['p50_ms']:.1f} ms")
        out[name] = entry

    # --- reference implementation's step (numpy over every vector)
    d_vec = prompts["__dir__"]
    ref_seeds = [s for s, _ in seeds[: (3 if n > 1_000_000 else 5)]]
    out["reference"] = time_reference(vectors, d_vec, ref_seeds, 3 if n > 1_000_000 else steps)
    log(f"reference step p50 {out['reference']['p50_ms']:.0f} ms")

    # --- IVF (approximate)
    nlist = 256 if n <= 100_000 else 1024
    ivf_cfg = IndexConfig(type="ivf", ivf_nlist=nlist, ivf_nprobe=16, ivf_codec="sq8")
    t = time.perf_counter()
    ivf = build_faiss_index(vectors, ivf_cfg)
    build_s = time.perf_counter() - t
    index = ItemIndex(items, vectors, ivf, manifest)
    sweep = {}
    faiss.omp_set_num_threads(1)
    for nprobe in IVF_NPROBES:
        ivf.nprobe = nprobe
        _, found = index.search(queries, 10)
        t = time.perf_counter()
        for q in queries[:50]:
            index.search(q, 10)
        sweep[nprobe] = {"recall10": recall(found, truth), "query_ms": 1000 * (time.perf_counter() - t) / 50}
    ivf.nprobe = ivf_cfg.ivf_nprobe
    faiss.omp_set_num_threads(out["faiss_build_threads"])
    measure(index, "ivf", build_s, {"nlist": ivf_nlist_for(n, ivf_cfg), "nprobe": ivf_cfg.ivf_nprobe,
                                     "codec": ivf_cfg.ivf_codec, "nprobe_sweep": sweep})
    del index, ivf
    gc.collect()

    # --- HNSW (approximate, the index module's default parameters), small sizes only
    if n <= 100_000 and not quick:
        cfg = IndexConfig(type="hnsw")
        t = time.perf_counter()
        hnsw = build_faiss_index(vectors, cfg)
        build_s = time.perf_counter() - t
        measure(ItemIndex(items, vectors, hnsw, manifest), "hnsw", build_s,
                {"M": cfg.hnsw_m, "ef_construction": cfg.hnsw_ef_construction, "ef_search": cfg.hnsw_ef_search})
        del hnsw
        gc.collect()

    # --- exact: the FAISS flat index's own storage doubles as ItemIndex.vectors (one copy)
    del vectors
    gc.collect()
    out["rss_before_exact_mb"] = rss_mb()
    t = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    for _, x, _ in synth_chunks(base, base_kinds, n):
        flat.add(x)
    build_s = time.perf_counter() - t
    shared = faiss.rev_swig_ptr(flat.get_xb(), n * DIM).reshape(n, DIM)
    measure(ItemIndex(items, shared, flat, manifest), "exact", build_s,
            {"note": "vectors shared with the FAISS storage, as load_index shares them for an exact index"})
    out["peak_rss_mb"] = peak_rss_mb()
    Path(out_file).write_text(json.dumps(out, default=float))


# --------------------------------------------------------------------------- sample catalog

def sample_bench(sample: Sample, quick: bool) -> dict[str, Any]:
    from gradrec_core import WalkConfig
    from gradrec_core.walk import build_direction

    index = sample.index
    out: dict[str, Any] = {"n": len(index)}
    t = time.perf_counter()
    sample.encoder.encode_prompts(["warm-up prompt"])
    out["encoder_load_s"] = time.perf_counter() - t
    hues = ["red", "green", "blue", "pink", "purple", "yellow", "brown", "grey", "orange", "teal"]
    kinds = ["polo shirt", "t-shirt", "shirt", "dress", "skirt", "trousers", "jacket", "coat"]
    triples = [(f"{h} {k}", f"dark {h} {k}", f"light {h} {k}") for h in hues for k in kinds]
    triples = triples[:6] if quick else triples[:40]
    engine = sample.engine(WalkConfig())
    cold, encode, build, cached = [], [], [], []
    for neutral, exemplar, opposite in progress(triples, desc="speed: directions"):
        t = time.perf_counter()
        q = sample.encoder.encode_prompts([neutral, exemplar, opposite])
        encode.append(time.perf_counter() - t)
        t = time.perf_counter()
        build_direction(index, q[0], q[1], engine.config, q[2])
        build.append(time.perf_counter() - t)
    for h in hues[:len(triples) // len(kinds) + 1]:  # cold through the engine: prompts never seen
        for k in kinds:
            trip = (f"{h} {k} item", f"dark {h} {k} item", f"light {h} {k} item")
            if len(cold) >= len(triples):
                break
            t = time.perf_counter()
            engine.direction(*trip)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.direction(*trip)
            cached.append(time.perf_counter() - t)
    out["direction"] = {
        "cold_engine_p50_ms": percentile_ms(cold, 50), "cold_engine_p95_ms": percentile_ms(cold, 95),
        "encode_3_prompts_p50_ms": percentile_ms(encode, 50),
        "retrieval_snr_auc_p50_ms": percentile_ms(build, 50),
        "cached_p50_ms": percentile_ms(cached, 50), "count": len(cold),
    }
    prompts = {p: v for trip in DIRECTIONS for p, v in zip(trip[:3], sample.encoder.encode_prompts(list(trip[:3])))}
    rng = np.random.default_rng(2)
    seeds = []
    for w in range(6 if quick else 30):
        d_i = w % len(DIRECTIONS)
        seeds.append((int(rng.choice(index.rows_in_category(DIRECTIONS[d_i][3]))), d_i))
    steps = 10
    import faiss

    threads = faiss.omp_get_max_threads()
    out["walk_paper_faiss_default_threads"] = time_walks(index, prompts, WalkConfig().paper(), seeds, steps, False)
    faiss.omp_set_num_threads(1)
    out["walk_paper"] = time_walks(index, prompts, WalkConfig().paper(), seeds, steps, False)
    out["refine_full"] = time_refine(index, prompts, WalkConfig(), seeds, steps, encoder=sample.encoder)
    d = build_direction(index, prompts[DIRECTIONS[0][0]], prompts[DIRECTIONS[0][1]], WalkConfig().paper())
    out["reference"] = time_reference(index.vectors, d.vector, [s for s, _ in seeds[:10]], steps)
    faiss.omp_set_num_threads(threads)
    out["faiss_default_threads"] = threads
    out["rss_mb"] = rss_mb()
    return out


def prepare_worker_inputs(sample: Sample, folder: Path) -> Path:
    from gradrec_core import WalkConfig
    from gradrec_core.walk import build_direction

    index = sample.index
    names = index.category_names
    np.save(folder / "base.npy", index.vectors)
    (folder / "meta.json").write_text(json.dumps({"base_kinds": index.category_codes.tolist(), "kind_names": names}))
    prompts = {}
    for trip in DIRECTIONS:
        for p, v in zip(trip[:3], sample.encoder.encode_prompts(list(trip[:3]))):
            prompts[p] = v
    prompts["__dir__"] = build_direction(index, prompts[DIRECTIONS[0][0]], prompts[DIRECTIONS[0][1]],
                                         WalkConfig().paper()).vector
    path = folder / "prompts.npz"
    np.savez(path, **prompts)
    return path


# --------------------------------------------------------------------------- encoder

def encoder_bench(sample: Sample, quick: bool) -> dict[str, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from gradrec_core.encoders import get_encoder

    n = 64 if quick else 512
    rng = np.random.default_rng(3)
    rows = rng.choice(len(sample.index), n, replace=False)
    items = [sample.index.items[r] for r in rows]
    texts = [it.text for it in items]
    out: dict[str, Any] = {"items": n, "default_threads": torch.get_num_threads()}

    enc = get_encoder("minilm")
    enc.encode_texts(["warm up"])
    t = time.perf_counter()
    ref = enc.encode_items(items, progress=False)
    out["encoder_default"] = n / (time.perf_counter() - t)

    tok = AutoTokenizer.from_pretrained(enc.model_path)
    model = AutoModel.from_pretrained(enc.model_path).eval()
    t = time.perf_counter()
    plain = []
    with torch.no_grad():
        for start in range(0, n, 64):
            batch = tok(texts[start:start + 64], padding=True, truncation=True, max_length=256, return_tensors="pt")
            tokens = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            plain.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
    out["plain_loop"] = n / (time.perf_counter() - t)
    out["plain_vs_default_cosine_min"] = float(np.min(np.sum(np.vstack(plain) * ref, axis=1)))
    del model

    threads = {}
    default_threads = torch.get_num_threads()
    for k in sorted({1, 2, os.cpu_count() or 2}):
        torch.set_num_threads(k)
        t = time.perf_counter()
        enc.encode_items(items, progress=False)
        threads[k] = n / (time.perf_counter() - t)
    torch.set_num_threads(default_threads)
    out["threads"] = threads

    for batch_size in (16, 32, 128):
        t = time.perf_counter()
        enc.encode_texts(texts, batch_size=batch_size, progress=False)
        out[f"batch_{batch_size}"] = n / (time.perf_counter() - t)

    warnings.filterwarnings("ignore", message=".*quantiz.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    fp32_model = enc._model
    quantized = torch.ao.quantization.quantize_dynamic(fp32_model, {torch.nn.Linear}, dtype=torch.qint8)
    enc._model = quantized
    t = time.perf_counter()
    q_vecs = enc.encode_items(items, progress=False)
    out["int8_dynamic"] = n / (time.perf_counter() - t)
    per_channel = torch.ao.quantization.quantize_dynamic(
        fp32_model, {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8)
    enc._model = per_channel
    t = time.perf_counter()
    pc_vecs = enc.encode_items(items, progress=False)
    out["int8_per_channel"] = n / (time.perf_counter() - t)
    out["int8_per_channel_cosine_mean"] = float(np.sum(pc_vecs * ref, axis=1).mean())
    out["int8_per_channel_cosine_min"] = float(np.sum(pc_vecs * ref, axis=1).min())
    enc._model = fp32_model
    cos = np.sum(q_vecs * ref, axis=1)
    out["int8_cosine_mean"] = float(cos.mean())
    out["int8_cosine_min"] = float(cos.min())
    # neighbour agreement: top-10 among these items with fp32 vs int8 vectors
    s_ref, s_q = ref @ ref.T, q_vecs @ q_vecs.T
    np.fill_diagonal(s_ref, -np.inf)
    np.fill_diagonal(s_q, -np.inf)
    top_ref, top_q = np.argsort(-s_ref, 1)[:, :10], np.argsort(-s_q, 1)[:, :10]
    out["int8_neighbour_recall10"] = recall(top_q, top_ref)
    out["onnx"] = "not measured: onnxruntime is not a dependency; see RESULTS.md"
    return out


# --------------------------------------------------------------------------- run

def run(quick: bool = False, sizes: Sequence[int] | None = None, index_dir: str | None = None) -> dict[str, Any]:
    watch = Stopwatch()
    sample = Sample(index_dir) if index_dir else Sample()
    sizes = list(sizes) if sizes else ([20_000] if quick else [100_000, 1_000_000, 3_200_000])
    results: dict[str, Any] = {"sizes": sizes}
    print("speed: sample catalog", file=sys.stderr, flush=True)
    results["sample"] = sample_bench(sample, quick)
    print("speed: encoder", file=sys.stderr, flush=True)
    results["encoder"] = encoder_bench(sample, quick)
    results["synthetic"] = {}
    with tempfile.TemporaryDirectory(prefix="gradrec-bench-") as tmp:
        prompt_file = prepare_worker_inputs(sample, Path(tmp))
        for n in sizes:
            out_file = Path(tmp) / f"size-{n}.json"
            t = time.perf_counter()
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), "--prompts", str(prompt_file),
                   "--out", str(out_file)] + (["--quick"] if quick else [])
            print(f"speed: synthetic catalog of {n:,} vectors (subprocess)", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, cwd=REPO)
            if proc.returncode != 0 or not out_file.is_file():
                results["synthetic"][str(n)] = {"n": n, "error": f"worker exited {proc.returncode}"}
                continue
            results["synthetic"][str(n)] = {**json.loads(out_file.read_text()), "wall_s": time.perf_counter() - t}
    results["timing"] = watch.stamp()
    save("speed_quick" if quick else "speed", results)
    return results


def markdown(results: dict[str, Any]) -> str:
    s = results["sample"]
    d = s["direction"]
    out = [f"**Sample catalog** ({s['n']:,} items, exact index; encoder load {s['encoder_load_s']:.1f} s):\n"]
    out.append(table(["operation", "p50 ms", "p95 ms", "note"], [
        ["direction, cold (encode 3 prompts + retrieval + SNR + AUC + store)", d["cold_engine_p50_ms"],
         d["cold_engine_p95_ms"], f"{d['count']} prompt triples never seen"],
        ["  of which: encode 3 prompts", d["encode_3_prompts_p50_ms"], None, ""],
        ["  of which: retrieval + SNR + held-out AUC", d["retrieval_snr_auc_p50_ms"], None, ""],
        ["direction, cached", d["cached_p50_ms"], None, "in-process LRU"],
        ["engine step (`Engine.refine`, in-memory SQLite)", s["refine_full"]["p50_ms"], s["refine_full"]["p95_ms"],
         f"the graded step + session store; {s['refine_full']['steps']} steps"],
        ["the paper's step (`walk.paper_step`, no store)", s["walk_paper"]["p50_ms"], s["walk_paper"]["p95_ms"], ""],
        ["reference implementation's step (full product + argsort)", s["reference"]["p50_ms"],
         s["reference"]["p95_ms"], ""],
    ], 2))
    out.append("")
    rows = []
    for key, r in results["synthetic"].items():
        if "error" in r:
            rows.append([f"{int(key):,}", r["error"]] + [None] * 8)
            continue
        for name in ("exact", "ivf", "hnsw"):
            if name not in r:
                continue
            e = r[name]
            label = {"exact": "exact (IndexFlatIP)",
                     "ivf": f"IVF {e.get('codec', '')}, nlist {e.get('nlist')}, nprobe {e.get('nprobe')}",
                     "hnsw": f"HNSW M {e.get('M')}, efSearch {e.get('ef_search')}"}[name]
            engine = e.get("refine_full", {})  # absent: not measured with this engine
            rows.append([f"{int(key):,}", label, e["build_s"], e["recall10"], e["recall10_category"], e["query_ms"],
                         engine.get("p50_ms"), engine.get("p95_ms"), e["walk_paper"]["p50_ms"], e["rss_mb"] / 1024])
        rows.append([f"{int(key):,}", "reference step (numpy product + argsort)", None, 1.0, None, None,
                     None, None, r["reference"]["p50_ms"], None])
    out.append("**Synthetic catalogs** (384-d, clustered; see below how they were made):\n")
    out.append(table(["vectors", "index", "build s", "recall@10", "recall@10 in category", "query ms",
                      "engine step p50 ms (`Engine.refine`)", "engine step p95 ms", "paper step p50 ms",
                      "RSS GiB"], rows, 2))
    out.append("")
    sweeps = [[f"{int(k):,}", npb, v["recall10"], v["query_ms"]]
              for k, r in results["synthetic"].items() if "ivf" in r for npb, v in r["ivf"]["nprobe_sweep"].items()]
    if sweeps:
        out.append("IVF nprobe sweep (unfiltered recall@10 and ms per query):\n")
        out.append(table(["vectors", "nprobe", "recall@10", "query ms"], sweeps, 3))
        out.append("")
    e = results["encoder"]
    base = e["plain_loop"]
    rows = [["plain transformers loop (batch 64, catalog order)", base, 1.0],
            ["default encoder (`encode_items`: length-sorted batches of 64)", e["encoder_default"], e["encoder_default"] / base]]
    rows += [[f"default encoder, {k} torch thread(s)", v, v / base] for k, v in e["threads"].items()]
    rows += [[f"default encoder, batch {b}", e[f"batch_{b}"], e[f"batch_{b}"] / base] for b in (16, 32, 128)]
    rows += [["default encoder + dynamic int8, per tensor (torch.ao quantize_dynamic, Linear layers)",
              e["int8_dynamic"], e["int8_dynamic"] / base]]
    rows += [["default encoder + dynamic int8, per channel", e["int8_per_channel"], e["int8_per_channel"] / base]]
    out.append(f"**Indexing speed** (MiniLM-L6, {e['items']} catalog items, torch default threads "
               f"{e['default_threads']}):\n")
    out.append(table(["encoder", "items/s", "x plain loop"], rows, 2))
    out.append(f"\nint8 per channel against fp32: cosine mean {e['int8_per_channel_cosine_mean']:.4f}, "
               f"min {e['int8_per_channel_cosine_min']:.4f}. "
               f"int8 per tensor against fp32: cosine mean {e['int8_cosine_mean']:.4f}, min {e['int8_cosine_min']:.4f}; "
               f"top-10 neighbours among these items agree {e['int8_neighbour_recall10']:.3f}. "
               f"Plain loop vs default encoder: min cosine {e['plain_vs_default_cosine_min']:.5f} (same vectors).\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one 20k synthetic catalog, few repetitions")
    ap.add_argument("--sizes", default=None, help="comma-separated synthetic sizes")
    ap.add_argument("--index", default=None)
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--prompts", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.prompts, args.quick, args.out)
        return
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else None
    results = run(args.quick, sizes, args.index)
    print(markdown(results))
    print(f"\n(speed took {results['timing']['seconds']} s)")


if __name__ == "__main__":
    main()
