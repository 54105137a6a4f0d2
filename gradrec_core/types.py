"""Typed values passed between the engine's layers and returned to its callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class GradrecError(Exception):
    """Base class for errors meant for users: one clear line naming the input at fault."""


class CatalogError(GradrecError):
    """A catalog file could not be loaded (names the file, line and field)."""


class IndexStateError(GradrecError):
    """An index folder is missing, stale or inconsistent."""


class EncoderError(GradrecError):
    """A model could not be loaded or used."""


class SessionError(GradrecError):
    """A session is unknown, or an operation does not apply to its state."""


class UnknownItemError(GradrecError):
    """An item id is not in the index."""


class ItemRemovedError(SessionError):
    """The session's current item is no longer in the catalog (an update removed it):
    `Engine.replace_removed` moves the session to the closest item still there."""

    def __init__(self, message: str, item_id: str) -> None:
        super().__init__(message)
        self.item_id = item_id


@dataclass(frozen=True)
class Item:
    """One catalog item: its id, the text it is embedded from, and everything else the catalog said."""

    id: str
    text: str
    category: str | None = None
    image: str | None = None  # absolute path or URL
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "category": self.category,
            "image": self.image,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class ScoredItem:
    item: Item
    score: float  # cosine similarity to the query


@dataclass(frozen=True)
class Direction:
    """A traversal direction built from a neutral and an exemplar prompt (GradREC sec. 4.3)."""

    neutral: str
    exemplar: str
    opposite: str  # "" when the exemplar is contrasted with the neutral prompt (the paper)
    vector: Any  # np.ndarray, float32, unit norm
    confidence: float  # 0..1, held-out separation of exemplar vs neutral items along `vector`
    auc: float  # held-out ROC AUC behind `confidence` (0.5 = no separation)
    neutral_ids: tuple[str, ...]
    exemplar_ids: tuple[str, ...]
    target_category: str | None  # the kind the exemplar names when it differs from the neutral's


@dataclass(frozen=True)
class WalkStep:
    """One answer of the walk: the next item, or the news that the walk has reached its end."""

    number: int  # 1 for the first step after the seed
    kind: str  # "refine" | "another"
    attribute: str
    neutral: str
    exemplar: str
    intensity: float
    item: Item | None  # None when end_reached
    end_reached: bool
    confidence: float
    low_confidence: bool
    projection: float | None  # the item's coordinate along the direction
    gain: float | None  # projection gained over the previous item
    similarity: float | None  # cosine between the item and the previous one (the paper: the walk position)
    end_reason: str = ""  # why the walk ended, when it did
    # what the step was measured on: "text" (the direction), "swatch:-L*", "numeric:<column>",
    # "column:<column>" (the graded step's axis), "paper" (the paper's walk); "" when not a refine
    axis: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "attribute": self.attribute,
            "neutral": self.neutral,
            "exemplar": self.exemplar,
            "intensity": self.intensity,
            "item": self.item.to_dict() if self.item else None,
            "end_reached": self.end_reached,
            "confidence": round(self.confidence, 4),
            "low_confidence": self.low_confidence,
            "projection": None if self.projection is None else round(self.projection, 5),
            "gain": None if self.gain is None else round(self.gain, 5),
            "similarity": None if self.similarity is None else round(self.similarity, 5),
            "end_reason": self.end_reason,
            "axis": self.axis,
        }


@dataclass(frozen=True)
class CritiqueStep:
    """The answer to one critique turn (`Engine.apply`): the next item, or the news that
    nothing lies further (with the closest alternatives at the level reached)."""

    number: int  # 1 for the first step after the seed
    item: Item | None  # None when end_reached
    end_reached: bool
    reason: str  # why it ended, when it did
    ops: tuple[dict[str, Any], ...]  # the operations applied, as plain dicts
    axes: tuple[str, ...]  # per comparative: "column:<name>", "numeric:<name>" or "text"
    levels: tuple[tuple[float, float], ...]  # per comparative: level before and after
    alternatives: tuple[Item, ...]  # at an end
    relaxed: bool  # earlier critiques were dropped to find an answer
    confidence: float  # the weakest text direction's confidence (1.0 when none was used)
    low_confidence: bool
    following: tuple[Item, ...] = ()  # asked for (`Engine.alternatives`): the same step's next answers
    let_go: tuple[str, ...] = ()  # relaxed: the earlier wishes the item does not keep, as said

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "item": self.item.to_dict() if self.item else None,
            "end_reached": self.end_reached,
            "reason": self.reason,
            "ops": list(self.ops),
            "axes": list(self.axes),
            "levels": [[round(a, 5), round(b, 5)] for a, b in self.levels],
            "alternatives": [i.id for i in self.alternatives],
            "relaxed": self.relaxed,
            "confidence": round(self.confidence, 4),
            "low_confidence": self.low_confidence,
            "let_go": list(self.let_go),
        }


@dataclass(frozen=True)
class ValueExample:
    """One value of a column with the item that shows it: the item of the current one's kind
    with that value that is most like the current item in everything else."""

    value: str
    item: Item


@dataclass(frozen=True)
class AttributeValues:
    """Values a column takes among items like one item (same kind, close in style)."""

    column: str
    current: Any  # the item's own value ('' / None when it has none)
    values: tuple[tuple[str, int], ...]  # (value, count among the neighbours), most common first
    numeric: bool
    minimum: float | None = None
    maximum: float | None = None
    source: str = "catalog"  # "catalog" (a column) or "text" (words found in the items' texts)
    # per value other than the item's own, in the order of `values`: an item to show for it
    examples: tuple[ValueExample, ...] = ()


@dataclass(frozen=True)
class Alternatives:
    """Items that could take the current one's place ("another one"), offered side by side: the
    current item stays until the shopper picks one (`Engine.pick`); all of them count as seen."""

    current: Item
    items: tuple[Item, ...]  # best first; empty when none is left
    reason: str = ""  # why there are none, when there are none

    @property
    def end_reached(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class SessionState:
    """Where a shopper's session stands: the current item and the steps that led there."""

    session_id: str
    current: Item | None
    steps: tuple[WalkStep, ...]  # active steps, oldest first (undone steps excluded)
    seen: frozenset[str]
    # the current item's id when an update of the catalog removed it (then `current` is None);
    # a step whose item was removed has item None in `steps`
    removed: str | None = None


@dataclass(frozen=True)
class Room:
    """Which ways the catalog lets a session go on from its current item (`Engine.room`), among
    the unseen items of the item's kind: what chips a chat can offer without offering one that
    cannot work."""

    item: Item
    history: bool  # an earlier item to go back to
    # numeric column -> (an unseen item has a smaller value, one has a larger value); a column the
    # current item has no value in is left out
    numeric: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    # the swatch's lightness: (an unseen item is darker, one is lighter), by more than a
    # just-noticeable difference; None without a swatch column or a swatch on this item
    shade: tuple[bool, bool] | None = None
    # categorical column -> the values unseen items have that this item has not, most common first
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
