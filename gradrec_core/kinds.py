"""Per-kind structures that let a turn touch a few thousand rows instead of its whole kind (issue 20).

- **Lists per kind**: each kind's rows grouped by spherical k-means into lists of about
  `LIST_SIZE` rows (an inverted file holding row positions only; the vectors stay where the index
  keeps them). A turn scores the rows of the lists nearest to the current item (`KindLists.near`),
  widening when none of them qualifies; a kind of at most `EXACT_LIMIT` candidates is scored whole.
- **Integer codes** of every categorical column (one int32 per row and the value -> code
  vocabulary), so that held attributes and filters compare integers, not strings.
- **Per-kind views** cached once: a column's codes or values over the kind's rows, an axis's levels
  and rank quantiles over them (`AxisView`).

Everything is computed from (vectors, integer kind codes, columns): `build_kind_structures` does
it at once (for an index writer to store), `structures(index)` lazily, once per loaded index.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import faiss
import numpy as np

EXACT_LIMIT = 2048  # candidates scored all together up to this many (the result is then exact)
LIST_SIZE = 512  # mean rows per list of a kind
PROBE_ROWS = 1024  # rows a turn takes from the lists nearest each of its queries (then filtered)
MIN_POOL = 32  # fewer qualifying rows than this in the probed lists: probe four times as many
SEARCH_EXACT_LIMIT = 65536  # a search of the whole catalog is FAISS's (exact by default) up to this many rows


@dataclass(frozen=True)
class KindLists:
    """A kind's rows grouped by k-means list; positions are into the kind's ascending rows."""

    rows: np.ndarray  # int64, the kind's rows ascending
    centroids: np.ndarray | None  # (nlist, dim) float32; None: one list (a small kind)
    order: np.ndarray  # int64 positions into `rows`, grouped by list
    starts: np.ndarray  # list i holds order[starts[i]:starts[i + 1]]

    def near(self, queries: np.ndarray, at_least: int) -> np.ndarray:
        """Positions (ascending, unique) of the rows in the lists nearest each query, at least
        `at_least` rows per query where the kind has them."""
        if self.centroids is None or at_least >= len(self.rows):
            return np.arange(len(self.rows), dtype=np.int64)
        sizes = np.diff(self.starts)
        picked: list[np.ndarray] = []
        for q in np.atleast_2d(queries):
            ranked = np.argsort(-(self.centroids @ q.astype(np.float32)))
            enough = int(np.searchsorted(np.cumsum(sizes[ranked]), at_least)) + 1
            picked.extend(self.order[self.starts[i]:self.starts[i + 1]] for i in ranked[:enough])
        return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def build_lists(vectors: np.ndarray, rows: np.ndarray, seed: int = 0) -> KindLists:
    """Spherical k-means lists of `rows` (a kind), about `LIST_SIZE` rows each."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if n <= EXACT_LIMIT:
        return KindLists(rows, None, np.arange(n, dtype=np.int64), np.array([0, n], dtype=np.int64))
    dim = vectors.shape[1]
    nlist = max(2, n // LIST_SIZE)
    rng = np.random.default_rng(seed)
    sample = rows[np.sort(rng.choice(n, min(n, 64 * nlist), replace=False))]
    kmeans = faiss.Kmeans(dim, nlist, niter=10, spherical=True, seed=seed, max_points_per_centroid=64)
    kmeans.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    assign = np.empty(n, dtype=np.int64)
    for start in range(0, n, 65536):
        _, found = kmeans.index.search(np.ascontiguousarray(vectors[rows[start:start + 65536]], dtype=np.float32), 1)
        assign[start:start + 65536] = found[:, 0]
    order = np.argsort(assign, kind="stable").astype(np.int64)
    starts = np.searchsorted(assign[order], np.arange(nlist + 1)).astype(np.int64)
    centroids = np.ascontiguousarray(kmeans.centroids, dtype=np.float32)
    return KindLists(rows, centroids, order, starts)


def integer_codes(values: np.ndarray) -> tuple[np.ndarray, dict[Any, int]]:
    """One int32 per row and the vocabulary (value -> code), codes in order of first appearance."""
    vocabulary: dict[Any, int] = {}
    codes = np.fromiter((vocabulary.setdefault(v, len(vocabulary)) for v in values), dtype=np.int32,
                        count=len(values))
    codes.setflags(write=False)
    return codes, vocabulary


@dataclass(frozen=True)
class AxisView:
    """An axis's levels over one kind's rows, their rank quantiles and extremes, computed once."""

    levels: np.ndarray  # float64, the kind's rows
    finite: np.ndarray  # bool
    quantiles: np.ndarray  # float64 (NaN where no level)
    low: float  # NaN when no row has a level
    high: float
    std: float  # of the axis's levels over every row (NaN ignored)


@dataclass
class KindStructures:
    """Everything the graded step looks up per kind; fills itself on first use of each part."""

    vectors: np.ndarray
    kind_codes: np.ndarray
    kind_names: list[str]
    column: Callable[[str], np.ndarray]
    lists: dict[str, KindLists] = field(default_factory=dict)
    codes: dict[str, tuple[np.ndarray, dict[Any, int]]] = field(default_factory=dict)
    _local: dict[tuple, np.ndarray] = field(default_factory=dict)
    _axes: dict[tuple, tuple[Any, AxisView]] = field(default_factory=dict)
    _extra: dict[str, Any] = field(default_factory=dict)
    _rows: dict[str, np.ndarray] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    # the index's own codes of a text column (`ItemIndex.codes` / `values`, stored by `gradrec
    # index`), when it has them: no pass over the rows in Python
    coded: Callable[[str], tuple[np.ndarray, list[str]]] | None = None

    def rows(self, kind: str | None) -> np.ndarray:
        """The rows of a kind (ascending; every row for None)."""
        key = kind or "\0all"
        with self._lock:
            if key not in self._rows:
                if kind is None:
                    rows = np.arange(len(self.kind_codes), dtype=np.int64)
                else:
                    code = self.kind_names.index(kind) if kind in self.kind_names else -1
                    rows = np.flatnonzero(self.kind_codes == code).astype(np.int64)
                rows.setflags(write=False)
                self._rows[key] = rows
            return self._rows[key]

    def kind_lists(self, kind: str | None) -> KindLists:
        key = kind or "\0all"
        with self._lock:
            if key not in self.lists:
                self.lists[key] = build_lists(self.vectors, self.rows(kind))
            return self.lists[key]

    def column_codes(self, name: str) -> tuple[np.ndarray, dict[Any, int]]:
        with self._lock:
            if name not in self.codes:
                if self.coded is not None:
                    codes, table = self.coded(name)
                    self.codes[name] = (codes, {v: i for i, v in enumerate(table)})
                else:
                    self.codes[name] = integer_codes(self.column(name))
            return self.codes[name]

    def local(self, name: str, kind: str | None) -> np.ndarray:
        """A column over a kind's rows: int32 codes for a categorical column, float64 values
        for a numeric one."""
        key = (name, kind or "\0all")
        with self._lock:
            if key not in self._local:
                values = self.column(name)
                if values.dtype == object:
                    values = self.column_codes(name)[0]
                local = values[self.rows(kind)]
                local.setflags(write=False)
                self._local[key] = local
            return self._local[key]

    def axis_view(self, axis: Any, kind: str | None, dense: bool,
                  quantiles: Callable[[np.ndarray, bool], np.ndarray]) -> AxisView:
        """`axis.levels` over the kind's rows, once per axis object (held while cached)."""
        key = (id(axis), kind or "\0all")
        with self._lock:
            found = self._axes.get(key)
            if found is not None and found[0] is axis:
                return found[1]
        levels = np.asarray(axis.levels[self.rows(kind)], dtype=np.float64)
        finite = np.isfinite(levels)
        any_finite = bool(finite.any())
        with np.errstate(all="ignore"):
            std = float(np.nanstd(axis.levels)) if np.isfinite(axis.levels).any() else float("nan")
        view = AxisView(levels, finite, quantiles(levels, dense),
                        float(levels[finite].min()) if any_finite else float("nan"),
                        float(levels[finite].max()) if any_finite else float("nan"), std)
        with self._lock:
            if len(self._axes) > 4096:
                self._axes.clear()
            self._axes[key] = (axis, view)
        return view

    def nearest(self, query: np.ndarray, k: int, kind: str | None) -> np.ndarray:
        """The `k` rows of a kind most like `query` (inner product), best first: every row of a
        kind of at most `EXACT_LIMIT`, else those of the lists nearest the query."""
        lists = self.kind_lists(kind)
        rows = lists.rows[lists.near(query, max(4 * PROBE_ROWS, 16 * k))]
        score = self.vectors[rows] @ query.astype(np.float32)
        return rows[np.argsort(-score, kind="stable")[:k]]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-`k` rows of the whole catalog per query, as `ItemIndex.search` returns them: the
        lists of every kind probed together (a small kind is one list), the rows in them scored
        exactly; approximate, for catalogs over `SEARCH_EXACT_LIMIT` rows."""
        centroids, members = self.extra("all-lists", self._all_lists)
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        sizes = np.array([len(m) for m in members])
        for i, q in enumerate(queries):
            ranked = np.argsort(-(centroids @ q))
            enough = int(np.searchsorted(np.cumsum(sizes[ranked]), max(4 * PROBE_ROWS, 4 * k))) + 1
            found = np.concatenate([members[j] for j in ranked[:enough]])
            score = self.vectors[found] @ q
            top = np.argsort(-score, kind="stable")[:k]
            scores[i, :len(top)], rows[i, :len(top)] = score[top], found[top]
        return scores, rows

    def _all_lists(self) -> tuple[np.ndarray, list[np.ndarray]]:
        centroids: list[np.ndarray] = []
        members: list[np.ndarray] = []
        for code, kind in enumerate(self.kind_names):
            if not np.any(self.kind_codes == code):
                continue
            lists = self.kind_lists(kind or None) if kind else build_lists(
                self.vectors, np.flatnonzero(self.kind_codes == code))
            if lists.centroids is None:
                mean = self.vectors[lists.rows].mean(axis=0)
                centroids.append((mean / (np.linalg.norm(mean) + 1e-9))[None].astype(np.float32))
                members.append(lists.rows)
            else:
                centroids.append(lists.centroids)
                members += [lists.rows[lists.order[a:b]] for a, b in zip(lists.starts[:-1], lists.starts[1:])]
        return np.vstack(centroids), members

    def extra(self, key: str, make: Callable[[], Any]) -> Any:
        """Any other structure computed once (e.g. the name words' token table)."""
        with self._lock:
            if key not in self._extra:
                self._extra[key] = make()
            return self._extra[key]


def build_kind_structures(vectors: np.ndarray, kind_codes: np.ndarray, kind_names: list[str],
                          columns: Mapping[str, np.ndarray]) -> KindStructures:
    """Every kind's lists and every categorical column's codes, computed now (what an index
    writer would store with the vectors)."""
    built = KindStructures(vectors, kind_codes, kind_names, lambda name: columns[name])
    for name, values in columns.items():
        if values.dtype == object:
            built.column_codes(name)
    for code, kind in enumerate(kind_names):
        if np.any(kind_codes == code):
            built.kind_lists(kind if kind else None)
    return built


_BUILT: "weakref.WeakKeyDictionary[Any, KindStructures]" = weakref.WeakKeyDictionary()
_BUILT_LOCK = threading.Lock()


def structures(index: Any) -> KindStructures:
    """The structures of a loaded `ItemIndex`, created on first use and filled lazily."""
    with _BUILT_LOCK:
        found = _BUILT.get(index)
        if found is None:
            # through a weak reference: the structures must not keep an index alive once the shop
            # has switched to a new version (the table is weak in the index)
            ref = weakref.ref(index)

            def column(name: str) -> np.ndarray:
                return ref().column(name)  # type: ignore[union-attr]

            def coded(name: str) -> tuple[np.ndarray, list[str]]:
                return ref().codes(name), ref().values(name)  # type: ignore[union-attr]

            found = KindStructures(index.vectors, index.category_codes, list(index.category_names), column,
                                   coded=coded if hasattr(index, "codes") else None)
            _BUILT[index] = found
        return found
