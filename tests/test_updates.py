"""Catalog updates while serving (issue 20 parts 5, 6; issue 19 item 8): an update re-embeds only
the rows whose text changed and publishes a new version atomically; walks go on across versions,
a removed item is answered as such; `--vectors` builds an index from embeddings a shop has."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest

from gradrec_core import CatalogSpec, Engine, ItemRemovedError, index_catalog, load_index
from gradrec_core.encoders import DEFAULT_BACKEND, MiniLMEncoder
from gradrec_core.index import read_row_keys, version_dir
from gradrec_core.types import Item

from conftest import sender_id

SPEC = CatalogSpec(id_column="sku", text_columns=("title", "blurb"), category_column="kind",
                   numeric_columns=("price",))
COLOURS = ["navy", "midnight blue", "royal blue", "sky blue", "powder blue", "cobalt", "black", "charcoal",
           "white", "ivory", "red", "burgundy"]


class CountingEncoder(MiniLMEncoder):
    """The bundled MiniLM, remembering which texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def encode_items(self, items: Sequence[Item], *, progress: bool | None = None) -> np.ndarray:
        self.embedded += [item.text for item in items]
        return super().encode_items(items, progress=progress)


@pytest.fixture(scope="module")
def encoder() -> CountingEncoder:
    return CountingEncoder()


def rows() -> list[dict[str, Any]]:
    out = []
    for i, colour in enumerate(COLOURS):
        for kind in ("polo shirt", "skirt"):
            out.append({"sku": f"{kind[0].upper()}{i:02d}", "title": f"{colour} {kind}",
                        "blurb": f"a {colour} cotton {kind}", "kind": kind, "price": 20 + i})
    return out


