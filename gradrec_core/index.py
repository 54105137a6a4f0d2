"""The item index: normalised vectors in FAISS (inner product = cosine), items and a manifest.

One folder holds everything `gradrec index` writes::

    manifest.json       encoder, model, dimension, catalog checksum, counts, index type, and
                        the version folder holding the files below (replaced atomically)
    v<n>-<time>-<rnd>/  version n (the current one and the two before it are kept)
      vectors.npy       float32 (n, dim), L2-normalised, row i = items.jsonl line i
      index.faiss       IndexFlatIP (exact, the default), IndexHNSWFlat or IndexIVF* (approximate)
      items.jsonl       the items (id, text, category, image, metadata)
      rows.npy          a content hash per row of what was embedded (updates re-embed the rest)

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
import time
import uuid
from dataclasses import dataclass
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import faiss
import numpy as np

from .colour import lab_of_values
from .schema import _KIND_WORDS, CatalogSchema, column_words, infer_schema
from .types import IndexStateError, Item, UnknownItemError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
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
    """Items, their vectors and a FAISS index over them. Read-only once loaded; thread-safe."""

    def __init__(
        self,
        items: Sequence[Item],
        vectors: np.ndarray | None,
        faiss_index: faiss.Index,
        manifest: dict[str, Any],
    ) -> None:
        """`vectors` may be None for an exact (flat) FAISS index: its own storage is used."""
        stored = _flat_storage(faiss_index)
        if vectors is None and stored is None:
            raise IndexStateError("index is inconsistent: no vectors, and FAISS holds none to share")
        n = len(stored) if vectors is None else vectors.shape[0]  # type: ignore[arg-type]
        if len(items) != n or faiss_index.ntotal != n:
            raise IndexStateError(
                f"index is inconsistent: {len(items)} items, {n} vectors, {faiss_index.ntotal} in FAISS"
            )
        self.items: list[Item] = list(items)
        # one copy of the vectors: an exact index's own storage when it holds the same ones
        if stored is not None and (vectors is None or stored.shape == vectors.shape):
            self.vectors = stored
        else:
            self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.faiss = faiss_index
        self.manifest = manifest
        self.row_of: dict[str, int] = {item.id: row for row, item in enumerate(self.items)}
        categories = [item.category or "" for item in self.items]
        self.category_names: list[str] = sorted(set(categories))
        code = {name: i for i, name in enumerate(self.category_names)}
        self.category_codes = np.array([code[c] for c in categories], dtype=np.int32)
        self._members: dict[str, np.ndarray] = {}
        self._selectors: dict[str, Any] = {}
        self._columns: dict[str, np.ndarray] = {}
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
                columns = sorted({k for it in self.items for k in it.metadata})
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
            values = self.column(c.name)
            groups: dict[str, str] = {}
            for kind in kinds:
                rows = self.rows_in_category(kind)
                counts = Counter(v for v in values[rows] if v)
                if not counts:
                    break
                value, n = counts.most_common(1)[0]
                if n < 0.9 * len(rows):
                    break
                groups[kind.lower()] = value
            else:
                distinct = len(set(groups.values()))
                if 1 < distinct < len(kinds) and (best is None or distinct > best[0]):
                    best = (distinct, groups)
        return best[1] if best else {}

    def with_schema(self, schema: CatalogSchema) -> "ItemIndex":
        """The same items and vectors seen through another schema (e.g. without the swatch
        column, to measure what text alone does); shares the FAISS index, not the caches."""
        return ItemIndex(self.items, self.vectors, self.faiss, {**self.manifest, "schema": schema.to_dict()})

    def column(self, name: str) -> np.ndarray:
        """One metadata column over all rows, computed once: float64 (NaN where empty) for a
        numeric column of the schema, else lower-cased strings ('' where empty)."""
        if name not in self._columns:
            if self.schema.numeric_column(name) is not None:
                values = np.array([_as_float(it.metadata.get(name)) for it in self.items], dtype=np.float64)
            else:
                values = np.array([str(it.metadata.get(name) or "").strip().lower() for it in self.items],
                                  dtype=object)
            values.setflags(write=False)
            self._columns[name] = values
        return self._columns[name]

    def swatch_lab(self) -> np.ndarray | None:
        """CIELAB of every row's swatch colour (NaN where none): the swatch column's hex values,
        else the colour-name column's values grounded at index time (`colour.name_to_lab`); None
        with neither."""
        schema = self.schema
        name = schema.swatch_column or schema.colour_column
        if name is None:
            return None
        key = f"\0lab:{name}"
        if key not in self._columns:
            if schema.swatch_column is not None:
                values = np.array([it.metadata.get(name) for it in self.items], dtype=object)
                lab = lab_of_values(values)
            else:
                lab = np.full((len(self.items), 3), np.nan)
                for row, value in enumerate(self.column(name)):
                    if value in schema.colour_lab:
                        lab[row] = schema.colour_lab[value]
            lab.setflags(write=False)
            self._columns[key] = lab
        return self._columns[key]

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
        return len(self.items)

    def row(self, item_id: str) -> int:
        try:
            return self.row_of[item_id]
        except KeyError:
            raise UnknownItemError(f"unknown item id '{item_id}'") from None

    def item(self, item_id: str) -> Item:
        return self.items[self.row(item_id)]

    def rows_in_category(self, category: str | None) -> np.ndarray:
        """The rows of a category (int64, ascending), computed once per category: the walk's
        end-of-walk scan and the FAISS selectors both ask for them on every step."""
        key = category or ""
        if key not in self._members:
            code = self.category_names.index(key) if key in self.category_names else -1
            rows = np.flatnonzero(self.category_codes == code).astype(np.int64)
            rows.setflags(write=False)  # shared by every caller
            self._members[key] = rows
        return self._members[key]

    def search(
        self, queries: np.ndarray, k: int, category: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows by inner product for each query row: (scores, rows), -1 rows padded.

        With `category`, only that category's items are searched (a FAISS ID selector)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = max(1, min(int(k), len(self.items)))
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


@contextlib.contextmanager
def _writer_lock(out_dir: Path) -> Iterator[None]:
    """One writer per index folder at a time (two `gradrec index` runs on one shop queue)."""
    with open(out_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_index(
    out_dir: str | Path,
    items: Sequence[Item],
    vectors: np.ndarray,
    manifest: dict[str, Any],
    index_config: IndexConfig,
    row_keys: np.ndarray | None = None,
) -> ItemIndex:
    """Publish a new version of the index folder atomically.

    The files go to a new version folder (``v<n>-<time>-<random>``, n counting up), written under a temporary name
    and renamed when complete; then ``manifest.json``, which names the version, is replaced with
    ``os.replace``. A server reading the manifest sees the old version or the new one, never a
    mix, and the folder never disappears (a shop stays served during an update). The two
    versions before the new one are kept for servers still loading them; older ones are removed.
    `row_keys` (uint8, (rows, 16)): a content hash per row of what was embedded (`indexing.py`),
    so that the next update re-embeds only rows whose content changed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    faiss_index = build_faiss_index(vectors, index_config)
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
    with _writer_lock(out_dir):
        previous = read_manifest(out_dir)
        # numbered, so that versions sort in the order they were published
        number = max([_version_number(p.name) for p in out_dir.glob("v*")] + [0]) + 1
        version = manifest["version"] = f"v{number:06d}-{created.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out_dir))
        try:
            np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
            faiss.write_index(faiss_index, str(tmp / "index.faiss"))
            with open(tmp / "items.jsonl", "w", encoding="utf-8") as f:
                for item in items:
                    f.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
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
    log.info("wrote index %s version %s (%d items, %s) in %.2fs", out_dir, version, len(items),
             index_config.type, time.perf_counter() - started)
    return ItemIndex(items, vectors, faiss_index, manifest)


