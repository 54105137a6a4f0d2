"""The item index: normalised vectors in FAISS (inner product = cosine), items and a manifest.

One folder holds everything `gradrec index` writes::

    manifest.json       encoder, model, dimension, catalog checksum, counts, index type, format, and
                        the version folder holding the files below (replaced atomically)
    v<n>-<time>-<rnd>/  version n (the current one and the two before it are kept)
      index.faiss       exact (the default): FAISS's IndexFlatIP file, padded so that the vectors
                        (float32 (n, dim), L2-normalised, row i = catalog row i) start 64 bytes in;
                        or IndexHNSWFlat / IndexIVF* (approximate), then with vectors.npy beside it
      columns/          the items by column (`columns.py`): codes per row into value tables, plus
                        what servers would otherwise build on first use (numeric columns, swatch
                        CIELAB, rows by kind, the id lookup)
      rows.npy          a content hash per row of what was embedded (updates re-embed the rest)

Loading memory-maps all of it (format 2; format 1 kept items in items.jsonl, read whole into
Python objects): one copy of the vectors, in the page cache, serves FAISS, numpy and every
process serving the shop, and an `Item` is made from its row only when asked for.

Sessions name items by id, never by row, so a server switching to a new version keeps every
walk whose item is still in the catalog (`Engine`).

Exact search is the default: it is what the walk's monotonicity and "end reached" claims are
checked against. HNSW is the approximate choice for large catalogs: it needs no training
(an IVF index needs k-means over a sample and re-training as the catalog drifts), it adds
items incrementally, and on a 2-core machine it reaches high recall at a few hundred
vectors scored per query; its cost is memory (~2*M ints per vector) and build time.
IVF ("ivf") is the choice when HNSW's build time or memory is the problem (millions of items
on two cores): k-means lists, `ivf_nprobe` of them scanned per query, vectors stored as
float32, float16 or 8-bit codes (docs/RESULTS.md has the measurements).
"""

from __future__ import annotations

import dataclasses
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence

import faiss
import numpy as np

from .colour import lab_of_values
from .columns import COLUMNS_DIR, ColumnStore, Items, RowLookup, encode_items, write_columns
from .schema import _KIND_WORDS, CatalogSchema, column_words, infer_schema
from .types import IndexStateError, Item, UnknownItemError

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: items by column, memory-mapped (1: items.jsonl, read whole)
INDEX_TYPES = ("flat", "hnsw", "ivf")
IVF_CODECS = ("flat", "fp16", "sq8")


@dataclass(frozen=True)
class IndexConfig:
    type: str = "flat"  # "flat" (exact) | "hnsw" (approximate) | "ivf" (approximate, trained)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 128
    # IVF: k-means (spherical) coarse quantizer with `ivf_nlist` lists, `ivf_nprobe` scanned per
    # query. Codec of the stored vectors: "flat" (IndexIVFFlat, float32), "fp16" or "sq8"
    # (IndexIVFScalarQuantizer: half / a quarter of the memory; the walk re-scores its
    # candidates on the exact vectors anyway).
    ivf_nlist: int = 0  # 0: about 4 * sqrt(n), at most n / 39
    ivf_nprobe: int = 16
    ivf_codec: str = "flat"
    ivf_train_size: int = 0  # vectors sampled for k-means; 0: 40 per list

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "hnsw_m": self.hnsw_m,
            "hnsw_ef_construction": self.hnsw_ef_construction,
            "hnsw_ef_search": self.hnsw_ef_search,
        }
        if self.type == "ivf":  # only then, so that flat / hnsw fingerprints stay as they were
            d.update(ivf_nlist=self.ivf_nlist, ivf_nprobe=self.ivf_nprobe, ivf_codec=self.ivf_codec,
                     ivf_train_size=self.ivf_train_size)
        return d