def write(path: Path, table: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    return path


def test_an_update_re_embeds_only_changed_rows_and_publishes_a_new_version(tmp_path: Path,
                                                                          encoder: CountingEncoder) -> None:
    table = rows()
    out = tmp_path / "idx"
    encoder.embedded.clear()
    first = index_catalog(write(tmp_path / "a.csv", table), out, SPEC, encoder_instance=encoder)
    assert first.embedded == len(table) and first.reused == 0
    v1 = load_index(out)
    # a price changes (not embedded), a title changes, an item goes, an item comes
    table[0]["price"] = 99
    table[1]["title"] = "crimson skirt"
    gone = table.pop(2)
    table.append({"sku": "N00", "title": "olive polo shirt", "blurb": "an olive cotton polo shirt",
                  "kind": "polo shirt", "price": 31})
    encoder.embedded.clear()
    second = index_catalog(write(tmp_path / "b.csv", table), out, SPEC, encoder_instance=encoder)
    assert (second.embedded, second.reused) == (2, len(table) - 2)
    v2 = load_index(out)
    assert sorted(encoder.embedded) == sorted([v2.item(table[1]["sku"]).text, v2.item("N00").text])
    assert "crimson skirt" in v2.item(table[1]["sku"]).text
    assert v2.manifest["version"] != v1.manifest["version"]
    assert (out / v1.manifest["version"]).is_dir()  # kept for a server still loading it
    assert gone["sku"] not in v2.row_of and "N00" in v2.row_of
    assert v2.item(table[0]["sku"]).metadata["price"] in (99, "99", 99.0)
    for item in v2.items:  # kept rows: the previous version's vectors, bit for bit
        if item.id in v1.row_of and v1.item(item.id).text == item.text:
            np.testing.assert_array_equal(v2.vectors[v2.row(item.id)], v1.vectors[v1.row(item.id)])
    fresh = MiniLMEncoder().encode_texts([v2.item("N00").text, v2.item(table[1]["sku"]).text])
    np.testing.assert_allclose(v2.vectors[[v2.row("N00"), v2.row(table[1]["sku"])]], fresh, atol=1e-5)
    assert read_row_keys(out, v2.manifest).shape == (len(table), 16)
    # the same catalog again: nothing to do; more versions: the oldest go, three are kept
    assert not index_catalog(tmp_path / "b.csv", out, SPEC, encoder_instance=encoder).rebuilt
    for n in range(3):
        table[0]["price"] = 50 + n
        assert index_catalog(write(tmp_path / f"c{n}.csv", table), out, SPEC, encoder_instance=encoder).embedded == 0
    versions = sorted(p.name for p in out.iterdir() if p.name.startswith("v0"))
    assert len(versions) == 3 and load_index(out).manifest["version"] == versions[-1]
    assert not (out / v1.manifest["version"]).exists()


def test_rows_are_matched_by_their_whole_hash() -> None:
    """An update keeps a row's vector only when the published version holds the same 16-byte
    content hash: a hash sharing its first 8 bytes with another (what the search sorts by) is
    not taken for it; a repeated content takes either copy (the same vector)."""
    from gradrec_core.indexing import match_rows

    rng = np.random.default_rng(3)
    old = rng.integers(0, 256, size=(6, 16), dtype=np.uint8)
    old[4] = old[1]  # the same content twice
    twin = old[2].copy()
    twin[12] ^= 0xFF  # same first 8 bytes as row 2, another content
    new = np.stack([old[5], twin, old[1], rng.integers(0, 256, size=16, dtype=np.uint8), old[0]])
    found = match_rows(old, new)
    assert found[0] == 5 and found[1] == -1 and found[2] in (1, 4) and found[3] == -1 and found[4] == 0
    assert (match_rows(old[:0], new) == -1).all() and match_rows(old, new[:0]).shape == (0,)


class FailingEncoder(CountingEncoder):
    def encode_items(self, items: Sequence[Item], *, progress: bool | None = None) -> np.ndarray:
        raise RuntimeError("the encoder broke")


def test_a_failed_update_leaves_the_published_version_and_no_staged_files(tmp_path: Path,
                                                                          encoder: CountingEncoder) -> None:
    """The update stages the new version's index file while the changed rows are embedded; when
    the embedding fails, the staged files go, the published version stays as it was, and the
    next update works."""
    table = rows()
    out = tmp_path / "idx"
    index_catalog(write(tmp_path / "a.csv", table), out, SPEC, encoder_instance=encoder)
    before = (out / "manifest.json").read_text()
    table[3]["title"] = "teal polo shirt"
    with pytest.raises(RuntimeError, match="the encoder broke"):
        index_catalog(write(tmp_path / "b.csv", table), out, SPEC, encoder_instance=FailingEncoder())
    assert (out / "manifest.json").read_text() == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".tmp")) == []
    assert index_catalog(tmp_path / "b.csv", out, SPEC, encoder_instance=encoder).embedded == 1


def test_two_updates_at_once_queue_and_both_land(tmp_path: Path, encoder: CountingEncoder) -> None:
    """Two `index_catalog` runs on one shop's folder at once (threads here; processes take the
    same file lock): one waits for the other, each publishes a whole version, no staged files stay."""
    import threading

    table = rows()
    out = tmp_path / "idx"
    index_catalog(write(tmp_path / "a.csv", table), out, SPEC, encoder_instance=encoder)
    catalogs = []
    for n in range(2):
        changed = [dict(r) for r in table]
        changed[n]["title"] = f"changed {n} {changed[n]['title']}"
        catalogs.append(write(tmp_path / f"b{n}.csv", changed))
    reports: list[Any] = []
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            reports.append(index_catalog(path, out, SPEC, encoder_instance=encoder))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(c,)) for c in catalogs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    # the second compares with what the first published (read under the lock): 2 rows differ
    assert not errors and sorted(r.embedded for r in reports) == [1, 2]
    versions = sorted(p.name for p in out.iterdir() if p.name.startswith("v0"))
    assert len(versions) == 3 and not [p for p in out.iterdir() if p.name.startswith(".tmp")]
    index = load_index(out)
    assert index.manifest["version"] == versions[-1]
    assert Path(index.manifest["catalog"]["path"]).name in ("b0.csv", "b1.csv") and len(index) == len(table)


