"""Items stored by column: integer codes per row into a table of each column's distinct values.

An index version's ``columns/`` folder holds, per field of the items (id, text, category, image
and each metadata column)::

    <file>.codes.npy    int32 (n,): the row's value, as a position in the value table; -1: absent
    <file>.offsets.npy  int64 (k + 1,): where each of the k distinct values starts in the blob
    <file>.values.bin   the k values, UTF-8, one after another (JSON texts for a column whose
                        values are not all strings: numbers, lists, null from a JSONL catalog)

and, computed once by `gradrec index` so that no server rebuilds them: ``id.hash.npy`` /
``id.hash_rows.npy`` (the ids' 64-bit hashes, sorted, with their rows: id -> row by binary
search), ``kind.codes.npy`` / ``kind.rows.npy`` / ``kind.starts.npy`` (each row's kind as a code
into the sorted kind names, and the rows grouped by kind), ``<file>.f64.npy`` for the numeric
columns and ``lab.npy`` (the swatch colours in CIELAB). ``columns.json`` names the files.

Everything is memory-mapped on load: an index of a million items is open in milliseconds, the
operating system keeps one copy of the pages for every server process of a shop, and an `Item`
is made from its row only when asked for (`Items`).
"""

from __future__ import annotations

import hashlib
import json
import mmap
from collections.abc import Mapping, Sequence
from itertools import chain
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .types import Item

COLUMNS_DIR = "columns"
_JSON = "\0j"  # a key prefix marking a value stored as JSON text (not a str)
_DECODE_ALL = 65_536  # value tables up to this size are decoded once, larger ones per value


_ABSENT = object()  # a row without the field


def _key(value: Any) -> str:
    """A value as stored: a str as it is, anything else (and a str that looks like a JSON key) as
    JSON text behind the `_JSON` marker."""
    return value if type(value) is str and not value.startswith("\0") else _JSON + json.dumps(value, ensure_ascii=False)


