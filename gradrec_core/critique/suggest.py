"""Quick-reply chips: the next things a shopper may say that the catalog lets work from here.

Nothing here names a catalog's kinds or columns. The candidates come from the critique lexicon
(`vocabulary.json`: its dimensions and their comparatives) and the index's schema (a swatch
column for "darker" / "lighter", a price column for "cheaper", numeric and categorical columns
named for a dimension, the colour column for "in <colour>"); each is offered only when
`Engine.room` says an unseen item of the current item's kind lies that way.
"""

from __future__ import annotations

from ..engine import Engine
from ..graded import DIMENSION_COLUMNS
from ..schema import CatalogSchema, column_words
from ..types import Room, SessionState
from .planner import topic_column
from .vocabulary import COMPARATIVES, DIMENSIONS

MAX_COMPARATIVES = 4
TAKE_IT = "I'll take it"
GO_BACK = "go back"
# parts of an item a numeric column may measure: said after the comparative ("higher heel")
_PARTS = frozenset({"sleeve", "heel", "neck", "neckline", "collar", "waist", "leg", "hem", "strap", "sole",
                    "toe", "cuff", "shaft", "brim"})


def comparative(word: str) -> str:
    """"dark" -> "darker" (the lexicon's form), "formal" -> "more formal"."""
    return COMPARATIVES.get(word) or f"more {word}"


def _ends(dimension: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    return DIMENSIONS.get(dimension)


def _numeric_chips(room: Room, schema: CatalogSchema) -> list[str]:
    """"higher heel" / "lower heel" for a column named for a dimension (`heel_cm`), each when an
    unseen item has a larger / smaller value."""
    chips: list[str] = []
    price = schema.price.name if schema.price else None
    for column, (smaller, larger) in room.numeric.items():
        if column == price:
            continue
        words = column_words(column)
        for dimension, named in DIMENSION_COLUMNS.items():
            ends = _ends(dimension)
            match = next(((w, big) for w, big in named if w in words), None)
            if ends is None or match is None or dimension == "shade":
                continue
            word, big = match
            small = next((side[0] for side in ends if big not in side), None)
            if small is None:
                continue
            noun = f" {word}" if word in _PARTS else ""
            if larger:
                chips.append(comparative(big) + noun)
            if smaller:
                chips.append(comparative(small) + noun)
            break
    return chips


def _value_chips(room: Room, schema: CatalogSchema) -> list[str]:
    """"shorter" / "longer", "more formal" / "more casual" for a categorical column named for a
    dimension (`length_name`, `formality`): not when the item has no value there (a coat with no
    length), not toward an end the item's value already names ("shorter" on a mini skirt), and
    only when unseen items of the kind have other values."""
    chips: list[str] = []
    for a in schema.attributes:
        words = column_words(a.name)
        mine = str(room.item.metadata.get(a.name) or "").strip().lower()
        others = room.values.get(a.name, ())
        if not mine or not others:
            continue
        mine_words = set(mine.replace("-", " ").split())
        for dimension, named in DIMENSION_COLUMNS.items():
            ends = _ends(dimension)
            if ends is None or dimension == "price" or not any(w in words for w, _ in named):
                continue
            for side, other in (ends, ends[::-1]):
                # at this end already: the value names it and not the other ("mini"; not "smart casual")
                if not (mine_words & set(side) and not mine_words & set(other)):
                    chips.append(comparative(side[0]))
            break
    return chips


def suggestions(engine: Engine, state: SessionState) -> list[str]:
    """The chips for the session's current item, most useful first: the comparatives the
    catalog has room for, "cheaper", "in <the kind's most common other colour>", "go back"
    (only after a step), "I'll take it"."""
    room = engine.room(state)
    schema = engine.index.schema
    chips: list[str] = []
    if room.shade is not None:
        darker, lighter = room.shade
        chips += [c for c, ok in (("darker", darker), ("lighter", lighter)) if ok]
    chips += _value_chips(room, schema) + _numeric_chips(room, schema)
    chips = list(dict.fromkeys(chips))[:MAX_COMPARATIVES]
    if schema.price is not None and room.numeric.get(schema.price.name, (False, False))[0]:
        chips.append(comparative("cheap"))
    colour, numeric = topic_column(schema, "colour")
    if colour is not None and not numeric and room.values.get(colour):
        chips.append(f"in {room.values[colour][0]}")
    if room.history:
        chips.append(GO_BACK)
    chips.append(TAKE_IT)
    return chips


def greeting_examples(engine: Engine, count: int = 3) -> list[str]:
    """A few searches to start with: the catalog's most common kinds, each in its most common
    colour where the catalog has a colour column ("a black dress")."""
    from .render import with_article

    index = engine.index
    kinds = sorted(engine.categories(), key=lambda k: -len(index.rows_in_category(k)))[:count]
    colour, numeric = topic_column(index.schema, "colour")
    out = []
    for kind in kinds:
        words = kind
        if colour is not None and not numeric:
            values = index.column(colour)[index.rows_in_category(kind)]
            present = [v for v in values if v]
            if present:
                words = f"{max(set(present), key=present.count)} {kind}"
        out.append(f"show me {with_article(words.lower())}")
    return out
