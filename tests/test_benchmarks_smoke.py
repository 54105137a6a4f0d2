"""Smoke test of the benchmarks' code (benchmarks/) on a tiny synthetic space, so that it
cannot rot between `make bench` runs. It checks the metrics' arithmetic and that every
measuring function runs; it asserts nothing about speed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from synthetic import KINDS, TableEncoder, point

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import discovery, gradient_metrics, speed  # noqa: E402
from gradrec_core import Engine, Item, SessionStore, WalkConfig  # noqa: E402
from gradrec_core.index import IndexConfig, ItemIndex, build_faiss_index, write_index  # noqa: E402
from gradrec_core.walk import build_direction  # noqa: E402


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic space of tests/synthetic.py, with ground truth under the catalog's column
    names: "lightness" falls as the point gets darker, "length" rises with it."""
    rng = np.random.default_rng(11)
    items, vectors = [], []
    for kind in KINDS:
        for i in range(60):
            dark, long = float(rng.uniform(0, 1)), float(rng.uniform(0, 1))
            vectors.append(point(kind, dark, long, rng.normal(0, 0.01, 4)))
            items.append(Item(f"{kind}-{i:02d}", f"{kind} {i}", kind, None,
                              {"lightness": f"{100 * (1 - dark):.1f}", "length": f"{1 + 4 * long:.2f}",
                               "hue_family": "blue", "pattern": "plain"}))
    out = tmp_path_factory.mktemp("bench") / "index"
    write_index(out, items, np.stack(vectors), {"encoder": "table", "model": "table", "fingerprint": "bench"},
                IndexConfig())
    return out


def engine(space: Path, config: WalkConfig) -> Engine:
    from gradrec_core import load_index

    config = WalkConfig(**{**config.__dict__, "n_neutral": 30, "n_exemplar": 30, "k": 20})
    return Engine(load_index(space), SessionStore("sqlite:///:memory:"), config, TableEncoder())


def test_cgir_metrics_arithmetic() -> None:
    assert gradient_metrics.consistency([1, 2, 3, 4], +1) == 1.0
    assert gradient_metrics.consistency([4, 3, 3, 1], -1) == pytest.approx(2 / 3)
    assert gradient_metrics.consistency([5], +1) is None
    assert gradient_metrics.restrictiveness([2, 2, 2]) == 1.0  # ties count 0, not -1
    assert gradient_metrics.restrictiveness([1, 2, 3]) == 0.0  # drifts every step
    assert gradient_metrics.restrictiveness([1, 2, 1]) == 1.0
    assert gradient_metrics.restrictiveness([1, None, 2]) == 1.0  # a missing value is a tie


def test_gradient_metrics_walks_and_aggregation(space: Path) -> None:
    pair = {"row": 0, "id": "polo-00", "alpha": -1, "neutral": "polo", "exemplar": "dark polo",
            "opposite": "light polo", "change": "darker"}
    e = engine(space, WalkConfig())
    pair["row"] = e.index.row(pair["id"])
    walks = []
    for use_opposite in (False, True):
        rows, ended, confidence = gradient_metrics.walk_engine(e, pair, use_opposite, f"s{use_opposite}", steps=4)
        assert rows[0] == pair["row"] and 0.0 <= confidence <= 1.0
        w = gradient_metrics.score_walk(e.index, rows, "lightness", -1)
        w.update(ended=ended, confidence=confidence, left_further=gradient_metrics.further_left(
            e.index, rows, "lightness", -1))
        if len(rows) > 1:  # the full engine's darker walk is darker at every step here
            assert w["consistency"] == 1.0 and w["kind_kept"] == 1.0
        walks.append(w)
    base = gradient_metrics.walk_baseline(e.index, pair, steps=4)
    assert len(base) == 5 and base[0] == pair["row"]
    agg = gradient_metrics.aggregate(walks)
    assert agg["walks"] == 2 and 0 <= agg["answered"] <= 1
    assert set(gradient_metrics.calibration(walks)) == {"buckets", "spearman"}