class _Encoder:
    """One column's values: a code per row, the distinct values in first-seen order."""

    def __init__(self, values: list[Any], unique: bool = False) -> None:
        """`values`: the column's value per row (`_ABSENT` where a row has none); `unique`: every
        row a value of its own (ids), stored without a dictionary. Runs at C speed (dict.fromkeys,
        map) unless a value is not a plain str."""
        if unique:  # every value a str not starting with "\0" (ids): stored as they are
            plain = not set(map(type, values)) - {str} and not any(map(methodcaller("startswith", "\0"), values))
            self.keys = list(values) if plain else [_key(v) for v in values]
            self.codes = np.arange(len(values), dtype=np.int32)
            return
        try:
            distinct: dict[Any, None] | None = dict.fromkeys(values)
        except TypeError:  # JSON lists / objects
            distinct = None
        if distinct is not None:
            distinct.pop(_ABSENT, None)
            if set(map(type, distinct)) - {str} or any(map(methodcaller("startswith", "\0"), distinct)):
                distinct = None
        if distinct is None:
            values = [v if v is _ABSENT else _key(v) for v in values]
            distinct = dict.fromkeys(values)
            distinct.pop(_ABSENT, None)
        self.keys = list(distinct)
        code_of: dict[Any, int] = {k: i for i, k in enumerate(self.keys)}
        code_of[_ABSENT] = -1
        self.codes = np.fromiter(map(code_of.__getitem__, values), dtype=np.int32, count=len(values))

    def table(self) -> tuple[bool, np.ndarray, bytes]:
        """(stored as JSON, offsets, blob)."""
        is_json = any(k.startswith(_JSON) for k in self.keys)
        texts = [k[len(_JSON):] if k.startswith(_JSON) else json.dumps(k, ensure_ascii=False) for k in self.keys] \
            if is_json else self.keys
        encoded = [t.encode("utf-8") for t in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return is_json, offsets, b"".join(encoded)


def column_of(records: Sequence[Mapping[str, Any]], key: str, absent: Any = None) -> list[Any]:
    """`[r.get(key, absent) for r in records]`, at C speed when every record has the key (a
    CSV catalog's items)."""
    try:
        return list(map(itemgetter(key), records))
    except KeyError:
        return [r.get(key, absent) for r in records]


def column_names(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key any record has, in first-seen order (a catalog's metadata columns)."""
    return list(dict.fromkeys(chain.from_iterable(records)))


def id_hashes(ids: Sequence[str]) -> np.ndarray:
    """64-bit hashes of item ids (uint64): the row lookup's keys."""
    return np.array([int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "little")
                     for i in ids], dtype=np.uint64)


def encode_items(items: Sequence[Item]) -> dict[str, Any]:
    """The columnar form of `items`: {"meta": what columns.json says, "arrays": name -> array,
    "blobs": name -> bytes}."""
    n = len(items)
    metas = [item.metadata for item in items]
    fields = {"id": _Encoder([item.id for item in items], unique=True),
              "text": _Encoder([item.text for item in items]),
              "image": _Encoder([_ABSENT if item.image is None else item.image for item in items])}
    metadata = {key: _Encoder(column_of(metas, key, _ABSENT)) for key in column_names(metas)}
    kinds = [item.category or "" for item in items]
    names = sorted(set(kinds))
    kind_code = {name: i for i, name in enumerate(names)}
    kind_codes = np.fromiter(map(kind_code.__getitem__, kinds), dtype=np.int32, count=n)
    kind_rows = np.argsort(kind_codes, kind="stable").astype(np.int64)
    kind_starts = np.searchsorted(kind_codes[kind_rows], np.arange(len(names) + 1)).astype(np.int64)
    hashes = id_hashes([item.id for item in items])
    order = np.argsort(hashes, kind="stable")
    arrays: dict[str, np.ndarray] = {"kind.codes": kind_codes, "kind.rows": kind_rows, "kind.starts": kind_starts,
                                     "id.hash": hashes[order], "id.hash_rows": order.astype(np.int64)}
    blobs: dict[str, bytes] = {}
    meta: dict[str, Any] = {"rows": n, "kinds": names, "fields": {}, "metadata": []}
    files = {**{name: (name, enc) for name, enc in fields.items()},
             **{f"\0{key}": (f"m{i:04d}", enc) for i, (key, enc) in enumerate(metadata.items())}}
    for name, (file, enc) in files.items():
        is_json, offsets, blob = enc.table()
        arrays[f"{file}.codes"], arrays[f"{file}.offsets"], blobs[file] = enc.codes, offsets, blob
        entry = {"file": file, "json": is_json}
        if name.startswith("\0"):
            meta["metadata"].append({"name": name[1:], **entry})
        else:
            meta["fields"][name] = entry
    return {"meta": meta, "arrays": arrays, "blobs": blobs}


def write_columns(folder: Path, encoded: dict[str, Any], extra: dict[str, np.ndarray] | None = None,
                  extra_meta: dict[str, Any] | None = None) -> None:
    """Write an `encode_items` result (and derived arrays, e.g. numeric columns) under folder/columns."""
    out = folder / COLUMNS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, array in {**encoded["arrays"], **(extra or {})}.items():
        np.save(out / f"{name}.npy", np.ascontiguousarray(array))
    for name, blob in encoded["blobs"].items():
        (out / f"{name}.values.bin").write_bytes(blob)
    (out / "columns.json").write_text(json.dumps({**encoded["meta"], **(extra_meta or {})}, ensure_ascii=False))


def _map_bytes(path: Path) -> bytes | mmap.mmap:
    size = path.stat().st_size
    if size == 0:
        return b""
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class _Column:
    """One stored column: codes per row, and its value table decoded on demand."""

    def __init__(self, codes: np.ndarray, offsets: np.ndarray, blob: Any, is_json: bool) -> None:
        self.codes, self.offsets, self.blob, self.is_json = codes, offsets, blob, is_json
        self.size = len(offsets) - 1
        self._all: list[Any] | None = None

    def decode(self, code: int) -> Any:
        if self._all is not None:
            return self._all[code]
        text = self.blob[int(self.offsets[code]):int(self.offsets[code + 1])].decode("utf-8")
        return json.loads(text) if self.is_json else text

    def table(self) -> list[Any]:
        """Every distinct value, in code order (decoded once)."""
        if self._all is None:
            offsets = self.offsets.tolist()
            blob = self.blob[:] if offsets else b""
            texts = [blob[a:b].decode("utf-8") for a, b in zip(offsets, offsets[1:])]
            self._all = [json.loads(t) for t in texts] if self.is_json else texts
        return self._all

    def value(self, row: int) -> Any:
        """The row's value; `_ABSENT` when the row has none."""
        code = int(self.codes[row])
        if code < 0:
            return _ABSENT
        if self._all is None and self.size <= _DECODE_ALL:
            self.table()
        return self.decode(code)


_ABSENT = object()


class ColumnStore:
    """The items of an index, by column (memory-mapped from a version folder, or in memory)."""

    def __init__(self, meta: dict[str, Any], arrays: Mapping[str, np.ndarray], blobs: Mapping[str, Any]) -> None:
        self.meta = meta
        self.arrays = arrays
        self.n = int(meta["rows"])
        self.kind_names: list[str] = list(meta["kinds"])

        def column(entry: dict[str, Any]) -> _Column:
            file = entry["file"]
            return _Column(arrays[f"{file}.codes"], arrays[f"{file}.offsets"], blobs[file], bool(entry["json"]))

        self.fields = {name: column(entry) for name, entry in meta["fields"].items()}
        self.metadata = {entry["name"]: column(entry) for entry in meta["metadata"]}
        self._metadata_items = list(self.metadata.items())
        self._id = self.fields["id"]

    @classmethod
    def from_items(cls, items: Sequence[Item]) -> "ColumnStore":
        encoded = encode_items(items)
        return cls(encoded["meta"], encoded["arrays"], encoded["blobs"])

    @classmethod
    def open(cls, folder: Path) -> "ColumnStore":
        """Memory-map the columns of a version folder (OSError / ValueError when unreadable)."""
        root = folder / COLUMNS_DIR
        meta = json.loads((root / "columns.json").read_text(encoding="utf-8"))
        arrays = {p.name[:-4]: np.load(p, mmap_mode="r") for p in root.glob("*.npy")}
        blobs = {p.name[:-len(".values.bin")]: _map_bytes(p) for p in root.glob("*.values.bin")}
        store = cls(meta, arrays, blobs)
        if any(len(c.codes) != store.n for c in [*store.fields.values(), *store.metadata.values()]):
            raise ValueError(f"{root}: columns of different lengths")
        return store

    def __len__(self) -> int:
        return self.n

    def item(self, row: int) -> Item:
        if not 0 <= row < self.n:
            raise IndexError(f"row {row} out of range (0..{self.n - 1})")
        image = self.fields["image"].value(row)
        kind = self.kind_names[int(self.arrays["kind.codes"][row])]
        metadata = {}
        for name, col in self._metadata_items:
            value = col.value(row)
            if value is not _ABSENT:
                metadata[name] = value
        return Item(self._id.value(row), self.fields["text"].value(row), kind or None,
                    None if image is _ABSENT else image, metadata)

    def item_id(self, row: int) -> str:
        return self._id.value(row)

    def text(self, row: int) -> str:
        return self.fields["text"].value(row)

    def raw(self, name: str) -> _Column | None:
        """A metadata column as stored (None: no item has it)."""
        return self.metadata.get(name)

    def row(self, item_id: str) -> int | None:
        """The row of an item id, by binary search over the ids' hashes; None if absent."""
        hashes, rows = self.arrays["id.hash"], self.arrays["id.hash_rows"]
        (h,) = id_hashes([item_id])
        i = int(np.searchsorted(hashes, h))
        while i < len(hashes) and hashes[i] == h:
            row = int(rows[i])
            if self._id.value(row) == item_id:
                return row
            i += 1
        return None


class Items(Sequence[Item]):
    """The items of an index as a read-only sequence; each `Item` is made from its row when asked
    for (nothing is held per item)."""

    def __init__(self, store: ColumnStore) -> None:
        self._store = store

    @property
    def store(self) -> ColumnStore:
        return self._store

    def __len__(self) -> int:
        return self._store.n

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self._store.item(r) for r in range(*key.indices(self._store.n))]
        row = int(key)
        if row < 0:
            row += self._store.n
        return self._store.item(row)

    def __iter__(self) -> Iterator[Item]:
        for row in range(self._store.n):
            yield self._store.item(row)


class RowLookup(Mapping[str, int]):
    """item id -> row, as a read-only mapping (`in`, `[]`, `get`), by binary search over hashes."""

    def __init__(self, store: ColumnStore) -> None:
        self._store = store

    def __getitem__(self, item_id: str) -> int:
        row = self._store.row(item_id) if isinstance(item_id, str) else None
        if row is None:
            raise KeyError(item_id)
        return row

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and self._store.row(item_id) is not None

    def __len__(self) -> int:
        return self._store.n

    def __iter__(self) -> Iterator[str]:
        for row in range(self._store.n):
            yield self._store.item_id(row)


