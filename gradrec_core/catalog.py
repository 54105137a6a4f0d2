"""Load a product catalog (CSV or JSONL) into `Item`s, with errors that name file, line and field.

A row is never dropped silently: by default the first bad row fails the load; with
``lenient=True`` bad rows are skipped and listed, by reason, in `Catalog.skipped`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .types import CatalogError, Item

log = logging.getLogger(__name__)

_URL_PREFIXES = ("http://", "https://")


@dataclass(frozen=True)
class CatalogSpec:
    """Which columns mean what. `text_columns=None` picks `text`, else `name` + `description`."""

    id_column: str = "id"
    text_columns: tuple[str, ...] | None = None
    category_column: str | None = None
    image_column: str | None = None
    lenient: bool = False
    # The dialogue's view of the columns (see `schema.py`); None = inferred from the data.
    numeric_columns: tuple[str, ...] | None = None
    attribute_columns: tuple[str, ...] | None = None
    name_column: str | None = None
    swatch_column: str | None = None
    price_column: str | None = None  # None: the first numeric column named like a price, if any
    brand_column: str | None = None  # None: a column named like a brand, else learnt from the names

    def to_dict(self) -> dict[str, Any]:
        return {
            "id_column": self.id_column,
            "text_columns": list(self.text_columns) if self.text_columns else None,
            "category_column": self.category_column,
            "image_column": self.image_column,
            "lenient": self.lenient,
            "numeric_columns": None if self.numeric_columns is None else list(self.numeric_columns),
            "attribute_columns": None if self.attribute_columns is None else list(self.attribute_columns),
            "name_column": self.name_column,
            "swatch_column": self.swatch_column,
            "price_column": self.price_column,
            **({"brand_column": self.brand_column} if self.brand_column else {}),  # old fingerprints hold
        }


@dataclass(frozen=True)
class SkippedRow:
    line: int
    item_id: str | None
    reason: str  # short key: "duplicate id", "empty text", ...
    message: str


@dataclass
class Catalog:
    path: Path
    sha256: str
    spec: CatalogSpec
    text_columns: tuple[str, ...]
    items: list[Item]
    skipped: list[SkippedRow] = field(default_factory=list)
    columns: tuple[str, ...] = ()  # the file's columns, in order (JSONL: the first record's)

    def skipped_by_reason(self) -> dict[str, list[SkippedRow]]:
        out: dict[str, list[SkippedRow]] = defaultdict(list)
        for row in self.skipped:
            out[row.reason].append(row)
        return dict(out)


class _RowError(Exception):
    def __init__(self, reason: str, message: str, item_id: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.item_id = item_id


def load_catalog(path: str | Path, spec: CatalogSpec | None = None) -> Catalog:
    """Read a `.csv` or `.jsonl` catalog. Raises `CatalogError` (one line) on the first bad row
    unless `spec.lenient`, in which case bad rows are skipped and reported."""
    spec = spec or CatalogSpec()
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: catalog file not found")
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise CatalogError(f"{path}: unsupported catalog format '{suffix}' (use .csv or .jsonl)")
    sha256 = hashlib.sha256(raw).hexdigest()

    lines, bad_lines = _decode_lines(path, raw, spec.lenient)
    del raw  # the lines hold the text from here on (a million rows: ~0.3 GB less)
    shared = _SharedValues()
    records = _csv_records(path, lines) if suffix == ".csv" else _jsonl_records(path, lines, spec.lenient)

    items: list[Item] = []
    skipped: list[SkippedRow] = []
    first_line_of: dict[str, int] = {}
    text_columns: tuple[str, ...] | None = None
    header: tuple[str, ...] = ()
    base = path.parent
    for first, last, record, columns in records:
        if text_columns is None:
            header = columns
            text_columns = _resolve_text_columns(path, spec, columns)
        try:
            if isinstance(record, _RowError):
                raise record
            if bad_lines and any(n in bad_lines for n in range(first, last + 1)):
                raise _RowError("undecodable bytes", "undecodable bytes (not UTF-8)")
            item = _item_from_record(record, spec, text_columns, base, shared)
            if item.id in first_line_of:
                raise _RowError(
                    "duplicate id",
                    f"field '{spec.id_column}': duplicate id '{item.id}' (first on line {first_line_of[item.id]})",
                    item.id,
                )
        except _RowError as err:
            message = f"{path}: line {first}: {err.message}"
            if not spec.lenient:
                raise CatalogError(message) from None
            skipped.append(SkippedRow(first, err.item_id, err.reason, message))
            continue
        first_line_of[item.id] = first
        items.append(item)

    if text_columns is None:  # no rows at all
        raise CatalogError(f"{path}: the catalog has no rows")
    if not items:
        raise CatalogError(f"{path}: no valid rows ({len(skipped)} skipped)")
    if skipped:
        counts = Counter(row.reason for row in skipped)
        log.warning("%s: skipped %d rows: %s", path, len(skipped), dict(sorted(counts.items())))
    return Catalog(
        path=path,
        sha256=sha256,
        spec=spec,
        text_columns=text_columns,
        items=items,
        skipped=skipped,
        columns=header,
    )


def _decode_lines(path: Path, raw: bytes, lenient: bool) -> tuple[list[str], set[int]]:
    """Split into lines (keeping ends) decoded as UTF-8; bad lines are errors, or marked when lenient."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    lines: list[str] = []
    bad: set[int] = set()
    for number, chunk in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError as err:
            if not lenient:
                raise CatalogError(
                    f"{path}: line {number}: undecodable bytes (not UTF-8) at column {err.start + 1}"
                ) from None
            bad.add(number)
            lines.append(chunk.decode("utf-8", errors="replace"))
    return lines, bad


