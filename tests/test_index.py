"""The index folder: round trip, staleness, approximate search quality, CLIP item embedding."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from test_encoders import tiny_clip_dir  # noqa: F401  (a fixture: a tiny random CLIP on disk)

from gradrec_core import CatalogSpec, IndexStateError, index_catalog, load_index
from gradrec_core.encoders import get_encoder
from gradrec_core.index import IndexConfig, build_faiss_index, write_index
from gradrec_core.types import Item


def test_round_trip_and_bad_folders(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(20, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    items = [Item(f"i{n}", f"item {n}", "a" if n % 2 else "b", None, {"n": n}) for n in range(20)]
    write_index(tmp_path / "idx", items, v, {"encoder": "x", "model": "x", "fingerprint": "f"}, IndexConfig())
    index = load_index(tmp_path / "idx")
    assert [i.id for i in index.items] == [i.id for i in items] and index.items[3].metadata == {"n": 3}
    np.testing.assert_array_equal(index.vectors, v)
    scores, rows = index.search(v[4], 3, category="b")
    assert rows[0][0] == 4 and all(index.items[r].category == "b" for r in rows[0])
    with pytest.raises(IndexStateError, match="not an index folder"):
        load_index(tmp_path / "nowhere")
    (tmp_path / "idx" / index.manifest["version"] / "index.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexStateError, match="unreadable index"):
        load_index(tmp_path / "idx")


def test_hnsw_recall_against_exact_on_the_sample(sample_index_dir: Path) -> None:
    exact = load_index(sample_index_dir)
    hnsw = build_faiss_index(exact.vectors, IndexConfig(type="hnsw"))
    queries = exact.vectors[::17]
    _, truth = exact.faiss.search(queries, 10)
    _, found = hnsw.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])
    assert recall >= 0.95, recall


def test_hnsw_index_respects_categories(tmp_path: Path, sample_index_dir: Path) -> None:
    exact = load_index(sample_index_dir)
    write_index(tmp_path / "h", exact.items, exact.vectors, dict(exact.manifest), IndexConfig(type="hnsw"))
    approx = load_index(tmp_path / "h")
    _, rows = approx.search(exact.vectors[:5], 10, category="skirt")
    assert (rows >= 0).all() and all(approx.items[r].category == "skirt" for r in rows.ravel())


def test_clip_index_embeds_images_and_notices_changed_images(tmp_path: Path, tiny_clip_dir: Path) -> None:  # noqa: F811
    from PIL import Image

    (tmp_path / "img").mkdir()
    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        Image.new("RGB", (40, 40), colour).save(tmp_path / "img" / f"{name}.png")
    csv = tmp_path / "c.csv"
    csv.write_text("id,name,pic\nr,red photo,img/red.png\nb,blue thing,img/blue.png\nt,a red photo,\n")
    spec = CatalogSpec(image_column="pic")
    report = index_catalog(csv, tmp_path / "idx", spec, encoder="clip", model=str(tiny_clip_dir))
    assert report.rebuilt
    index = load_index(tmp_path / "idx")
    assert index.manifest["encoder"] == "clip" and index.dim == 16
    enc = get_encoder("clip", model=str(tiny_clip_dir), device="cpu")
    expected_images = enc.encode_images([str(tmp_path / "img" / "red.png"), str(tmp_path / "img" / "blue.png")])
    np.testing.assert_allclose(index.vectors[:2], expected_images, atol=1e-5)
    np.testing.assert_allclose(index.vectors[2], enc.encode_texts(["a red photo"])[0], atol=1e-5)

    assert not index_catalog(csv, tmp_path / "idx", spec, encoder="clip", model=str(tiny_clip_dir)).rebuilt
    Image.new("RGB", (40, 40), (20, 220, 20)).save(tmp_path / "img" / "red.png")
    st = os.stat(tmp_path / "img" / "red.png")
    os.utime(tmp_path / "img" / "red.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert index_catalog(csv, tmp_path / "idx", spec, encoder="clip", model=str(tiny_clip_dir)).rebuilt
