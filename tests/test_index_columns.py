"""Index format 2: items stored by column and memory-mapped; format-1 folders refused, and rebuilt
without re-embedding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_updates import SPEC, CountingEncoder, rows, write

from gradrec_core import IndexStateError, index_catalog, load_index
from gradrec_core.index import IndexConfig, version_dir, write_index
from gradrec_core.types import Item, UnknownItemError


@pytest.fixture(scope="module")
def encoder() -> CountingEncoder:
    return CountingEncoder()


def _vectors(n: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(n).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


ODD_ITEMS = [
    Item("a-1", "plain", "shirt", None, {"size": "M", "price": "19.99", "tags": ["x", "y"]}),
    Item("b-2", "numbers", None, "https://example.com/b.png", {"size": 42, "price": 7.5, "ok": True}),
    Item("c-3", "nothing", "shirt", None, {}),
    Item("d-4", "odd strings", "skirt", "/abs/d.png", {"size": "\0zero", "note": "naïve ☂", "price": None}),
    Item("e-5", "nested", "skirt", None, {"size": "M", "extra": {"k": [1, 2]}, "price": ""}),
]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_items_come_back_as_written_from_the_columns(tmp_path: Path, kind: str) -> None:
    v = _vectors(len(ODD_ITEMS))
    write_index(tmp_path / "idx", ODD_ITEMS, v, {"encoder": "x", "model": "x", "fingerprint": "f"},
                IndexConfig(type=kind, hnsw_m=4))
    index = load_index(tmp_path / "idx")
    assert list(index.items) == ODD_ITEMS  # ids, texts, kinds, images and every metadata value's type
    assert index.items[-1] == ODD_ITEMS[-1] and index.items[1:3] == ODD_ITEMS[1:3]
    assert [index.row(it.id) for it in ODD_ITEMS] == list(range(len(ODD_ITEMS)))
    assert "c-3" in index.row_of and "zz" not in index.row_of and index.row_of.get("zz") is None
    with pytest.raises(UnknownItemError):
        index.row("a-")
    np.testing.assert_array_equal(index.vectors, v)
    assert isinstance(index.vectors, np.memmap) and not index.vectors.flags.writeable  # mapped, not read in
    assert index.category_names == ["", "shirt", "skirt"]
    assert index.rows_in_category("skirt").tolist() == [3, 4] and index.rows_in_category(None).tolist() == [1]
    _, found = index.search(v[3], 2, category="skirt")
    assert sorted(found[0].tolist()) == [3, 4]


def test_codes_and_values_give_the_column(tmp_path: Path) -> None:
    write_index(tmp_path / "idx", ODD_ITEMS, _vectors(len(ODD_ITEMS)), {"fingerprint": "f"}, IndexConfig())
    index = load_index(tmp_path / "idx")
    for column in ("size", "note", "nowhere"):
        codes, values = index.codes(column), index.values(column)
        assert codes.dtype == np.int32 and values == sorted(values)
        assert [values[c] for c in codes] == list(index.column(column))
    assert list(index.column("size")) == ["m", "42", "", "\0zero", "m"]
    assert index.codes("size")[0] == index.codes("size")[4] != index.codes("size")[1]


def test_a_format_1_folder_is_refused_and_rebuilt_without_re_embedding(tmp_path: Path,
                                                                        encoder: CountingEncoder) -> None:
    catalog, out = write(tmp_path / "a.csv", rows()), tmp_path / "idx"
    index_catalog(catalog, out, SPEC, encoder_instance=encoder)
    current = load_index(out)
    # the same index as the last format-1 version wrote it: items.jsonl, vectors.npy, no content hashes
    manifest = json.loads((out / "manifest.json").read_text())
    old = tmp_path / "old"
    old.mkdir()
    np.save(old / "vectors.npy", np.asarray(current.vectors))
    with open(old / "items.jsonl", "w", encoding="utf-8") as f:
        for item in current.items:
            f.write(json.dumps(item.to_dict()) + "\n")
    shutil.copy(version_dir(out, manifest) / "index.faiss", old / "index.faiss")
    del manifest["version"]
    (old / "manifest.json").write_text(json.dumps({**manifest, "format": 1, "fingerprint": "old"}))
    with pytest.raises(IndexStateError, match=r"index format 1 is not .* 2 .*rebuild it: run the same `gradrec index"):
        load_index(old)
    encoder.embedded.clear()
    report = index_catalog(catalog, old, SPEC, encoder_instance=encoder)
    assert (report.embedded, report.reused) == (0, len(rows())) and encoder.embedded == []
    rebuilt = load_index(old)
    assert list(rebuilt.items) == list(current.items)
    np.testing.assert_array_equal(rebuilt.vectors, current.vectors)
    assert not (old / "items.jsonl").exists()  # the format-1 files are removed once the new version is published