def test_an_update_without_backend_keeps_the_index_s_backend(tmp_path: Path) -> None:
    """`gradrec index` without --backend: an existing folder keeps the backend that embedded it (its
    vectors are kept, only changed rows embedded, by that backend), a new folder gets the default."""
    table = rows()
    out = tmp_path / "idx"
    index_catalog(write(tmp_path / "a.csv", table), out, SPEC, backend="torch")
    table[1]["title"] = "crimson skirt"
    update = index_catalog(write(tmp_path / "b.csv", table), out, SPEC)
    assert load_index(out).manifest["backend"] == "torch"
    assert (update.embedded, update.reused) == (1, len(table) - 1)
    fresh = index_catalog(tmp_path / "b.csv", tmp_path / "new", SPEC)
    assert fresh.embedded == len(table) and load_index(tmp_path / "new").manifest["backend"] == DEFAULT_BACKEND


def test_a_walk_goes_on_across_versions_and_a_removed_item_is_said(tmp_path: Path,
                                                                   encoder: CountingEncoder) -> None:
    table = rows()
    out = tmp_path / "idx"
    index_catalog(write(tmp_path / "a.csv", table), out, SPEC, encoder_instance=encoder)
    db = f"sqlite:///{tmp_path / 's.db'}"
    before = Engine.open(out, db, encoder=encoder)
    before.start("kept", "P02")  # royal blue polo
    kept_step = before.refine("kept", "blue polo shirt", "dark blue polo shirt")
    before.start("gone", "S03")  # sky blue skirt
    walked = before.refine("gone", "blue skirt", "dark blue skirt")
    assert kept_step.item is not None and walked.item is not None
    # the update: the "gone" shopper's current item is removed; a price of the kept one changes
    removed = walked.item.id
    kept_current = kept_step.item.id
    if kept_current == removed:
        pytest.skip("both walks reached the same item")  # never with these rows; keeps the test honest
    table = [r for r in table if r["sku"] != removed]
    for r in table:
        if r["sku"] == kept_current:
            r["price"] = 77
    index_catalog(write(tmp_path / "b.csv", table), out, SPEC, encoder_instance=encoder)
    after = before.reopened(out)
    assert after.index.manifest["version"] != before.index.manifest["version"]
    assert after.encoder is before.encoder and after.store is before.store

    # the kept walk goes on: same item, its new price, the next step from it, "go back" to the seed
    state = after.state("kept")
    assert state is not None and state.current is not None and state.current.id == kept_current
    assert float(state.current.metadata["price"]) == 77
    assert after.sync("kept", kept_current).current.id == kept_current  # type: ignore[union-attr]
    darker = after.refine("kept", "blue polo shirt", "dark blue polo shirt")
    if darker.item is not None:  # (the end of the walk adds no step)
        assert darker.item.id not in {"P02", kept_current}
        assert after.undo("kept").current.id == kept_current  # type: ignore[union-attr]
    assert after.undo("kept").current.id == "P02"  # type: ignore[union-attr]

    # the removed item: said as such, never "find an item first"; then the closest one still there
    state = after.state("gone")
    assert state is not None and state.current is None and state.removed == removed
    assert after.sync("gone", removed).removed == removed  # the shopper's stale card changes nothing
    with pytest.raises(ItemRemovedError):
        after.refine("gone", "blue skirt", "dark blue skirt")
    replaced = after.replace_removed("gone")
    assert replaced is not None and replaced.removed == removed and replaced.current is not None
    old_vector = before.index.vectors[before.index.row(removed)]
    scores = after.index.vectors @ old_vector
    assert replaced.current.id == after.index.items[int(np.argmax(scores))].id  # the nearest to it
    assert after.state("gone").removed is None  # type: ignore[union-attr]
    again = after.refine("gone", "blue skirt", "dark blue skirt")  # the walk goes on from it
    if again.item is not None:
        assert after.undo("gone").current.id == replaced.current.id  # type: ignore[union-attr]
    # "go back" skips the removed item: from the replacement to the seed
    assert after.undo("gone").current.id == "S03"  # type: ignore[union-attr]


