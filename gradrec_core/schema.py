"""What a catalog's columns mean to the dialogue: its kind column, display name, numeric columns
("cheaper", "under 50") and categorical attribute columns ("in black", "in leather", "what
colours does it come in?").

Nothing here names a particular catalog's columns. `gradrec index` records the schema in the
index manifest, from its flags or, where a flag is not given, inferred from the data:

- numeric columns: every column named like a price (`price`, `cost`, `*_price`, `msrp`, or a
  currency code: `usd`, `eur`, `gbp`, `inr`) whose values are all numbers; others only when
  declared (`--numeric-columns price,heel_cm`);
- the price column ("cheaper", "under 50"): `--price-column`, else the first numeric column named
  like a price. A catalog without one has no prices: the dialogue says so instead of guessing
  "cheaper" from the item texts;
- attribute columns: short-valued text columns with few distinct values relative to the
  catalog (at most `MAX_VALUES` values, each used by more than one item on average), or the
  declared ones (`--attribute-columns colour,material`);
- the name column: `--name-column`, else the first of the text columns;
- the swatch column: `--swatch-column`, else the column whose every value is a hex colour
  (`#1f3a93`): shade and colour critiques are then measured on it (`colour.py`).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from .colour import ground_colour_names, parse_hex
from .columns import column_names, column_of
from .types import CatalogError, Item

log = logging.getLogger(__name__)

MAX_VALUES = 1_000  # an attribute column with more distinct values is free text, not a facet
MAX_VALUE_CHARS = 40
_PRICE_WORDS = r"price|cost|msrp|mrp|rrp|usd|eur|gbp|inr"
_PRICE_RE = re.compile(rf"(^|[_\s-])({_PRICE_WORDS})($|[_\s-])|^({_PRICE_WORDS})", re.IGNORECASE)


def column_words(column: str) -> list[str]:
    """'baseColour' -> ['base', 'colour']; 'heel_cm' -> ['heel', 'cm'] (to match what shoppers say)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(float(value)) else None
    text = str(value).strip().replace(",", "")
    for prefix in ("$", "€", "£"):
        text = text.removeprefix(prefix)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class NumericColumn:
    name: str
    minimum: float
    maximum: float
    is_price: bool


@dataclass(frozen=True)
class AttributeColumn:
    name: str
    values: tuple[str, ...]  # distinct values as the catalog writes them, most common first