_Record = tuple[int, int, "dict[str, Any] | _RowError", tuple[str, ...]]


def _csv_records(path: Path, lines: list[str]) -> Iterator[_Record]:
    # strict: a quote that never closes, or text after a closing quote, is an error instead of
    # silently swallowing the following rows into one field.
    # the lines as they are (they keep their ends, split as a newline="" file would): no copy of
    # the whole text
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CatalogError(f"{path}: line 1: empty file (no header row)") from None
    except csv.Error as err:
        raise CatalogError(f"{path}: line 1: {_csv_error(err, lines, 0, reader.line_num, None)}") from None
    columns = tuple(h.strip() for h in header)
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise CatalogError(f"{path}: line 1: an empty column name in the header")
        if name in seen:
            raise CatalogError(f"{path}: line 1: column '{name}' appears twice in the header")
        seen.add(name)
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            message = _csv_error(err, lines, previous_end, reader.line_num, columns)
            raise CatalogError(f"{path}: line {previous_end + 1}: {message}") from None
        first, last = previous_end + 1, reader.line_num
        previous_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # a blank line is not a row
        if len(row) != len(columns):
            yield first, last, _RowError(
                "wrong column count", f"{len(row)} fields where the header has {len(columns)}"
            ), columns
            continue
        yield first, last, dict(zip(columns, row)), columns


def _csv_error(err: csv.Error, lines: list[str], start: int, end: int, columns: tuple[str, ...] | None) -> str:
    """`csv.Error` for the record starting at line `start + 1` (0-based index `start` into `lines`)
    as one clear sentence: what is wrong, and which field when the parser does not say."""
    text = str(err)
    where = f"line {end}" if end > start + 1 else "this line"
    if "unexpected end of data" in text:
        return (f"unbalanced quote: a quoted field opens on this line and is never closed (the rest "
                f"of the file, to line {end}, would be one field)")
    if "expected after" in text:
        return f"bad quoting: {text} (at {where}; a quote inside a field must be doubled: \"\")"
    if "field larger than field limit" in text:
        limit = csv.field_size_limit()
        index = _oversized_field("".join(lines[start:]), limit)
        if index is None:
            return f"a field is longer than the limit of {limit} characters"
        if columns is None:
            return f"column {index + 1} of the header is longer than the limit of {limit} characters"
        name = columns[index] if index < len(columns) else f"#{index + 1} (beyond the header's {len(columns)})"
        return f"field '{name}': longer than the limit of {limit} characters"
    return f"malformed CSV: {text}"