def test_discovery_trajectories(space: Path) -> None:
    e = engine(space, WalkConfig())
    index = e.index
    q = TableEncoder().encode_prompts(["light polo", "polo", "dark polo"])
    seed = index.row("polo-00")
    paper = WalkConfig().paper()
    t_base = discovery.baseline_trajectory(index, seed, 30)
    t_paper = discovery.paper_trajectory(index, build_direction(index, q[1], q[2], paper), paper, seed, 3)
    t_engine, _ = discovery.engine_trajectory(e, ("light polo", "polo", "dark polo"), seed, 3)
    for t in (t_base, t_paper, t_engine):
        assert seed not in t and len(t) == len(set(t))
    assert len(t_paper) == 30
    # the engine's first step and the alternatives to it: darker than the seed by the ground truth
    darkness = [-float(index.items[r].metadata["lightness"]) for r in [seed] + t_engine]
    assert len(t_engine) >= discovery.K_LOG and all(d > darkness[0] for d in darkness[1:discovery.K_LOG + 1])
    counts = discovery.window_counts(list(range(60)), set(range(10)))
    assert len(counts) == 60 - discovery.WINDOW + 1 and counts[0] == 10 and counts[-1] == 0
    s = discovery.trajectory_summary(index, t_paper, {"negative": {1}, "neutral": {2}, "positive": {3}}, "lightness", -1)
    assert s["length"] == 30 and s["order_ok"] is None  # too short for the window analysis