_KEEP_VERSIONS = 3  # the new one and the two before it


def _remove_old_versions(out_dir: Path, current: str, previous: dict[str, Any] | None) -> None:
    if previous is not None and not previous.get("version"):  # the unversioned layout: its files
        for name in ("vectors.npy", "index.faiss", "items.jsonl", "rows.npy"):
            (out_dir / name).unlink(missing_ok=True)
    versions = sorted((p.name for p in out_dir.iterdir() if p.is_dir() and _version_number(p.name)),
                      key=_version_number)
    keep = set(versions[-_KEEP_VERSIONS:]) | {current}
    for name in versions:
        if name not in keep:
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
    """Load the version of an index folder its manifest names (memory-maps nothing)."""
    index_dir = Path(index_dir)
    for attempt in range(3):  # the version can be removed under us by two quick updates: re-read
        manifest = read_manifest(index_dir)
        if manifest is None:
            raise IndexStateError(f"{index_dir}: not an index folder (no readable manifest.json); run `gradrec index` first")
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexStateError(f"{index_dir}: index format {manifest.get('format')} is not {FORMAT_VERSION}; rebuild it")
        folder = version_dir(index_dir, manifest)
        try:
            faiss_index = faiss.read_index(str(folder / "index.faiss"))
            # an exact index stores the vectors itself: shared, not read twice (ItemIndex)
            vectors = None if _flat_storage(faiss_index) is not None else np.load(folder / "vectors.npy")
            items = []
            with open(folder / "items.jsonl", encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    items.append(Item(d["id"], d["text"], d.get("category"), d.get("image"), d.get("metadata") or {}))
            break
        except FileNotFoundError:
            if attempt == 2 or read_manifest(index_dir) == manifest:
                raise IndexStateError(f"{index_dir}: unreadable index (files of {folder.name} missing); "
                                      "rebuild it with `gradrec index`") from None
        except (OSError, ValueError, RuntimeError) as err:
            raise IndexStateError(f"{index_dir}: unreadable index ({err}); rebuild it with `gradrec index`") from None
    manifest.setdefault("space", space_id(manifest))
    if isinstance(faiss_index, faiss.IndexHNSW):
        faiss_index.hnsw.efSearch = int(manifest.get("index", {}).get("hnsw_ef_search", 128))
    if isinstance(faiss_index, faiss.IndexIVF):
        faiss_index.nprobe = int(manifest.get("index", {}).get("ivf_nprobe", 16))
    return ItemIndex(items, vectors, faiss_index, manifest)