@dataclass(frozen=True)
class CatalogSchema:
    """The columns the dialogue may use; built once at index time, stored in the manifest."""

    kind_column: str | None
    name_column: str | None
    numeric: tuple[NumericColumn, ...] = ()
    attributes: tuple[AttributeColumn, ...] = ()
    swatch_column: str | None = None
    # a colour-name column grounded in CIELAB (catalogs without a swatch column): value -> Lab
    colour_column: str | None = None
    colour_lab: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    brand_column: str | None = None  # a brand column, declared, named so, or derived from the names
    brand_derived: bool = False  # True: `brand_column` was written at index time from the names
    # the kind column's values and, per kind, its group in a coarser category-like column
    # ("Heels" -> "Shoes"); filled from the items when the index loads, never stored
    kinds: tuple[str, ...] = field(default=(), compare=False)
    kind_groups: dict[str, str] = field(default_factory=dict, compare=False)
    _by_name: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.numeric})
        self._by_name.update({c.name: c for c in self.attributes})

    @property
    def price(self) -> NumericColumn | None:
        return next((c for c in self.numeric if c.is_price), None)

    def memo(self, key: str, build: Callable[["CatalogSchema"], Any]) -> Any:
        """`build(self)`, computed once per schema and key (lookup tables the planner derives
        from the columns' values, instead of on every turn)."""
        if key not in self._memo:
            self._memo[key] = build(self)
        return self._memo[key]

    def numeric_column(self, name: str) -> NumericColumn | None:
        c = self._by_name.get(name)
        return c if isinstance(c, NumericColumn) else None

    def attribute(self, name: str) -> AttributeColumn | None:
        c = self._by_name.get(name)
        return c if isinstance(c, AttributeColumn) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind_column": self.kind_column,
            "name_column": self.name_column,
            "numeric": [{"name": c.name, "min": c.minimum, "max": c.maximum, "price": c.is_price}
                        for c in self.numeric],
            "attributes": [{"name": c.name, "values": list(c.values)} for c in self.attributes],
            "swatch_column": self.swatch_column,
            # only when present, so that indexes of catalogs without them keep their fingerprints
            **({"colour_column": self.colour_column, "colour_lab": {k: list(v) for k, v in self.colour_lab.items()}}
               if self.colour_column else {}),
            **({"brand_column": self.brand_column, "brand_derived": self.brand_derived}
               if self.brand_column else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CatalogSchema":
        return cls(
            kind_column=d.get("kind_column"),
            name_column=d.get("name_column"),
            numeric=tuple(NumericColumn(c["name"], float(c["min"]), float(c["max"]), bool(c.get("price")))
                          for c in d.get("numeric", [])),
            attributes=tuple(AttributeColumn(c["name"], tuple(c["values"])) for c in d.get("attributes", [])),
            swatch_column=d.get("swatch_column"),
            colour_column=d.get("colour_column"),
            colour_lab={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in (d.get("colour_lab") or {}).items()},
            brand_column=d.get("brand_column"),
            brand_derived=bool(d.get("brand_derived")),
        )


class _Opaque:
    """A JSON list or object value, counted as a value of its own (it cannot be a dict key)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class ColumnValues:
    """Each metadata column's distinct values with how many items hold them, in the order the
    items first hold them, counted once per column at C speed: the schema's checks then run over
    a column's few distinct values instead of over every item (a million items' twenty columns in
    a few seconds). A value that fails a check is the first item's that fails it (first-seen
    order), and `first_item` names that item."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = items
        self._metas = [item.metadata for item in items]
        self._memo: dict[str, list[tuple[Any, int]]] = {}

    def __call__(self, column: str) -> list[tuple[Any, int]]:
        got = self._memo.get(column)
        if got is None:
            values = column_of(self._metas, column)
            if set(map(type, values)) <= {str, type(None)}:  # a CSV's: strings (None: no value)
                got = list(Counter(values).items())
            else:
                try:  # keyed by type too: True, 1 and 1.0 stay three values, as their texts are
                    counts = Counter(zip(map(type, values), values))
                except TypeError:  # JSON lists / objects in the column
                    counts = Counter((type(v), _Opaque(v) if isinstance(v, (dict, list)) else v) for v in values)
                got = [(v.value if isinstance(v, _Opaque) else v, n) for (_, v), n in counts.items()]
            self._memo[column] = got
        return got

    def columns(self) -> list[str]:
        """Every metadata column any item has, in first-seen order."""
        return column_names(self._metas)

    def first_item(self, column: str, value: Any) -> Item:
        """The first item whose `column` holds `value` (of the same type)."""
        for item in self.items:
            v = item.metadata.get(column)
            if v is value or (type(v) is type(value) and not isinstance(v, (dict, list)) and v == value):
                return item
        raise KeyError(f"no item has {column}={value!r}")