def test_speed_helpers_run(space: Path) -> None:
    base = np.stack([point(k, d) for k in KINDS for d in (0.1, 0.5, 0.9)])
    kinds = np.repeat(np.arange(len(KINDS)), 3).astype(np.int32)
    chunks = list(speed.synth_chunks(base, kinds, 500, seed=3))
    again = list(speed.synth_chunks(base, kinds, 500, seed=3))
    vectors = np.vstack([x for _, x, _ in chunks])
    codes = np.concatenate([c for _, _, c in chunks])
    assert vectors.shape == (500, base.shape[1]) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors, np.vstack([x for _, x, _ in again]))
    queries, q_codes = vectors[:7], codes[:7]
    truth, truth_cat = speed.exact_topk(vectors, codes, queries, q_codes, k=5)
    brute = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
    assert speed.recall(truth, brute) == pytest.approx(1.0)
    assert all(codes[r] == c for row, c in zip(truth_cat, q_codes) for r in row)
    names = list(KINDS)
    items = [Item(f"s{i}", "", names[c], None, {}) for i, c in enumerate(codes.tolist())]
    ivf = build_faiss_index(vectors, IndexConfig(type="ivf", ivf_nlist=4, ivf_nprobe=4, ivf_codec="sq8"))
    index = ItemIndex(items, vectors, ivf, {"fingerprint": "smoke"})
    _, found = index.search(queries, 5)
    assert speed.recall(found, truth) > 0.8
    _, found_cat = index.search(queries[0], 5, category=names[q_codes[0]])
    assert all(index.items[r].category == names[q_codes[0]] for r in found_cat[0] if r >= 0)
    directions = [("polo", "dark polo", "light polo", "polo")]
    prompts = {p: v for p, v in zip(("polo", "dark polo", "light polo"),
                                    TableEncoder().encode_prompts(["polo", "dark polo", "light polo"]))}
    seeds = [(int(np.flatnonzero(codes == 0)[0]), 0)]
    cfg = WalkConfig(n_neutral=20, n_exemplar=20, k=10)
    for result in (speed.time_walks(index, prompts, cfg, seeds, 2, True, directions),
                   speed.time_refine(index, prompts, cfg, seeds, 2, directions),
                   speed.time_reference(vectors, prompts["dark polo"], [0], 2)):
        assert result["steps"] >= 1 and result["p50_ms"] >= 0


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """MiniLM on one intra-op thread, as the servers run it (`ONE_THREAD`): on the two cores the
    test processes share, a second thread mostly spins (the critiques run's CPU time halves);
    nothing here measures speed."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def test_critiques_benchmark_runs_on_the_sample_catalog(sample_index_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                         one_torch_thread: None) -> None:
    """Every critique kind's measuring code runs (1 seed per task, 2-step walks) and the report
    renders with its targets; the numbers themselves come from `make bench`."""
    from benchmarks import critiques

    monkeypatch.setattr(critiques, "QUICK_SEEDS", 1)
    monkeypatch.setattr(critiques, "STEPS", 2)
    r = critiques.run(quick=True, index_dir=str(sample_index_dir))
    assert set(r["comparatives"]) == {text for _, text, _ in critiques.COMPARATIVES}
    for e in r["comparatives"].values():
        assert set(critiques.METHODS) - {critiques.TEXT_ONLY} <= set(e)
        assert 0 <= e["critique engine (this change)"]["walk_length"] <= 2
    assert r["substitutions"] and r["structured"] and r["open_vocabulary"] and r["compound"]
    text = critiques.markdown(r)
    assert "### Comparatives" in text and "### Questions" in text
    assert all(line.startswith("- ") for line in critiques.misses(r))


def test_critiques_ground_truth_helpers(sample_index_dir: Path) -> None:
    from benchmarks import critiques
    from gradrec_core import load_index

    items = list(load_index(sample_index_dir).items)
    dress = next(i for i in items if i.category == "dress" and i.metadata["length_name"] == "knee-length")
    # knee-length -> midi -> maxi: two levels further, whatever the catalog's size
    assert critiques._possible(items, dress, "length", +1) == 2
    assert critiques._further(items, dress, "length", +1, {dress.id})
    longest = max((i for i in items if i.category == "dress"), key=lambda i: float(i.metadata["length"]))
    assert not critiques._further(items, longest, "length", +1, {longest.id})
    assert critiques._possible(items, longest, "length", +1) == 0


def test_retail_ground_truth_is_the_csv_and_the_colour_dictionaries(tmp_path: Path, sample_index_dir: Path) -> None:
    """The retail catalog's ground truth (`critiques --catalog retail`): the occasion scale from
    the CSV's usage (off-scale values have no level), colour names' L* from the dictionaries'
    hex written out here, and the fast seed pool equal to `_further` item by item."""
    import csv

    from benchmarks import critiques
    from gradrec_core import Item

    def lightness(hex_: str) -> float:
        rgb = [int(hex_[i:i + 2], 16) / 255.0 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
        return 116 * (y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29) - 16

    for name, hex_ in (("Navy Blue", "#001146"), ("Charcoal", "#343837"), ("navy", "#000080"),
                       ("Grey Melange", "#808080"), ("Coffee Brown", "#a52a2a")):
        assert abs(float(critiques.name_lab_truth(name)[0]) - lightness(hex_)) < 0.3, name  # type: ignore[index]
    assert critiques.name_lab_truth("Multi") is None
    rows = [("1", "Shirts", "Casual", "Navy Blue"), ("2", "Shirts", "Smart Casual", "White"),
            ("3", "Shirts", "Formal", "Charcoal"), ("4", "Shirts", "Party", "Multi"), ("5", "Tshirts", "Sports", "Red"),
            ("6", "Tshirts", "Casual", "Black")]
    path = tmp_path / "items.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "articleType", "usage", "baseColour"])
        w.writerows(rows)
    value = critiques.RetailTruth(path)
    items = [Item(i, f"{c} {k}", k, metadata={"usage": u, "baseColour": c}) for i, k, u, c in rows]
    assert [value(it, "formality") for it in items] == [0.0, 1.0, 2.0, None, None, 0.0]
    assert [value(it, "sport") for it in items] == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    assert value(items[3], "lightness") is None and value(items[5], "lightness") == 0.0
    truth = critiques.Truth("t", tmp_path, critiques.RETAIL_COMPARATIVES, value, ("usage",), {}, {"lightness": 2.0},
                            no_level_is_wrong=True)
    for attribute, _, sign in critiques.RETAIL_COMPARATIVES:
        assert critiques._with_somewhere_to_go(items, attribute, sign, truth) == [
            it.id for it in items if value(it, attribute) is not None
            and critiques._further(items, it, attribute, sign, {it.id}, truth)]
    # a step onto an occasion off the scale is a wrong step on this catalog, not left out
    assert critiques._moves(0.0, None, +1, truth) is False and critiques._moves(None, 1.0, +1, truth) is None
    assert critiques._moves(0.0, None, +1, critiques.SAMPLE) is None


def test_scale_benchmark_runs_small(tmp_path: Path, sample_index_dir: Path) -> None:
    """benchmarks/scale.py's big-catalog path at 400 rows: built from --vectors, loaded in a fresh
    process, 1% of the texts changed and re-indexed (only those rows embedded), rendered."""
    from benchmarks import scale

    found = scale.big(400, tmp_path, items_per_s=100.0)
    assert found["items"] == 400 and found["load_s"] > 0 and found["rss_loaded_mb"] > 0
    assert "4 embedded" in found["update_said"] and "396 kept" in found["update_said"]
    assert str(tmp_path) not in found["update_said"]
    indexing = {"texts": 8, "torch_threads": 2, "plain_loop": 1.0, "plain_loop_again": 1.0, "torch": 1.0,
                "onnx": 1.0, "onnx_int8": 1.0, "torch_x": 1.0, "onnx_x": 1.0, "onnx_int8_x": 1.0,
                "onnx_recall_at_10": 1.0, "onnx_cosine_min": 1.0, "onnx_int8_recall_at_10": 1.0,
                "onnx_int8_cosine_min": 1.0}
    text = scale.markdown({"indexing": indexing, "sizes": [found],
                           "run": {"started": "now", "seconds": 1.0, "load_start": 0.0, "load_end": 0.0}})
    assert "| 400 |" in text


def test_encoding_benchmark_recall_and_verdict() -> None:
    """benchmarks/encoding.py's arithmetic: recall@10 against the float top 10, and the verdict
    names the fastest backend that keeps recall >= 0.98 and says whether it reaches 3x."""
    from benchmarks import encoding

    rng = np.random.default_rng(1)
    items = rng.normal(size=(50, 8)).astype(np.float32)
    queries = rng.normal(size=(5, 8)).astype(np.float32)
    assert encoding.recall_at_10(queries, items, queries, items) == 1.0
    assert encoding.recall_at_10(queries, items, -queries, items) < 0.5  # the opposite ranking
    row = {"best": 1, "median": 1, "x_best": 1, "cosine_min": 1, "cosine_mean": 1}
    result = {"backends": {"plain_loop": {**row, "x_median": 1.0, "recall_at_10": 1.0},
                           "torch": {**row, "x_median": 1.1, "recall_at_10": 1.0},
                           "onnx": {**row, "x_median": 1.9, "recall_at_10": 1.0},
                           "onnx-int8": {**row, "x_median": 5.0, "recall_at_10": 0.9},
                           # a reference row of the plain loop is never the verdict's backend
                           "plain_loop_batch_8": {**row, "x_median": 9.0, "recall_at_10": 1.0}}}
    assert encoding.verdict(result) == ("onnx", False)
    result["backends"]["onnx"]["x_median"] = 3.2
    assert encoding.verdict(result) == ("onnx", True)
    result["backends"]["onnx"]["recall_at_10_second"] = 0.97  # the second, disjoint query set counts too
    assert encoding.verdict(result) == ("torch", False)
def test_turn_latency_benchmark_runs_small(tmp_path: Path, sample_index_dir: Path) -> None:
    """benchmarks/scale.py --turns at 400 rows: every turn kind timed for both steps in a fresh
    process (the first seed only warms), rendered with a row per turn kind."""
    from benchmarks import scale, scale_turns

    catalog, vectors = scale.synthetic(400, tmp_path, np.random.default_rng(0))
    scale.gradrec("index", str(catalog), "--out", str(tmp_path / "index"), *scale.INDEX_ARGS, "--vectors", str(vectors))
    found = scale_turns.measure(tmp_path / "index", trials=3)
    labels = [label for label, _ in scale_turns.TURNS + (scale_turns.COLD,)]
    assert all(found[label][which]["n"] == 3 for label in labels for which in ("new", "old", "new_cpu", "old_cpu"))
    run = {"started": "now", "seconds": 1.0, "load_start": 0.0, "load_end": 0.0}
    text = scale_turns.markdown({"sizes": [{**found, "run": run}]})
    assert all(f"| {label} |" in text for label in labels) and "| 400 |" in text
    assert "CPU time" in text and "at 3,200,000 items (every warm turn p95 < 50 ms): not measured" in text


def test_the_row_by_row_build_writes_what_gradrec_index_writes(tmp_path: Path) -> None:
    """The big indexes that `gradrec index` cannot hold in memory are written row by row
    (`scale.direct_build`): the same items, columns and vectors as `gradrec index` writes."""
    import subprocess

    from benchmarks import scale
    from gradrec_core import load_index

    catalog, vectors = scale.synthetic(500, tmp_path, np.random.default_rng(1))
    scale.gradrec("index", str(catalog), "--out", str(tmp_path / "by-cli"), *scale.INDEX_ARGS, "--vectors", str(vectors))
    command = scale.direct_build(tmp_path, catalog, vectors, 500, tmp_path / "by-row")
    subprocess.run(command, check=True, cwd=scale.REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    a, b = load_index(tmp_path / "by-cli"), load_index(tmp_path / "by-row")
    assert len(a) == len(b) == 500
    assert [a.items[i] for i in range(500)] == [b.items[i] for i in range(500)]
    # `gradrec index --vectors` normalises the rows again: the last bit may differ
    assert np.allclose(np.asarray(a.vectors), np.asarray(b.vectors), rtol=0, atol=1e-6)
    for c in a.schema.attributes:
        assert np.array_equal(a.column(c.name), b.column(c.name)), c.name
