"""Catalog -> encoder -> index folder, doing nothing when the folder is already up to date.

An update (the same folder, a changed catalog) re-embeds only the rows whose embedded content
changed: each version stores a content hash per row (`row_keys`), and a row of the new catalog
whose hash the current version holds takes that row's vector. Prices and other columns that are
not embedded change without re-embedding anything. `--vectors` takes the vectors from a file
instead (embeddings a shop already has), checked before anything is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from tqdm.auto import tqdm

from .catalog import Catalog, CatalogSpec, load_catalog
from .columns import encode_items
from .colour import image_swatch
from .encoders import Encoder, get_encoder
from .schema import _BRAND_WORDS, _COLOUR_COLUMN_WORDS, ColumnValues, brand_matcher, column_words, \
    infer_kind_column, infer_schema, learn_brands
from .index import IndexConfig, catalog_fingerprint, image_fingerprint, patch_flat, read_manifest, read_row_keys, \
    read_vectors, stage_columns, stage_version, version_dir, write_flat, write_index, writer_lock
from .types import CatalogError, Item

log = logging.getLogger(__name__)

NORM_TOLERANCE = 1e-3  # supplied vectors further than this from unit norm are normalised (and counted)


@dataclass(frozen=True)
class IndexReport:
    out_dir: Path
    rebuilt: bool  # False: the folder was already up to date and nothing was done
    items: int
    skipped: dict[str, list[int]]  # reason -> line numbers (lenient loads only)
    seconds: float
    items_per_second: float | None
    embedded: int = 0  # rows the encoder embedded this time
    reused: int = 0  # rows whose vector was kept from the previous version
    supplied: int = 0  # rows whose vector came from --vectors
    normalised: int = 0  # supplied rows whose norm was not 1
    columns: str = ""  # one line: what each column was taken for, named or inferred, and what nothing uses


_HINTS = (("--image-column", ("image", "img", "photo", "picture")),
          ("--category-column", ("kind", "category", "type", "article")))


def describe_columns(spec: CatalogSpec, catalog_columns: Sequence[str], text_columns: Sequence[str],
                     schema: Any) -> str:
    """One line saying what each column is used as (named by a flag or inferred) and which
    columns nothing uses, with the flag a column's name suggests, so a column the flags did not
    name is not ignored silently."""
    roles = [("id", [spec.id_column]), ("text", list(text_columns)), ("name", [schema.name_column]),
             ("category", [schema.kind_column]), ("image", [spec.image_column]),
             ("numeric", [c.name for c in schema.numeric]), ("attributes", [c.name for c in schema.attributes]),
             ("swatch", [schema.swatch_column]), ("colour", [schema.colour_column]),
             ("brand", [schema.brand_column])]
    used = {c for _, cols in roles for c in cols if c}
    parts = [f"{role} {','.join(dict.fromkeys(c for c in cols if c)) or '-'}" for role, cols in roles]
    unused = []
    for column in catalog_columns:
        if column in used:
            continue
        flag = next((f for f, words in _HINTS if any(w in column.lower() for w in words)), None)
        unused.append(f"{column} (name it with {flag}?)" if flag else column)
    return "columns: " + "; ".join(parts) + f"; not used: {', '.join(unused) or 'none'}"


def row_keys(items: Sequence[Item], encoder: str) -> np.ndarray:
    """A content hash per row (uint8, (n, 16)) of exactly what the encoder embeds for it: its
    text, or for CLIP its image (path, size and modification time; a URL as given)."""
    keys = np.empty((len(items), 16), dtype=np.uint8)
    for row, item in enumerate(items):
        if encoder == "clip" and item.image:
            if item.image.startswith(("http://", "https://")):
                content = f"url\0{item.image}"
            else:
                stat = os.stat(item.image)
                content = f"image\0{item.image}\0{stat.st_size}\0{stat.st_mtime_ns}"
        else:
            content = f"text\0{item.text}"
        keys[row] = np.frombuffer(hashlib.blake2b(content.encode(), digest_size=16).digest(), dtype=np.uint8)
    return keys


def check_vectors(path: str | Path, rows: int, dim: int | None) -> tuple[np.ndarray, int]:
    """The supplied vectors as float32 unit rows, and how many were normalised; CatalogError (one
    line naming the file and what is wrong) unless it is a finite (rows, dim) float array with
    no zero row."""
    path = Path(path)
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise CatalogError(f"{path}: not a readable .npy array ({err})") from None
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise CatalogError(f"{path}: expected a 2-D array (one row per catalog row), "
                           f"got shape {getattr(vectors, 'shape', '?')}")
    if not np.issubdtype(vectors.dtype, np.floating):
        raise CatalogError(f"{path}: expected float32 vectors, got {vectors.dtype}")
    if vectors.shape[0] != rows:
        raise CatalogError(f"{path}: {vectors.shape[0]} rows, but the catalog has {rows} items "
                           "(one row per catalog row, in file order)")
    if dim is not None and vectors.shape[1] != dim:
        raise CatalogError(f"{path}: vectors of dimension {vectors.shape[1]}, but the query encoder "
                           f"embeds into {dim} (name the encoder that made them with --encoder/--model)")
    out = np.empty(vectors.shape, dtype=np.float32)
    normalised = 0
    for start in range(0, rows, 65_536):  # in chunks: a memory-mapped file is read once
        chunk = np.asarray(vectors[start:start + 65_536], dtype=np.float32)
        bad = ~np.isfinite(chunk).all(axis=1)
        if bad.any():
            raise CatalogError(f"{path}: row {start + int(np.flatnonzero(bad)[0])} is not finite (NaN or inf)")
        norms = np.linalg.norm(chunk, axis=1)
        zero = norms < 1e-6
        if zero.any():
            raise CatalogError(f"{path}: row {start + int(np.flatnonzero(zero)[0])} has norm 0 "
                               "(no direction to compare by cosine)")
        normalised += int((np.abs(norms - 1.0) > NORM_TOLERANCE).sum())
        out[start:start + len(chunk)] = chunk / norms[:, None]
    return out, normalised


def index_catalog(
    catalog_path: str | Path,
    out_dir: str | Path,
    spec: CatalogSpec | None = None,
    encoder: str = "minilm",
    model: str | None = None,
    index_config: IndexConfig | None = None,
    force: bool = False,
    encoder_instance: Encoder | None = None,
    vectors_path: str | Path | None = None,
    backend: str | None = None,
) -> IndexReport:
    with _no_cyclic_gc():  # a million items' objects: the collector would walk them over and over
        return _index_catalog(catalog_path, out_dir, spec, encoder, model, index_config, force,
                              encoder_instance, vectors_path, backend)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector off for a bulk load (items hold no cycles; reference counting
    frees them): 2.5-6 s of a million-row catalog's load otherwise."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _index_catalog(
    catalog_path: str | Path,
    out_dir: str | Path,
    spec: CatalogSpec | None,
    encoder: str,
    model: str | None,
    index_config: IndexConfig | None,
    force: bool,
    encoder_instance: Encoder | None,
    vectors_path: str | Path | None,
    backend: str | None,
) -> IndexReport:
    started = time.perf_counter()
    spec = spec or CatalogSpec()
    index_config = index_config or IndexConfig()
    if backend is None and encoder_instance is None:
        backend = _kept_backend(out_dir, encoder)
    enc = encoder_instance or get_encoder(encoder, model, backend=backend)
    backend = getattr(enc, "backend", "torch")
    if encoder_instance is None and vectors_path is None:
        _preload(enc, catalog_path, out_dir)
    catalog = load_catalog(catalog_path, spec)
    if spec.category_column is None:
        kind = infer_kind_column(catalog.items, catalog.columns, exclude=[
            spec.id_column, spec.image_column, spec.name_column, *catalog.text_columns], source=str(catalog_path))
        if kind is not None:  # loaded again with it: the kind is every item's category
            spec = dataclasses.replace(spec, category_column=kind)
            catalog = load_catalog(catalog_path, spec)
    columns, brand_column = list(catalog.columns), spec.brand_column
    values = ColumnValues(catalog.items)  # each column's distinct values, counted once for all below
    derived = False
    if brand_column is None and not any(set(column_words(c)) & _BRAND_WORDS for c in columns):
        derived_column = _derive_brands(catalog, spec, values)
        if derived_column is not None:
            columns.append(derived_column)
            brand_column, derived = derived_column, True
    if (spec.swatch_column is None and spec.image_column is not None
            and not any(set(column_words(c)) & _COLOUR_COLUMN_WORDS for c in columns)):
        derived_swatch = _image_swatches(catalog, spec)
        if derived_swatch is not None:
            columns.append(derived_swatch)
    schema = infer_schema(
        catalog.items, columns, kind_column=spec.category_column,
        text_columns=catalog.text_columns,
        reserved=[c for c in (spec.id_column, spec.category_column, spec.image_column) if c],
        numeric_columns=spec.numeric_columns, attribute_columns=spec.attribute_columns,
        name_column=spec.name_column, swatch_column=spec.swatch_column,
        price_column=spec.price_column, brand_column=brand_column, brand_derived=derived,
        source=str(catalog_path), column_values=values,
    )
    columns_used = describe_columns(spec, catalog.columns, catalog.text_columns, schema)
    skipped = {reason: [r.line for r in rows] for reason, rows in catalog.skipped_by_reason().items()}
    if vectors_path is not None and catalog.skipped:
        lines = sorted(line for found in skipped.values() for line in found)
        raise CatalogError(f"{catalog_path}: {len(lines)} rows skipped (lines {', '.join(map(str, lines[:10]))}"
                           f"{' ...' if len(lines) > 10 else ''}): --vectors needs every row, in file order")
    if vectors_path is not None:
        images = f"vectors:{_file_sha256(vectors_path)}"
    else:
        images = image_fingerprint(catalog.items) if encoder == "clip" else ""
    fingerprint = catalog_fingerprint(catalog.sha256, {**spec.to_dict(), "text_columns": list(catalog.text_columns),
                                       "schema": schema.to_dict()},
                                      encoder if backend == "torch" else f"{encoder}+{backend}",
                                      enc.model_name, index_config, images)
    manifest = read_manifest(out_dir)
    if not force and manifest is not None and manifest.get("fingerprint") == fingerprint:
        log.info("%s is up to date with %s; nothing to do", out_dir, catalog_path)
        return IndexReport(Path(out_dir), False, len(catalog.items), skipped,
                           time.perf_counter() - started, None, columns=columns_used)
    with writer_lock(out_dir):  # held from staging an update's files to publishing them
        manifest = read_manifest(out_dir)  # another writer may have published since
        keys = row_keys(catalog.items, encoder)
        normalised = supplied = embedded = reused = 0
        encoded, staged = None, None
        if vectors_path is not None:
            encode_started = time.perf_counter()
            vectors, normalised = check_vectors(vectors_path, len(catalog.items), _query_dim(enc))
            encode_seconds = time.perf_counter() - encode_started
            supplied = len(vectors)
            source = {"vectors": "supplied", "vectors_file": Path(vectors_path).name}
        else:
            kept, reused = _reuse(out_dir, manifest, keys, (encoder, enc.model_name, backend)) \
                if not force else (None, 0)
            todo = catalog.items if kept is None else [catalog.items[r] for r in kept.todo]

            def embed() -> tuple[np.ndarray, float]:
                embed_started = time.perf_counter()
                out = np.asarray(enc.encode_items(todo, progress=True), dtype=np.float32)
                return out, time.perf_counter() - embed_started

            # Three things at once on their own cores where there are: the encoder embeds the new rows
            # (it releases the GIL), an update's exact index file is written with the rows it keeps
            # (file writes release it too; the new rows are added once embedded) and this thread
            # stores the items by column (written beside it).
            staged = stage_version(out_dir) if kept is not None and index_config.type == "flat" else None
            try:
                with ThreadPoolExecutor(2, thread_name_prefix="index") as pool:
                    writing = pool.submit(write_flat, staged / "index.faiss", kept) if staged else None
                    job = pool.submit(embed) if todo else None
                    encoded = encode_items(catalog.items)
                    if staged is not None:
                        stage_columns(staged, encoded, {"schema": schema.to_dict()})
                    fresh, encode_seconds = job.result() if job is not None else (None, 0.0)
                    if writing is not None:
                        writing.result()
                embedded = len(todo)
                if kept is None:
                    vectors = fresh
                else:
                    if fresh is not None:
                        kept.fresh = fresh
                        if staged is not None:
                            patch_flat(staged / "index.faiss", kept.todo, fresh)
                    vectors = kept
            except BaseException:
                if staged is not None:
                    shutil.rmtree(staged, ignore_errors=True)
                raise
            source = {"vectors": "encoder"}
        log.info("%d rows embedded, %d kept from the previous version, %d supplied", embedded, reused, supplied)
        write_index(out_dir, catalog.items, vectors, {
            "encoder": encoder,
            "model": enc.model_name,
            "backend": backend,  # the queries are embedded by the same one (Engine.encoder)
            "fingerprint": fingerprint,
            **source,
            "catalog": {
                "path": str(Path(catalog_path).resolve()),
                "sha256": catalog.sha256,
                "spec": spec.to_dict(),
                "text_columns": list(catalog.text_columns),
                "items": len(catalog.items),
                "skipped": {reason: len(lines) for reason, lines in skipped.items()},
            },
            "schema": schema.to_dict(),
            "encode_seconds": round(encode_seconds, 3),
            "rows": {"embedded": embedded, "reused": reused, "supplied": supplied},
        }, index_config, row_keys=keys if vectors_path is None else None, encoded=encoded, staged=staged)
        return IndexReport(Path(out_dir), True, len(catalog.items), skipped, time.perf_counter() - started,
                           embedded / max(encode_seconds, 1e-9) if embedded else None,
                           embedded, reused, supplied, normalised, columns_used)


def _preload(enc: Encoder, catalog_path: str | Path, out_dir: str | Path) -> None:
    """Load the encoder on another thread while the catalog is read (seconds at a million rows)
    when the catalog is not the one the published version was made from: some of its rows may
    need embedding. Its errors are left to the load that needs it."""
    manifest = read_manifest(out_dir)
    try:
        digest = _file_sha256(catalog_path)
    except OSError:
        return  # load_catalog says what is wrong with the path
    if manifest is not None and (manifest.get("catalog") or {}).get("sha256") == digest:
        return  # most likely up to date: nothing to embed

    def load() -> None:
        try:
            enc.load()
        except Exception as err:  # noqa: BLE001 - raised again where the model is needed
            log.debug("loading the encoder ahead failed (%s)", err)

    threading.Thread(target=load, name="load-encoder", daemon=True).start()


def _file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kept_backend(out_dir: str | Path, encoder: str) -> str | None:
    """The backend of the version published in `out_dir` when it was embedded by `encoder`, so
    that an update without --backend keeps it (and its vectors) instead of re-embedding every row
    with today's default; None (the default) for a new folder."""
    manifest = read_manifest(out_dir)
    if manifest is None or manifest.get("encoder") != encoder:
        return None
    return manifest.get("backend") or "torch"