def infer_schema(
    items: Sequence[Item],
    columns: Iterable[str],
    *,
    kind_column: str | None,
    text_columns: Sequence[str],
    reserved: Iterable[str],
    numeric_columns: Sequence[str] | None = None,
    attribute_columns: Sequence[str] | None = None,
    name_column: str | None = None,
    swatch_column: str | None = None,
    price_column: str | None = None,
    brand_column: str | None = None,
    brand_derived: bool = False,
    source: str = "catalog",
    column_values: ColumnValues | None = None,
) -> CatalogSchema:
    """The schema of `items` (metadata columns). Declared columns must exist and fit their
    role; an error names the column and the first item whose value does not fit. `column_values`:
    the items' `ColumnValues` when already made (counted columns are not counted again)."""
    columns = [c for c in columns if c not in set(reserved)]
    distinct = column_values if column_values is not None and column_values.items is items else ColumnValues(items)
    metadata_columns = set(columns) | set(text_columns)
    for declared, role in ((numeric_columns or (), "numeric"), (attribute_columns or (), "attribute")):
        for c in declared:
            if c not in metadata_columns:
                raise CatalogError(f"{source}: no {role} column '{c}' (columns: {', '.join(sorted(metadata_columns))})")
    if price_column is not None and price_column not in metadata_columns:
        raise CatalogError(f"{source}: no price column '{price_column}' (columns: {', '.join(sorted(metadata_columns))})")
    if name_column is not None and name_column not in metadata_columns:
        raise CatalogError(f"{source}: no name column '{name_column}' (columns: {', '.join(sorted(metadata_columns))})")
    if swatch_column is not None:
        if swatch_column not in metadata_columns:
            raise CatalogError(f"{source}: no swatch column '{swatch_column}' "
                               f"(columns: {', '.join(sorted(metadata_columns))})")
        for raw, _ in distinct(swatch_column):
            if raw not in (None, "") and parse_hex(raw) is None:
                item = distinct.first_item(swatch_column, raw)
                raise CatalogError(f"{source}: swatch column '{swatch_column}': item '{item.id}' has "
                                   f"'{str(raw)[:40]}', not a hex colour like #1f3a93")
    else:
        swatch_column = next((c for c in columns if c not in text_columns and _all_hex(distinct(c))), None)

    numeric: list[NumericColumn] = []
    wanted_numeric = list(numeric_columns) if numeric_columns is not None else [
        c for c in columns if _PRICE_RE.search(c)]
    if price_column is not None and price_column not in wanted_numeric:
        wanted_numeric.insert(0, price_column)
    for c in wanted_numeric:
        declared = numeric_columns is not None or c == price_column
        values: list[float] = []
        for raw, _ in distinct(c):
            if raw is None or str(raw).strip() == "":
                continue
            number = _number(raw)
            if number is None:
                if not declared:  # an inferred price column that is not numeric: skip it
                    values = []
                    break
                role = "price" if c == price_column else "numeric"
                item = distinct.first_item(c, raw)
                raise CatalogError(f"{source}: {role} column '{c}': item '{item.id}' has '{str(raw)[:40]}', not a number")
            values.append(number)
        if values:
            is_price = c == price_column if price_column is not None else bool(_PRICE_RE.search(c))
            numeric.append(NumericColumn(c, min(values), max(values), is_price))
        elif c == price_column:
            raise CatalogError(f"{source}: price column '{c}' has no values")

    numeric_names = {c.name for c in numeric}
    attributes: list[AttributeColumn] = []
    candidates = list(attribute_columns) if attribute_columns is not None else [
        c for c in columns if c not in numeric_names and c != name_column and c != swatch_column]
    for c in candidates:
        if attribute_columns is None and c in text_columns:
            continue  # free text, never a facet unless declared
        counts: dict[str, int] = {}
        too_long = False
        numbers = 0
        for raw, n in distinct(c):
            if raw is None or isinstance(raw, (dict, list)):
                continue
            value = str(raw).strip()
            if not value:
                continue
            if len(value) > MAX_VALUE_CHARS:
                too_long = True
                if attribute_columns is not None:
                    item = distinct.first_item(c, raw)
                    raise CatalogError(f"{source}: attribute column '{c}': item '{item.id}' has a "
                                       f"{len(value)}-character value (at most {MAX_VALUE_CHARS})")
                break
            if _number(value) is not None or any(ch.isdigit() for ch in value):
                numbers += n
            counts[value] = counts.get(value, 0) + n
        if attribute_columns is None:  # inferred: a facet, not free text, ids or measurements
            used = sum(counts.values())
            if (too_long or len(counts) < 2 or len(counts) > MAX_VALUES or used == 0
                    or len(counts) * 2 > used or numbers * 2 > used):
                continue
        if counts:
            ordered = sorted(counts, key=lambda v: (-counts[v], v))
            attributes.append(AttributeColumn(c, tuple(ordered)))

    if name_column is None:
        name_column = text_columns[0] if text_columns else None
    if brand_column is not None and brand_column not in metadata_columns:
        raise CatalogError(f"{source}: no brand column '{brand_column}' (columns: {', '.join(sorted(metadata_columns))})")
    if brand_column is None:
        brand_column = next((c.name for c in attributes if set(column_words(c.name)) & _BRAND_WORDS), None)
    if brand_column is not None and not any(c.name == brand_column for c in attributes):
        counts = Counter()
        for raw, n in distinct(brand_column):
            counts[str(raw or "").strip()] += n
        counts.pop("", None)
        attributes.append(AttributeColumn(brand_column, tuple(sorted(counts, key=lambda v: (-counts[v], v)))))
    colour_column, colour_lab = None, {}
    if swatch_column is None:
        colour_column, colour_lab = _ground_colour_column(attributes, source)
    return CatalogSchema(kind_column=kind_column, name_column=name_column,
                         numeric=tuple(numeric), attributes=tuple(attributes), swatch_column=swatch_column,
                         colour_column=colour_column, colour_lab=colour_lab, brand_column=brand_column,
                         brand_derived=brand_derived and brand_column is not None)


