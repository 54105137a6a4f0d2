"""The `gradrec` command end to end: real processes, real index folders, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRADREC = [sys.executable, "-m", "gradrec_core.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRADREC, *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cat")
    rows = ["sku,title,blurb,type,price"]
    shades = [("navy", "dark"), ("midnight blue", "dark"), ("royal blue", ""), ("sky blue", "light"),
              ("powder blue", "pale"), ("cobalt", "")]
    for i, (colour, tone) in enumerate(shades):
        rows.append(f"P{i},{colour} polo shirt,{tone} {colour} cotton polo,polo,{20 + i}")
        rows.append(f"S{i},{colour} skirt,{tone} {colour} midi skirt,skirt,{30 + i}")
    (d / "shop.csv").write_text("\n".join(rows) + "\n")
    return d / "shop.csv"


SMALL_INDEX_ARGS = ["--id-column", "sku", "--text-columns", "title,blurb", "--category-column", "type"]
IndexRun = tuple[Path, subprocess.CompletedProcess[str]]  # an index folder and the run that wrote it


@pytest.fixture(scope="module")
def small_index_run(small_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> IndexRun:
    """`small_csv` indexed once by the command: the index folder and the run (its output is
    checked by the index test, the folder read by the commands that only read an index)."""
    idx = tmp_path_factory.mktemp("small-index") / "idx"
    return idx, run("index", str(small_csv), "--out", str(idx), *SMALL_INDEX_ARGS)


@pytest.fixture(scope="module")
def small_index(small_index_run: IndexRun) -> Path:
    idx, r = small_index_run
    assert r.returncode == 0, r.stderr
    return idx


def test_index_names_the_columns_it_did_not_use(tmp_path: Path) -> None:
    catalog = tmp_path / "shop.csv"
    catalog.write_text("id,name,kind,image,note\n" + "".join(
        f"i{i},{colour} polo shirt,polo,img/{i}.png,n{i}\n" for i, colour in enumerate(["navy", "red", "sky blue"])))
    r = run("index", str(catalog), "--out", str(tmp_path / "idx"), "--text-columns", "name")
    assert r.returncode == 0, r.stderr
    [line] = [line for line in r.stdout.splitlines() if line.startswith("columns: ")]
    assert "image -" in line and "image (name it with --image-column?)" in line, line
    assert "note" in line.split("not used: ")[1], line


def test_index_any_csv_then_walk_similar_search(small_csv: Path, small_index_run: IndexRun, tmp_path: Path) -> None:
    out, r = small_index_run  # the index run (the commands that only read an index share its folder)
    assert r.returncode == 0, r.stderr
    assert "indexed 12 items" in r.stdout
    # one line says what each column was taken for, named or inferred, and what nothing uses
    assert "columns: id sku; text title,blurb; name title; category type; image -; numeric price;" in r.stdout
    assert "; not used: none" in r.stdout, r.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 12 and manifest["dim"] == 384 and manifest["encoder"] == "minilm"
    assert len(manifest["catalog"]["sha256"]) == 64
    before = (out / manifest["version"] / "index.faiss").stat().st_mtime_ns
    again = run("index", str(small_csv), "--out", str(out), *SMALL_INDEX_ARGS)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert json.loads((out / "manifest.json").read_text())["version"] == manifest["version"]
    assert (out / manifest["version"] / "index.faiss").stat().st_mtime_ns == before  # nothing rewritten

    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# polos\nP2\n\nS2\n")
    w = run("walk", "--index", str(out), "--seeds-file", str(seeds), "--neutral", "blue polo shirt",
            "--exemplar", "dark blue polo shirt", "--steps", "3", "--json")
    assert w.returncode == 0, w.stderr
    lines = [json.loads(line) for line in w.stdout.splitlines()]
    assert [x["seed"] for x in lines] == ["P2", "S2"]
    for x in lines:
        assert x["seed"] not in x["items"] and len(set(x["items"])) == len(x["items"])
        assert 0.0 <= x["confidence"] <= 1.0 and isinstance(x["end_reached"], bool)
        kind = x["seed"][0]
        assert all(i.startswith(kind) for i in x["items"])  # style held: polos stay polos

    s = run("similar", "--index", str(out), "--seed", "P0", "--k", "3", "--json")
    sim = json.loads(s.stdout)
    assert sim["seed"] == "P0" and len(sim["items"]) == 3 and "P0" not in sim["items"]
    assert sim["scores"] == sorted(sim["scores"], reverse=True)

    q = run("search", "--index", str(out), "--query", "navy polo", "--k", "2", "--json")
    assert json.loads(q.stdout)["items"][0] == "P0"


@pytest.mark.parametrize("args, message", [
    (["walk", "--index", "{idx}", "--seed", "NOPE", "--neutral", "a", "--exemplar", "b"],
     "--seed: unknown item id 'NOPE'"),
    (["walk", "--index", "{idx}", "--seeds-file", "{bad_seeds}", "--neutral", "a", "--exemplar", "b"],
     "line 2: unknown item id 'Q9'"),
    (["walk", "--index", "{idx}", "--seed", "P0", "--neutral", "a", "--exemplar", "b", "--steps", "0"],
     "--steps must be at least 1"),
    (["walk", "--index", "{tmp}/nowhere", "--seed", "P0", "--neutral", "a", "--exemplar", "b"],
     "not an index folder"),
    (["similar", "--index", "{idx}", "--seed", "P0", "--k", "x"], "invalid int value"),
    (["index", "{tmp}/missing.csv", "--out", "{tmp}/o"], "missing.csv: catalog file not found"),
    (["index", "{csv}", "--out", "{tmp}/o", "--id-column", "nope", "--text-columns", "title"],
     "no id column 'nope'"),
    (["search", "--index", "{idx}", "--query", " "], "--query is empty"),
])
def test_bad_input_exits_2_with_one_line(small_csv: Path, small_index: Path, tmp_path: Path, args: list[str],
                                        message: str) -> None:
    idx = small_index
    bad_seeds = tmp_path / "seeds.txt"
    bad_seeds.write_text("P1\nQ9\n")
    fmt = {"idx": idx, "tmp": tmp_path, "csv": small_csv, "bad_seeds": bad_seeds}
    r = run(*[a.format(**fmt) for a in args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_sample_index_loads_fast(sample_index_dir: Path) -> None:
    """Loading the sample catalog's index is "well under a second"; this is a sanity bound
    (10x slack for a busy shared machine), the benchmark has the real number."""
    from gradrec_core import load_index

    started = time.perf_counter()
    index = load_index(sample_index_dir)
    assert len(index) >= 3000
    assert time.perf_counter() - started < 5.0