class KeptVectors:
    """A new version's vectors without a full copy in memory: row r is the previous version's
    row `found[r]` (memory-mapped) where found[r] >= 0, else the next of `fresh` (the rows
    embedded now, in row order; zeros until they are). Read in slices by the writer
    (`index.write_flat`), so an update of a million rows streams 1.5 GB from the old file to the
    new one through one chunk, while its new rows are embedded (`index.patch_flat` adds them)."""

    def __init__(self, old: np.ndarray, found: np.ndarray) -> None:
        self.found = found
        self._old = np.asarray(old)  # a plain view of a memmap: its fancy indexing is 8x faster
        self.todo = np.flatnonzero(found < 0)
        self._fresh_at = np.cumsum(found < 0) - 1  # row -> its position in `fresh`
        self.fresh = np.empty((0, old.shape[1]), dtype=np.float32)
        self.shape = (len(found), int(old.shape[1]))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice) -> np.ndarray:
        if not isinstance(rows, slice):
            raise TypeError("KeptVectors is read in slices of rows")
        found = self.found[rows]
        out = np.empty((len(found), self.shape[1]), dtype=np.float32)
        kept = found >= 0
        out[kept] = self._old[found[kept]]  # in row order: mostly sequential reads of the old file
        if not kept.all():
            out[~kept] = self.fresh[self._fresh_at[rows][~kept]] if len(self.fresh) == len(self.todo) else 0.0
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The whole array (an approximate index is built from it in memory anyway)."""
        out = self[0:len(self)]
        return out if dtype is None else out.astype(dtype, copy=False)


def _reuse(out_dir: str | Path, manifest: dict | None, keys: np.ndarray,
           encoder: tuple[str, str, str]) -> tuple[KeptVectors | None, int]:
    """The new rows' vectors where the published version embedded the same content with the
    same encoder, model and backend (`KeptVectors.todo`: the rows left to embed), and how many
    were kept; (None, 0) when nothing can be."""
    if manifest is None or manifest.get("vectors", "encoder") != "encoder" or \
            (manifest.get("encoder"), manifest.get("model"), manifest.get("backend", "torch")) != encoder:
        return None, 0
    old_keys = read_row_keys(out_dir, manifest)
    if old_keys is None:
        old_keys = _format1_keys(out_dir, manifest, encoder[0])
    if old_keys is None:
        return None, 0
    try:
        old = read_vectors(out_dir, manifest)
    except (OSError, ValueError):
        return None, 0
    if old.shape[0] != old_keys.shape[0]:
        return None, 0
    found = match_rows(old_keys, keys)
    return KeptVectors(old, found), int((found >= 0).sum())


def match_rows(old_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each of `keys` (uint8, (n, 16) content hashes), a row of `old_keys` holding the same
    hash, or -1: a binary search on the hashes' first 8 bytes, confirmed on all 16 (a million
    rows in a fraction of a second, no per-row Python)."""
    if len(old_keys) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    old_head = np.ascontiguousarray(old_keys[:, :8]).view(np.uint64).ravel()
    head = np.ascontiguousarray(keys[:, :8]).view(np.uint64).ravel()
    order = np.argsort(old_head, kind="stable")
    sorted_head = old_head[order]
    at = np.minimum(np.searchsorted(sorted_head, head), len(order) - 1)
    candidate = order[at]
    same = (sorted_head[at] == head) & (old_keys[candidate] == keys).all(axis=1)
    return np.where(same, candidate, -1).astype(np.int64)