_COLOUR_COLUMN_WORDS = frozenset({"colour", "color", "colours", "colors", "shade", "hue"})
_BRAND_WORDS = frozenset({"brand", "brands", "manufacturer", "maker", "designer", "vendor", "label"})
_KIND_WORDS = frozenset({"category", "categories", "type", "kind", "article", "class", "subcategory",
                         "department", "product"})


def _ground_colour_column(attributes: Sequence[AttributeColumn], source: str
                          ) -> tuple[str | None, dict[str, tuple[float, float, float]]]:
    """The colour-name column (named for colour, else the one whose values are most often colour
    names), with its values grounded in CIELAB (`colour.name_to_lab`); one log line says how
    many values were grounded and names those that were not."""
    best: tuple[tuple[int, float], AttributeColumn, dict[str, tuple[float, float, float]], list[str]] | None = None
    for c in attributes:
        named = bool(set(column_words(c.name)) & _COLOUR_COLUMN_WORDS)
        grounded, missing = ground_colour_names(c.values)
        share = len(grounded) / max(len(c.values), 1)
        if not named and share < 0.8:
            continue
        key = (int(named), share)
        if best is None or key > best[0]:
            best = (key, c, grounded, missing)
    if best is None or not best[2]:
        return None, {}
    _, column, grounded, missing = best
    log.info("%s: colour column '%s': %d of %d values grounded in CIELAB%s", source, column.name,
             len(grounded), len(column.values),
             f"; not grounded: {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}" if missing else "")
    return column.name, grounded


def infer_kind_column(items: Sequence[Item], columns: Iterable[str], exclude: Iterable[str] = (),
                      source: str = "catalog") -> str | None:
    """The kind column when none is declared: among the facet-like columns named like a
    category (category / type / kind / article / class), the finest one (the most distinct
    values: articleType over subCategory over masterCategory). One log line says which."""
    excluded = set(exclude)
    distinct = ColumnValues(items)
    best: tuple[int, str] | None = None
    for c in columns:
        if c in excluded or not set(column_words(c)) & _KIND_WORDS:
            continue
        if set(column_words(c)) & (_COLOUR_COLUMN_WORDS | _BRAND_WORDS):
            continue
        counts: Counter[str] = Counter()
        for raw, n in distinct(c):
            value = str(raw or "").strip()
            if value:
                if len(value) > MAX_VALUE_CHARS:
                    counts.clear()
                    break
                counts[value] += n
        used = sum(counts.values())
        if len(counts) < 2 or len(counts) > MAX_VALUES or len(counts) * 2 > used:
            continue
        if best is None or len(counts) > best[0]:
            best = (len(counts), c)
    if best is None:
        log.info("%s: no kind column declared or named like one (category / type / kind / article); "
                 "every attribute not asked about is held instead", source)
        return None
    log.info("%s: kind column '%s' inferred (%d kinds; --category-column overrides)", source, best[1], best[0])
    return best[1]