def _oversized_field(text: str, limit: int) -> int | None:
    """The position of the first field of the record at the start of `text` longer than `limit`
    characters (the same quoting rules as `csv.reader`'s defaults), or None."""
    index, length, quoted, at_start, i = 0, 0, False, True, 0
    while i < len(text):
        c = text[i]
        i += 1
        if quoted:
            if c == '"':
                if text[i:i + 1] == '"':
                    i += 1
                else:
                    quoted = False
                    continue
            length += 1
        elif c == '"' and at_start:
            quoted, at_start = True, False
            continue
        elif c == ",":
            index, length, at_start = index + 1, 0, True
            continue
        elif c in "\r\n":
            return None
        else:
            length += 1
            at_start = False
        if length > limit:
            return index
    return None


def _jsonl_records(path: Path, lines: list[str], lenient: bool) -> Iterator[_Record]:
    columns: tuple[str, ...] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            yield number, number, _RowError("invalid JSON", f"invalid JSON: {err.msg} (column {err.colno})"), columns or ()
            continue
        if not isinstance(record, dict):
            yield number, number, _RowError("invalid JSON", "each line must be a JSON object"), columns or ()
            continue
        if columns is None:
            columns = tuple(record)
        yield number, number, record, columns


def _resolve_text_columns(path: Path, spec: CatalogSpec, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Check the mapped columns exist (JSONL: in the first record) and pick the text columns."""
    if spec.text_columns:
        text_columns = tuple(spec.text_columns)
    elif "text" in columns:
        text_columns = ("text",)
    else:
        text_columns = tuple(c for c in ("name", "description") if c in columns)
        if not text_columns:
            raise CatalogError(
                f"{path}: line 1: no text column (looked for 'text', 'name', 'description'); "
                f"pass --text-columns (columns: {', '.join(columns)})"
            )
    wanted = [("id", spec.id_column)] + [("text", c) for c in text_columns]
    if spec.category_column:
        wanted.append(("category", spec.category_column))
    if spec.image_column:
        wanted.append(("image", spec.image_column))
    for role, name in wanted:
        if name not in columns:
            raise CatalogError(
                f"{path}: line 1: no {role} column '{name}' (columns: {', '.join(columns)})"
            )
    return text_columns


def _cell(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


class _SharedValues:
    """One string object per distinct short value of a column, shared by every row that has it (a
    million rows' "black" are one string, not a million: about 1 GB less per million rows of a
    20-column catalog). A column with more distinct values than `MAX_DISTINCT` (names, ids) is
    not shared beyond them."""

    MAX_LENGTH = 64
    MAX_DISTINCT = 65_536

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, str]] = {}

    def metadata(self, record: dict[str, Any], reserved: set[str | None]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key in reserved:
                continue
            if type(value) is str and len(value) <= self.MAX_LENGTH:
                table = self._tables.get(key)
                if table is None:
                    table = self._tables[key] = {}
                same = table.get(value)
                if same is not None:
                    value = same
                elif len(table) < self.MAX_DISTINCT:
                    table[value] = value
            out[key] = value
        return out


def _item_from_record(
    record: dict[str, Any], spec: CatalogSpec, text_columns: tuple[str, ...], base: Path,
    shared: _SharedValues,
) -> Item:
    if spec.id_column not in record:
        raise _RowError("missing id", f"field '{spec.id_column}': missing")
    item_id = _cell(record[spec.id_column])
    if not item_id:
        raise _RowError("missing id", f"field '{spec.id_column}': empty id")
    missing = [c for c in text_columns if c not in record]
    if missing:
        raise _RowError("empty text", f"field '{missing[0]}': missing for item '{item_id}'", item_id)
    text = ". ".join([cell.rstrip(".") for cell in [_cell(record[c]) for c in text_columns] if cell])
    if not text:
        raise _RowError(
            "empty text", f"field '{','.join(text_columns)}': empty text for item '{item_id}'", item_id
        )
    category = None
    if spec.category_column:
        category = _cell(record.get(spec.category_column)) or None
    image = None
    if spec.image_column:
        image_cell = _cell(record.get(spec.image_column))
        if image_cell:
            if image_cell.startswith(_URL_PREFIXES):
                image = image_cell
            else:
                image_path = (base / image_cell).resolve()
                if not image_path.is_file():
                    raise _RowError(
                        "image not found",
                        f"field '{spec.image_column}': image file not found: {image_cell}",
                        item_id,
                    )
                image = str(image_path)
    reserved = {spec.id_column, spec.category_column, spec.image_column}
    metadata = shared.metadata(record, reserved)
    return Item(id=item_id, text=text, category=category, image=image, metadata=metadata)