def _format1_keys(out_dir: str | Path, manifest: dict, encoder: str) -> np.ndarray | None:
    """The content hashes of a format-1 index (items.jsonl, from before items were stored by
    column) written without them: computed from its items, so that rebuilding it in today's
    format re-embeds nothing that did not change."""
    path = version_dir(out_dir, manifest) / "items.jsonl"
    if manifest.get("format") != 1 or not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as f:
            items = [Item(str(d["id"]), d["text"], None, d.get("image")) for d in map(json.loads, f)]
        return row_keys(items, encoder)
    except (OSError, ValueError, KeyError):
        return None


def _query_dim(enc: Encoder) -> int | None:
    """The dimension the query encoder embeds into, read from its configuration without loading
    the weights; None when the configuration cannot be read here (then not checked)."""
    try:
        return enc.config_dim()
    except Exception as err:  # noqa: BLE001 - a check we can only skip, said in the log
        log.warning("could not read the %s encoder's dimension (%s); the vectors' dimension is not checked",
                    enc.name, err)
        return None


def _derive_brands(catalog: Catalog, spec: CatalogSpec, distinct: ColumnValues) -> str | None:
    """Product names that start with the brand ("Puma Women Casual Beige Heels"): the brand list
    learnt from the names (`schema.learn_brands`) is written into each item as a derived
    `brand` column, so "anything from Puma?" and "same brand?" work as on a brand column."""
    name_column = spec.name_column or catalog.text_columns[0]
    names = [str(it.metadata.get(name_column) or "") for it in catalog.items]
    other_words = set()
    other_values = [v for c in distinct.columns() if c != name_column and c not in catalog.text_columns
                    for v, _ in distinct(c) if isinstance(v, str) and len(v) <= 40]
    for v in chain(other_values, {it.category for it in catalog.items if it.category}):
        other_words.update(w.lower() for w in v.replace("-", " ").split())
    brands = learn_brands(names, other_words)
    if not brands:
        return None
    column = next(c for c in ("brand", "brand_from_name", "brand_learnt") if c not in catalog.columns)
    found = 0
    brand_of = brand_matcher(brands)
    brand_by_name = {name: brand_of(name) for name in dict.fromkeys(names)}
    for it, name in zip(catalog.items, names):
        brand = brand_by_name[name]
        if brand:
            it.metadata[column] = brand
            found += 1
    log.info("%s: %d brands learnt from the product names ('%s'), %d of %d items have one "
             "(--brand-column overrides)", catalog.path, len(brands), column, found, len(catalog.items))
    return column


def _image_swatches(catalog: Catalog, spec: CatalogSpec) -> str | None:
    """A catalog with product images and neither a swatch nor a colour column: each item's
    swatch is its image's dominant foreground colour (`colour.image_swatch`), written into
    the item as a derived hex column, so shade and colour critiques are measured on it."""
    local = [it for it in catalog.items if it.image and not it.image.startswith(("http://", "https://"))]
    if len(local) < 2:
        return None
    column = next(c for c in ("swatch", "swatch_from_image", "image_swatch") if c not in catalog.columns)
    for it in tqdm(local, desc="image swatches", disable=len(local) < 500):
        swatch = image_swatch(it.image)  # type: ignore[arg-type]
        if swatch is not None:
            it.metadata[column] = swatch
    found = sum(1 for it in local if column in it.metadata)
    log.info("%s: swatches from %d of %d images (dominant foreground colour, column '%s')", catalog.path,
             found, len(catalog.items), column)
    return column if found >= 2 else None