# generic words a product name starts with that are not a brand
_NOT_BRAND = frozenset("the a an new men mens women womens woman man unisex kids kid boys boy girls girl baby "
                       "infant adult ladies gents set pack of and with for in by".split())


def _name_tokens(name: str) -> list[str]:
    return [w for w in re.split(r"[^\w'&.+-]+", str(name)) if w]


def learn_brands(names: Sequence[str], not_brand_words: Iterable[str], min_share: float = 0.5) -> list[str]:
    """The brands of a catalog whose product names start with the brand ("Puma Women Casual
    Beige Heels", "Peter England Men Shirt"): a name's leading words, extended while most names
    with that start go on with the same word, kept when several names share them and their
    first word is not a word of the catalog's other values (a kind, colour, gender) nor a
    colour name. None at all when fewer than `min_share` of the names start with one, or when
    one start covers most names ("Cotton crew-neck tee ..."): the names do not start with brands."""
    from .colour import name_to_lab

    excluded = {w.lower() for w in not_brand_words} | _NOT_BRAND
    counted = Counter(names)  # each distinct name tokenised once (a catalog repeats names)
    by_first: dict[str, list[tuple[list[str], int]]] = {}
    for name, n in counted.items():
        t = [w.lower() for w in _name_tokens(name)]
        if t:
            by_first.setdefault(t[0], []).append((t, n))
    min_count = max(2, int(0.0005 * len(names)))
    brands: dict[tuple[str, ...], int] = {}
    for word, group in by_first.items():
        size = sum(n for _, n in group)
        if (size < min_count or word in excluded or any(ch.isdigit() for ch in word)
                or name_to_lab(word) is not None):
            continue
        prefix = [word]
        while True:
            nxt: Counter[str] = Counter()
            for t, n in group:
                if len(t) > len(prefix) + 1:
                    nxt[t[len(prefix)]] += n
            if not nxt:
                break
            w, c = nxt.most_common(1)[0]
            if c < 0.8 * size or w in excluded and w not in ("of", "and", "&") or name_to_lab(w) is not None:
                break
            prefix.append(w)
            group = [(t, n) for t, n in group if len(t) > len(prefix) and t[len(prefix) - 1] == w]
            size = sum(n for _, n in group)
        brands[tuple(prefix)] = size
    if sum(brands.values()) < min_share * len(names) or len(brands) < 2 or max(brands.values()) > 0.8 * len(names):
        return []  # names that mostly do not start with a brand, or all with the same words
    # as the catalog writes it: the most common spelling of each brand's words
    match = brand_matcher([" ".join(b) for b in brands])
    spelled: dict[str, Counter[str]] = {}
    for name, n in counted.items():
        brand = match(name)
        if brand:
            k = len(brand.split())
            spelled.setdefault(brand, Counter())[" ".join(_name_tokens(name)[:k])] += n
    return sorted((c.most_common(1)[0][0] for c in spelled.values()), key=str.lower)


def brand_matcher(brands: Sequence[str]) -> Callable[[str], str]:
    """A function: product name -> the brand it starts with (the longest of `brands`), or ''."""
    by_first: dict[str, list[tuple[list[str], str]]] = {}
    for b in brands:
        words = [w.lower() for w in _name_tokens(b)]
        if words:
            by_first.setdefault(words[0], []).append((words, b))
    for options in by_first.values():
        options.sort(key=lambda o: -len(o[0]))

    def brand_of(name: str) -> str:
        words = [w.lower() for w in _name_tokens(name)]
        for bw, b in by_first.get(words[0], []) if words else []:
            if words[:len(bw)] == bw:
                return b
        return ""

    return brand_of


def _all_hex(values: Sequence[tuple[Any, int]]) -> bool:
    """True when at least two items have a value and every value is a hex colour (`values`:
    a column's distinct values and their counts, `ColumnValues`)."""
    n = 0
    for raw, count in values:
        if raw is None or str(raw).strip() == "":
            continue
        if parse_hex(raw) is None:
            return False
        n += count
    return n >= 2