def ivf_nlist_for(n: int, config: IndexConfig) -> int:
    """The number of IVF lists for `n` vectors: the configured one, else ~4 * sqrt(n), kept
    at most n / 39 (faiss wants 39 training points per centroid) and at least 1."""
    nlist = config.ivf_nlist or int(4 * np.sqrt(max(n, 1)))
    return int(max(1, min(nlist, n // 39 if n >= 39 else 1)))


def build_faiss_index(vectors: np.ndarray, config: IndexConfig) -> faiss.Index:
    """A FAISS index over unit vectors, scored by inner product (= cosine)."""
    dim = vectors.shape[1]
    if config.type == "flat":
        index = faiss.IndexFlatIP(dim)
    elif config.type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.hnsw_ef_construction
        index.hnsw.efSearch = config.hnsw_ef_search
    elif config.type == "ivf":
        return _build_ivf(vectors, config)
    else:
        raise ValueError(f"unknown index type '{config.type}' (use one of {', '.join(INDEX_TYPES)})")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _build_ivf(vectors: np.ndarray, config: IndexConfig) -> faiss.Index:
    """IVF over unit vectors (inner product; faiss trains the quantizer by spherical k-means)."""
    if config.ivf_codec not in IVF_CODECS:
        raise ValueError(f"unknown IVF codec '{config.ivf_codec}' (use one of {', '.join(IVF_CODECS)})")
    n, dim = vectors.shape
    nlist = ivf_nlist_for(n, config)
    quantizer = faiss.IndexFlatIP(dim)
    if config.ivf_codec == "flat":
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        qtype = faiss.ScalarQuantizer.QT_fp16 if config.ivf_codec == "fp16" else faiss.ScalarQuantizer.QT_8bit
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, qtype, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    quantizer.this.disown()  # owned by the IVF index from here on
    train_size = min(n, config.ivf_train_size or 40 * nlist)
    sample = vectors if train_size >= n else vectors[np.sort(
        np.random.default_rng(0).choice(n, train_size, replace=False))]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    for start in range(0, n, 262_144):  # in chunks: no second full-size float32 copy
        index.add(np.ascontiguousarray(vectors[start:start + 262_144], dtype=np.float32))
    index.nprobe = max(1, min(config.ivf_nprobe, nlist))
    return index


class ItemIndex:
    """Items (by column, `columns.ColumnStore`), their vectors and a FAISS index over them.
    Read-only once loaded; thread-safe."""

    def __init__(
        self,
        items: Sequence[Item],
        vectors: np.ndarray | None,
        faiss_index: faiss.Index,
        manifest: dict[str, Any],
    ) -> None:
        """`items`: a list of `Item`s (stored by column here, in memory) or a loaded index's
        `Items`. `vectors` may be None for an exact (flat) FAISS index: its own storage is used."""
        store = items.store if isinstance(items, Items) else ColumnStore.from_items(items)
        stored = _flat_storage(faiss_index)
        if vectors is None and stored is None:
            raise IndexStateError("index is inconsistent: no vectors, and FAISS holds none to share")
        n = len(stored) if vectors is None else vectors.shape[0]  # type: ignore[arg-type]
        if len(store) != n or faiss_index.ntotal != n:
            raise IndexStateError(
                f"index is inconsistent: {len(store)} items, {n} vectors, {faiss_index.ntotal} in FAISS"
            )
        self.store = store
        self.items: Sequence[Item] = Items(store)  # each Item made from its row when asked for
        # one copy of the vectors: memory-mapped from the index folder (an exact index's FAISS
        # storage maps the same pages), else an exact index's own storage when it holds the same ones
        if isinstance(vectors, np.memmap):
            self.vectors = vectors
        elif stored is not None and (vectors is None or stored.shape == vectors.shape):
            self.vectors = stored
        else:
            self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors is not vectors:  # mapped from the index folder or FAISS's own: never written
            self.vectors.setflags(write=False)
        self.faiss = faiss_index
        self.manifest = manifest
        self.row_of: Mapping[str, int] = RowLookup(store)
        self.category_names: list[str] = store.kind_names
        self.category_codes: np.ndarray = store.arrays["kind.codes"]
        self._members: dict[str, np.ndarray] = {}
        self._selectors: dict[str, Any] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._schema: CatalogSchema | None = None

    @property
    def schema(self) -> CatalogSchema:
        """The catalog's columns as the dialogue sees them (manifest; inferred for older indexes)."""
        if self._schema is None:
            stored = self.manifest.get("schema")
            if stored:
                self._schema = CatalogSchema.from_dict(stored)
            else:
                spec = self.manifest.get("catalog", {}).get("spec", {})
                columns = sorted(self.store.metadata)
                self._schema = infer_schema(self.items, columns, kind_column=spec.get("category_column"),
                                            text_columns=self.manifest.get("catalog", {}).get("text_columns", []),
                                            reserved=())
            self._schema = dataclasses.replace(self._schema, kinds=tuple(c for c in self.category_names if c),
                                               kind_groups=self._kind_groups(self._schema), _by_name={}, _memo={})
        return self._schema

    def _kind_groups(self, schema: CatalogSchema) -> dict[str, str]:
        """Each kind's group in the coarser category-like column the kinds nest in ("Heels" ->
        "Shoes" by subCategory): at least 90% of each kind's items share one value there. Among
        several such columns, the finest. Empty when the catalog has none."""
        best: tuple[int, dict[str, str]] | None = None
        kinds = [c for c in self.category_names if c]
        if not kinds:
            return {}
        for c in schema.attributes:
            if not set(column_words(c.name)) & _KIND_WORDS:
                continue
            codes, values = self.codes(c.name), self.values(c.name)
            empty = values.index("") if "" in values else -1
            groups: dict[str, str] = {}
            for kind in kinds:
                rows = self.rows_in_category(kind)
                counts = np.bincount(codes[rows], minlength=len(values))
                if empty >= 0:
                    counts[empty] = 0
                if not counts.any():
                    break
                top = int(np.argmax(counts))
                if counts[top] < 0.9 * len(rows):
                    break
                groups[kind.lower()] = values[top]
            else:
                distinct = len(set(groups.values()))
                if 1 < distinct < len(kinds) and (best is None or distinct > best[0]):
                    best = (distinct, groups)
        return best[1] if best else {}

    def with_schema(self, schema: CatalogSchema) -> "ItemIndex":
        """The same items and vectors seen through another schema (e.g. without the swatch
        column, to measure what text alone does); shares the FAISS index, not the caches."""
        return ItemIndex(self.items, self.vectors, self.faiss, {**self.manifest, "schema": schema.to_dict()})

    def codes(self, name: str) -> np.ndarray:
        """One metadata column as integer codes (int32, one per row) into `values(name)`:
        `values(name)[codes(name)[row]]` is `column(name)[row]` for a text column. Computed once
        per column from the stored codes (a lookup table over its distinct values)."""
        return self._coded(name)[0]

    def values(self, name: str) -> list[str]:
        """The distinct values of a column as `column` gives them (lower-cased, stripped; '' for
        an item without one), sorted: the table `codes(name)` points into."""
        return self._coded(name)[1]

    def _coded(self, name: str) -> tuple[np.ndarray, list[str]]:
        if name not in self._codes:
            raw = self.store.raw(name)
            if raw is None:
                codes, table = np.zeros(len(self), dtype=np.int32), [""]
            else:
                normal = [str(v or "").strip().lower() for v in raw.table()] + [""]  # the last: absent
                table = sorted(set(normal))
                position = {v: i for i, v in enumerate(table)}
                lookup = np.array([position[v] for v in normal], dtype=np.int32)
                codes = lookup[raw.codes]  # code -1 (absent) takes the last entry: ''
            codes.setflags(write=False)
            self._codes[name] = (codes, table)
        return self._codes[name]

    def column(self, name: str) -> np.ndarray:
        """One metadata column over all rows, computed once: float64 (NaN where empty) for a
        numeric column of the schema (stored by `gradrec index`), else lower-cased strings ('' where
        empty; an object array whose rows share one string per distinct value)."""
        if name not in self._columns:
            if self.schema.numeric_column(name) is not None:
                values = _stored(self.store, "numeric", name)
                if values is None:
                    values = numeric_values(self.store, name)
            else:
                codes, table = self._coded(name)
                values = np.array(table, dtype=object)[codes]
            values.setflags(write=False)
            self._columns[name] = values
        return self._columns[name]

    def swatch_lab(self) -> np.ndarray | None:
        """CIELAB of every row's swatch colour (NaN where none): the swatch column's hex values,
        else the colour-name column's values grounded at index time (`colour.name_to_lab`); None
        with neither. Stored by `gradrec index` for the schema it wrote."""
        schema = self.schema
        name = schema.swatch_column or schema.colour_column
        if name is None:
            return None
        key = f"\0lab:{name}"
        if key not in self._columns:
            lab = _stored(self.store, "lab", name)
            if lab is None:
                lab = lab_values(self.store, schema, name)
            lab.setflags(write=False)
            self._columns[key] = lab
        return self._columns[key]

    def text(self, row: int) -> str:
        """The embedded text of a row (without making its `Item`)."""
        return self.store.text(row)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def space(self) -> str:
        """Identifies the embedding space (query encoder, model, dimension): the versions of an
        index in one space share walk positions and sessions."""
        return str(self.manifest.get("space") or space_id(self.manifest))

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors this index serves (for caches keyed by index)."""
        return str(self.manifest.get("fingerprint", ""))

    def __len__(self) -> int:
        return len(self.store)

    def row(self, item_id: str) -> int:
        row = self.store.row(item_id)
        if row is None:
            raise UnknownItemError(f"unknown item id '{item_id}'")
        return row

    def item(self, item_id: str) -> Item:
        return self.store.item(self.row(item_id))

    def rows_in_category(self, category: str | None) -> np.ndarray:
        """The rows of a category (int64, ascending; read-only), grouped by `gradrec index`: the
        walk's end-of-walk scan and the FAISS selectors ask for them on every step."""
        key = category or ""
        if key not in self._members:
            if key in self.category_names:
                code = self.category_names.index(key)
                starts = self.store.arrays["kind.starts"]
                rows = self.store.arrays["kind.rows"][int(starts[code]):int(starts[code + 1])]
            else:
                rows = np.zeros(0, dtype=np.int64)
            rows.setflags(write=False)  # shared by every caller
            self._members[key] = rows
        return self._members[key]

    def search(
        self, queries: np.ndarray, k: int, category: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows by inner product for each query row: (scores, rows), -1 rows padded.

        With `category`, only that category's items are searched (a FAISS ID selector)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(int(k), len(self)))
        if category is None:
            scores, rows = self.faiss.search(queries, k)
            return scores, rows
        selector, members = self._selector(category)
        k = max(1, min(k, len(members)))
        params = self._search_params(selector)
        scores, rows = self.faiss.search(queries, k, params=params)
        return scores, rows

    def _selector(self, category: str) -> tuple[Any, np.ndarray]:
        members = self.rows_in_category(category)
        if category not in self._selectors:
            self._selectors[category] = faiss.IDSelectorBatch(members)
        return self._selectors[category], members

    def _search_params(self, selector: Any) -> Any:
        if isinstance(self.faiss, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(sel=selector)
            params.efSearch = max(self.faiss.hnsw.efSearch, 64)
            return params
        if isinstance(self.faiss, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=selector, nprobe=int(self.faiss.nprobe))
        return faiss.SearchParameters(sel=selector)


def _flat_storage(faiss_index: faiss.Index) -> np.ndarray | None:
    """The (n, d) float32 vectors an exact FAISS index stores, as a view (no copy; valid while
    the index lives), or None for any other kind of index."""
    if type(faiss_index) not in (faiss.IndexFlatIP, faiss.IndexFlatL2, faiss.IndexFlat) or not faiss_index.ntotal:
        return None
    n, d = int(faiss_index.ntotal), int(faiss_index.d)
    return faiss.rev_swig_ptr(faiss_index.get_xb(), n * d).reshape(n, d)


def _as_float(value: Any) -> float:
    try:
        return float(str(value).strip().replace(",", "").lstrip("$€£"))
    except ValueError:
        return float("nan")


def numeric_values(store: ColumnStore, name: str) -> np.ndarray:
    """A column as float64 per row (NaN where empty or not a number), parsed once per distinct value."""
    raw = store.raw(name)
    if raw is None:
        return np.full(len(store), np.nan)
    table = np.array([_as_float(v) for v in raw.table()] + [np.nan], dtype=np.float64)
    return table[raw.codes]  # code -1 (absent) takes the last entry: NaN


def lab_values(store: ColumnStore, schema: CatalogSchema, name: str) -> np.ndarray:
    """CIELAB per row of a swatch column (hex values) or a colour-name column (the schema's
    grounded names), NaN where none; computed once per distinct value."""
    raw = store.raw(name)
    if raw is None:
        return np.full((len(store), 3), np.nan)
    values = raw.table()
    if schema.swatch_column == name:
        table = lab_of_values(np.array([*values, None], dtype=object))
    else:
        table = np.full((len(values) + 1, 3), np.nan)
        for code, value in enumerate(values):
            normal = str(value or "").strip().lower()
            if normal in schema.colour_lab:
                table[code] = schema.colour_lab[normal]
    return table[raw.codes]


def _stored(store: ColumnStore, kind: str, name: str) -> np.ndarray | None:
    """An array `gradrec index` derived and stored for a column ("numeric", "lab"), or None."""
    file = store.meta.get("derived", {}).get(kind, {}).get(name)
    return None if file is None else store.arrays.get(file)


def _derived(store: ColumnStore, manifest: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """What servers would otherwise compute on first use, computed at index time: the schema's
    numeric columns as float64 and the swatch colours in CIELAB."""
    stored = manifest.get("schema")
    if not stored:
        return {}, {}
    schema = CatalogSchema.from_dict(stored)
    arrays: dict[str, np.ndarray] = {}
    names: dict[str, dict[str, str]] = {"numeric": {}, "lab": {}}
    for i, c in enumerate(schema.numeric):
        if store.raw(c.name) is not None:
            names["numeric"][c.name] = f"numeric{i:04d}"
            arrays[f"numeric{i:04d}"] = numeric_values(store, c.name)
    colour = schema.swatch_column or schema.colour_column
    if colour is not None and store.raw(colour) is not None:
        names["lab"][colour] = "lab"
        arrays["lab"] = lab_values(store, schema, colour)
    return arrays, {"derived": names}


# --------------------------------------------------------------------------- folder I/O

def catalog_fingerprint(catalog_sha256: str, spec: dict[str, Any], encoder: str, model: str,
                        index_config: IndexConfig, image_fingerprint: str = "") -> str:
    """What decides whether an index folder is up to date with its inputs."""
    payload = json.dumps(
        {
            "format": FORMAT_VERSION,
            "catalog": catalog_sha256,
            "spec": spec,
            "encoder": encoder,
            "model": model,
            "index": index_config.to_dict(),
            "images": image_fingerprint,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def image_fingerprint(items: Sequence[Item]) -> str:
    """Size and mtime of every local image, so that a changed picture re-indexes (CLIP only)."""
    digest = hashlib.sha256()
    for item in items:
        if item.image and not item.image.startswith(("http://", "https://")):
            stat = os.stat(item.image)
            digest.update(f"{item.id}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        elif item.image:
            digest.update(f"{item.id}\0{item.image}\n".encode())
    return digest.hexdigest()


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    path = Path(out_dir) / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def version_dir(out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """The folder holding the files of the version a manifest names (the index folder itself
    for an index written before versions existed)."""
    version = manifest.get("version")
    return Path(out_dir) / version if version else Path(out_dir)


def manifest_stamp(out_dir: str | Path) -> tuple[int, int] | None:
    """Changes whenever a new version is published (the manifest is replaced, a new inode):
    what a server compares to notice an update. None when there is no manifest."""
    try:
        stat = (Path(out_dir) / "manifest.json").stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


_HELD: dict[tuple[Path, int], int] = {}  # (index folder, thread) holding its writer lock: how often


@contextlib.contextmanager
def writer_lock(out_dir: str | Path) -> Iterator[None]:
    """One writer per index folder at a time (two `gradrec index` runs on one shop queue).
    Re-entrant within a thread: `gradrec index` holds it from staging an update's files to
    publishing them (`stage_version`, `write_index`); another thread waits as another process does."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = (out_dir.resolve(), threading.get_ident())
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    with open(out_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            fcntl.flock(handle, fcntl.LOCK_UN)


def stage_version(out_dir: str | Path) -> Path:
    """A new, empty folder for the next version's files (`write_index(staged=...)`), made under
    the writer lock (held by the caller) after the version the next one pushes out is removed:
    its pages make room for the new files."""
    out_dir = Path(out_dir)
    if not _HELD.get((out_dir.resolve(), threading.get_ident())):
        raise IndexStateError(f"{out_dir}: stage_version needs the writer lock (index.writer_lock)")
    _remove_old_versions(out_dir, None, None, keep=_KEEP_VERSIONS - 1)
    return Path(tempfile.mkdtemp(prefix=".tmp-", dir=out_dir))


class RowSlices(Protocol):
    """Vectors read a slice of rows at a time (`indexing.KeptVectors`)."""

    shape: tuple[int, int]

    def __getitem__(self, rows: slice) -> np.ndarray: ...


def write_index(
    out_dir: str | Path,
    items: Sequence[Item],
    vectors: np.ndarray | RowSlices,
    manifest: dict[str, Any],
    index_config: IndexConfig,
    row_keys: np.ndarray | None = None,
    encoded: dict[str, Any] | None = None,
    staged: Path | None = None,
) -> ItemIndex:
    """Publish a new version of the index folder atomically.

    The files go to a new version folder (``v<n>-<time>-<random>``, n counting up), written under a temporary name
    and renamed when complete; then ``manifest.json``, which names the version, is replaced with
    ``os.replace``. A server reading the manifest sees the old version or the new one, never a
    mix, and the folder never disappears (a shop stays served during an update). The two
    versions before the new one are kept for servers still loading them; older ones are removed.
    `row_keys` (uint8, (rows, 16)): a content hash per row of what was embedded (`indexing.py`),
    so that the next update re-embeds only rows whose content changed. `vectors` may be anything
    read in slices of rows with a `shape` (`indexing.KeptVectors`: an update's kept and new rows):
    an exact index is written from it a chunk at a time, by a second thread while this one
    stores the items by column (`encoded`: `columns.encode_items(items)` when already made).
    `staged`: a `stage_version` folder whose exact index file the caller has written already
    (`write_flat`: an update writes it while its new rows are embedded), and perhaps the columns
    (`stage_columns`); removed on failure."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if index_config.type != "flat" and not isinstance(vectors, np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)  # rows read in slices (indexing.KeptVectors)
    # an exact index is written straight from the vectors (no FAISS copy in memory); an
    # approximate one is built, and the vectors are kept beside it for re-scoring
    faiss_index = None if index_config.type == "flat" else build_faiss_index(vectors, index_config)
    created = datetime.now(timezone.utc)
    manifest = {
        **manifest,
        "format": FORMAT_VERSION,
        "dim": int(vectors.shape[1]),
        "count": len(items),
        "index": index_config.to_dict(),
        "created": created.isoformat(timespec="seconds"),
    }
    manifest.setdefault("space", space_id(manifest))
    with writer_lock(out_dir):
        previous = read_manifest(out_dir)
        tmp = staged if staged is not None else stage_version(out_dir)
        # numbered, so that versions sort in the order they were published
        number = max([_version_number(p.name) for p in out_dir.glob("v*")] + [0]) + 1
        version = manifest["version"] = f"v{number:06d}-{created.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="write-vectors") as pool:
                flat = None
                if staged is not None:
                    if faiss_index is not None or not (staged / "index.faiss").is_file():
                        raise IndexStateError(f"{staged}: a staged version must hold an exact index file (index.faiss)")
                elif faiss_index is None:  # file writes release the GIL: the columns are made meanwhile
                    flat = pool.submit(write_flat, tmp / "index.faiss", vectors)
                else:
                    np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
                    faiss.write_index(faiss_index, str(tmp / "index.faiss"))
                if not (tmp / COLUMNS_DIR / "columns.json").is_file():  # else staged already
                    stage_columns(tmp, encode_items(items) if encoded is None else encoded, manifest)
                if flat is not None:
                    flat.result()
            if row_keys is not None:
                np.save(tmp / "rows.npy", np.ascontiguousarray(row_keys, dtype=np.uint8))
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            (tmp / "manifest.json").write_text(text)
            tmp.rename(out_dir / version)
            pointer = out_dir / ".manifest.json.tmp"
            pointer.write_text(text)
            os.replace(pointer, out_dir / "manifest.json")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_old_versions(out_dir, version, previous)
    del encoded
    log.info("wrote index %s version %s (%d items, %s) in %.2fs", out_dir, version, len(items),
             index_config.type, time.perf_counter() - started)
    return _open_version(out_dir / version, manifest)


# An exact index's file: FAISS's IndexFlat serialisation, preceded by padding so that the vectors
# start 64 bytes into the file; loaded memory-mapped (no copy), and the walk's numpy products read
# the same aligned pages. The header's layout is checked against FAISS's own when writing.
_FLAT_PAD = 19
_FLAT_HEADER = 45


def stage_columns(folder: Path, encoded: dict[str, Any], manifest: dict[str, Any]) -> None:
    """The items stored by column (`columns.encode_items`) and what is derived from them for the
    manifest's schema, written into a version's folder."""
    derived, derived_meta = _derived(ColumnStore(encoded["meta"], encoded["arrays"], encoded["blobs"]), manifest)
    write_columns(folder, encoded, derived, derived_meta)


def write_flat(path: Path, vectors: np.ndarray | RowSlices) -> None:
    """An exact index's file, written a chunk of rows at a time."""
    n, d = vectors.shape
    header = bytearray(faiss.serialize_index(faiss.IndexFlatIP(d)).tobytes())
    if len(header) != _FLAT_HEADER or header[:4] != b"IxFI":
        raise IndexStateError(f"this FAISS writes flat indexes differently ({len(header)}-byte header); "
                              "the memory-mapped layout needs updating")
    header[8:16] = int(n).to_bytes(8, "little")  # ntotal
    header[37:45] = int(n * d).to_bytes(8, "little")  # the number of floats that follow
    with open(path, "wb") as f:
        f.write(bytes(_FLAT_PAD) + bytes(header))
        for start in range(0, n, 65_536):
            f.write(memoryview(np.ascontiguousarray(vectors[start:start + 65_536], dtype=np.float32)))


def patch_flat(path: Path, rows: np.ndarray, vectors: np.ndarray) -> None:
    """Overwrite rows of an exact index's file in place (rows sorted; `vectors` in their order):
    an update's newly embedded rows, written after the rows it kept."""
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    width = 4 * data.shape[1]
    with open(path, "r+b") as f:
        for row, vector in zip(rows.tolist(), data):
            f.seek(_FLAT_PAD + _FLAT_HEADER + width * row)
            f.write(memoryview(vector))


def _read_flat(path: Path, manifest: dict[str, Any]) -> tuple[faiss.Index, np.ndarray]:
    """An exact index memory-mapped from its file, and its vectors as a view of the same pages."""
    n, d = int(manifest["count"]), int(manifest["dim"])
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    if mapped.size != _FLAT_PAD + _FLAT_HEADER + 4 * n * d:
        raise ValueError(f"{path.name} holds {mapped.size} bytes, not {n} vectors of dimension {d}")
    reader = faiss.ZeroCopyIOReader(faiss.swig_ptr(mapped[_FLAT_PAD:]), int(mapped.size - _FLAT_PAD))
    index = faiss.read_index(reader, faiss.IO_FLAG_MMAP_IFC)
    index.referenced_objects = [mapped]  # the mapping lives as long as the index
    if index.ntotal != n or index.d != d:
        raise ValueError(f"{path.name}: {index.ntotal} vectors of dimension {index.d}, the manifest says {n} x {d}")
    return index, mapped[_FLAT_PAD + _FLAT_HEADER:].view(np.float32).reshape(n, d)


def read_vectors(out_dir: str | Path, manifest: dict[str, Any]) -> np.ndarray:
    """The published version's vectors, memory-mapped (OSError / ValueError when unreadable)."""
    folder = version_dir(out_dir, manifest)
    if (folder / "vectors.npy").is_file():  # an approximate index's, or a format-1 index's
        return np.load(folder / "vectors.npy", mmap_mode="r")
    return _read_flat(folder / "index.faiss", manifest)[1]


_KEEP_VERSIONS = 3  # the new one and the two before it


def _remove_old_versions(out_dir: Path, current: str | None, previous: dict[str, Any] | None,
                         keep: int = _KEEP_VERSIONS) -> None:
    """Remove all but the newest `keep` version folders (and `current`), a writer's leftovers
    and, once a version is published over it, the unversioned layout's files."""
    if previous is not None and not previous.get("version"):  # the unversioned layout: its files
        for name in ("vectors.npy", "index.faiss", "items.jsonl", "rows.npy"):  # format 1
            (out_dir / name).unlink(missing_ok=True)
    versions = sorted((p.name for p in out_dir.iterdir() if p.is_dir() and _version_number(p.name)),
                      key=_version_number)
    kept = set(versions[-keep:]) | {current}
    for name in versions:
        if name not in kept:
            shutil.rmtree(out_dir / name, ignore_errors=True)
    for stale in out_dir.glob(".tmp-*"):  # a writer killed half-way (we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)


def _version_number(name: str) -> int:
    """The number of a version folder ("v000012-..." -> 12), 0 for anything else."""
    head = name.split("-", 1)[0]
    return int(head[1:]) if head.startswith("v") and head[1:].isdigit() else 0


def space_id(manifest: dict[str, Any]) -> str:
    """Identifies the embedding space of an index's vectors (query encoder, model, dimension):
    sessions keep their walk positions across versions of an index in the same space."""
    payload = json.dumps([manifest.get("encoder"), manifest.get("model"), int(manifest.get("dim", 0))])
    return hashlib.sha256(payload.encode()).hexdigest()


def read_row_keys(out_dir: str | Path, manifest: dict[str, Any]) -> np.ndarray | None:
    """The per-row content hashes of the published version, or None (an index written before
    they existed, or by --vectors)."""
    path = version_dir(out_dir, manifest) / "rows.npy"
    try:
        keys = np.load(path)
    except (OSError, ValueError):
        return None
    return keys if keys.ndim == 2 and keys.shape[0] == manifest.get("count") else None


def load_index(index_dir: str | Path) -> ItemIndex:
    """Load the version of an index folder its manifest names: the vectors and the items'
    columns are memory-mapped (milliseconds for a million items; the pages are shared by every
    process serving the shop)."""
    index_dir = Path(index_dir)
    for attempt in range(3):  # the version can be removed under us by two quick updates: re-read
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexStateError(f"{index_dir}: not an index folder (no readable manifest.json); run `gradrec index` first")
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexStateError(
                f"{index_dir}: index format {manifest.get('format')} is not this version's {FORMAT_VERSION} (items "
                "stored by column, memory-mapped); rebuild it: run the same `gradrec index CATALOG --out "
                f"{index_dir} ...` again (it keeps the vectors already embedded, only the files are rewritten)")
        folder = version_dir(index_dir, manifest)
        try:
            return _open_version(folder, manifest)
        except FileNotFoundError:
            if attempt == 2 or read_manifest(index_dir) == manifest:
                raise IndexStateError(f"{index_dir}: unreadable index (files of {folder.name} missing); "
                                      "rebuild it with `gradrec index`") from None
        except (OSError, ValueError, RuntimeError, KeyError) as err:
            raise IndexStateError(f"{index_dir}: unreadable index ({err}); rebuild it with `gradrec index`") from None
    raise AssertionError("unreachable")


def _open_version(folder: Path, manifest: dict[str, Any]) -> ItemIndex:
    manifest = dict(manifest)
    manifest.setdefault("space", space_id(manifest))
    if manifest.get("index", {}).get("type", "flat") == "flat":
        faiss_index, vectors = _read_flat(folder / "index.faiss", manifest)
    else:
        faiss_index = faiss.read_index(str(folder / "index.faiss"))
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    store = ColumnStore.open(folder)
    if isinstance(faiss_index, faiss.IndexHNSW):
        faiss_index.hnsw.efSearch = int(manifest.get("index", {}).get("hnsw_ef_search", 128))
    if isinstance(faiss_index, faiss.IndexIVF):
        faiss_index.nprobe = int(manifest.get("index", {}).get("ivf_nprobe", 16))
    return ItemIndex(Items(store), vectors, faiss_index, manifest)