def test_the_action_says_the_item_is_gone_and_goes_on(tmp_path: Path, encoder: CountingEncoder,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions import shop
    from actions.actions import ActionDescribe, ActionSearchItem
    from test_actions import tracker

    table = rows()
    out = tmp_path / "idx"
    index_catalog(write(tmp_path / "a.csv", table), out, SPEC, encoder_instance=encoder)
    monkeypatch.setenv("GRADREC_INDEX", str(out))
    monkeypatch.setenv("GRADREC_DB_URL", f"sqlite:///{tmp_path / 'sessions.db'}")
    shop.reset_engine()
    try:
        d = CollectingDispatcher()
        ActionSearchItem().run(d, tracker("show me a navy skirt", "search_item", "ann"), {})
        shown = d.messages[-1]["custom"]["item"]["id"]
        opened = shop.engine()
        index_catalog(write(tmp_path / "b.csv", [r for r in table if r["sku"] != shown]), out, SPEC,
                      encoder_instance=encoder)
        d = CollectingDispatcher()
        ActionDescribe().run(d, tracker("what is it?", "describe", "ann", slots={"current_item": shown}), {})
        texts = [m.get("text") or "" for m in d.messages]
        assert shop.engine() is not opened  # the new version, without a restart
        assert "no longer available" in texts[0] and "find an item first" not in " ".join(texts)
        now = d.messages[-1]["custom"]["item"]["id"]
        assert now != shown and now in shop.engine().index.row_of
        current = shop.engine()  # a touched manifest (make's `touch`) is not a new version
        stat = (out / "manifest.json").stat()
        os.utime(out / "manifest.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert shop.engine() is current
    finally:
        shop.reset_engine()


# ------------------------------------------------------------------------------ --vectors

GRADREC = [sys.executable, "-m", "gradrec_core.cli"]


def gradrec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GRADREC, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_vectors_from_a_file_build_the_index(tmp_path: Path) -> None:
    table = rows()
    catalog = write(tmp_path / "a.csv", table)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(table), 384)).astype(np.float32) * 3.0  # not unit: scaled
    np.save(tmp_path / "v.npy", vectors)
    args = ["index", str(catalog), "--out", str(tmp_path / "idx"), "--id-column", "sku",
            "--text-columns", "title,blurb", "--category-column", "kind"]
    r = gradrec(*args, "--vectors", str(tmp_path / "v.npy"))
    assert r.returncode == 0, r.stderr
    assert f"{len(table)} rows scaled to unit norm" in r.stdout
    index = load_index(tmp_path / "idx")
    assert index.manifest["encoder"] == "minilm" and index.manifest["vectors"] == "supplied"
    np.testing.assert_allclose(index.vectors, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), atol=1e-6)
    assert not (version_dir(tmp_path / "idx", index.manifest) / "rows.npy").exists()

    bad = {
        "rows": vectors[:-1],
        "dim": vectors[:, :100],
        "nan": np.where(np.arange(len(table))[:, None] == 5, np.nan, vectors).astype(np.float32),
        "zero": np.where(np.arange(len(table))[:, None] == 7, 0.0, vectors).astype(np.float32),
        "flat": vectors.ravel(),
        "ints": vectors.astype(np.int32),
    }
    expected = {
        "rows": f"{len(table) - 1} rows, but the catalog has {len(table)} items",
        "dim": "vectors of dimension 100, but the query encoder embeds into 384",
        "nan": "row 5 is not finite",
        "zero": "row 7 has norm 0",
        "flat": "expected a 2-D array",
        "ints": "expected float32 vectors, got int32",
    }
    for name, array in bad.items():
        np.save(tmp_path / f"{name}.npy", array)
        r = gradrec(*args[:3], str(tmp_path / f"bad-{name}"), *args[4:], "--vectors", str(tmp_path / f"{name}.npy"))
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        assert expected[name] in r.stderr and str(tmp_path / f"{name}.npy") in r.stderr, (name, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not (tmp_path / f"bad-{name}" / "manifest.json").exists()
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    r = gradrec(*args[:3], str(tmp_path / "bad-junk"), *args[4:], "--vectors", str(tmp_path / "junk.npy"))
    assert r.returncode == 2 and "not a readable .npy array" in r.stderr


# ------------------------------------------------------------------------ through the servers

@pytest.mark.rasa
@pytest.mark.slow
def test_an_update_lands_while_shoppers_walk_on_the_served_assistant(assistant_servers: Any,
                                                                     tmp_path: Path) -> None:
    from test_shops import catalog, get, item_id, make_shop, post

    s = assistant_servers  # the shared servers (tests/conftest.py); their shops folder is private
    staging = make_shop(tmp_path / "src")
    s.shops_dir.mkdir(parents=True, exist_ok=True)
    staging.rename(s.shops_dir / "live")
    before = catalog(s.shops_dir / "live")

    def say(sender: str, text: str) -> list[dict[str, Any]]:
        status, messages = post(s, {"sender": sender, "message": text, "metadata": {"shop": "live"}})
        assert status == 200, messages
        return messages

    u1, u2 = sender_id("u1"), sender_id("u2")  # the servers are shared: senders no other test uses
    gone = item_id(say(u1, "show me a red hoodie"))
    kept = item_id(say(u2, "show me black boots"))
    assert gone in before and kept in before and gone != kept
    # the update: u1's item leaves the catalog, u2's changes price (no re-embedding)
    with open(tmp_path / "src" / "shop.csv", newline="") as f:
        table = [r for r in csv.DictReader(f) if r["sku"] != gone]
    for r in table:
        if r["sku"] == kept:
            r["cost"] = "123.45"
    write(tmp_path / "src" / "shop.csv", table)
    report = index_catalog(tmp_path / "src" / "shop.csv", s.shops_dir / "live", CatalogSpec(
        id_column="sku", text_columns=("title",), category_column="category", image_column="image",
        numeric_columns=("cost",), attribute_columns=("colour", "fabric")))
    assert (report.embedded, report.reused) == (0, len(table))
    after = catalog(s.shops_dir / "live")
    assert gone not in after

    messages = say(u1, "something darker")
    texts = " ".join(m.get("text") or "" for m in messages)
    assert "no longer available" in texts and "find an item first" not in texts, messages
    now = item_id(messages)
    assert now in after and now != gone, messages
    # u2's walk goes on, and its item carries the new price
    lighter = item_id(say(u2, "something lighter"))
    assert lighter in after and lighter != kept  # black boots: lighter ones exist, darker none
    raw = say(u2, "go back")
    back = [m for m in raw if (m.get("custom") or {}).get("item")]
    assert back and back[-1]["custom"]["item"]["id"] == kept, raw
    card = back[-1]["custom"]["item"]["attributes"]  # labelled by column, the price with its currency
    assert any("123.45" in str(value) for value in card.values()), card
    assert get(f"{s.base_url}/images/live/{kept}")[0] == 200
    assert get(f"{s.base_url}/images/live/{gone}")[0] == 404
    log = (s.var_dir / "logs" / "rasa_server.log").read_text(errors="replace")
    assert "Traceback" not in log


def test_sessions_start_over_only_when_the_embedding_space_changes(tmp_path: Path) -> None:
    from gradrec_core.index import IndexConfig, write_index

    rng = np.random.default_rng(3)
    v = rng.normal(size=(12, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    items = [Item(f"i{n}", f"item {n}", "k", None, {}) for n in range(12)]
    db = f"sqlite:///{tmp_path / 's.db'}"
    write_index(tmp_path / "a", items, v, {"encoder": "x", "model": "m1", "fingerprint": "f1"}, IndexConfig())
    first = Engine.open(tmp_path / "a", db)
    first.start("s", "i3")
    # another catalog version in the same space (other fingerprint, same encoder and model): kept
    write_index(tmp_path / "a", items[:-1], v[:-1], {"encoder": "x", "model": "m1", "fingerprint": "f2"}, IndexConfig())
    assert first.reopened(tmp_path / "a").state("s").current.id == "i3"  # type: ignore[union-attr]
    # another model: the stored walk positions mean nothing there, the session starts over
    write_index(tmp_path / "a", items, v, {"encoder": "x", "model": "m2", "fingerprint": "f3"}, IndexConfig())
    assert first.reopened(tmp_path / "a").state("s") is None
