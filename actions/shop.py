"""The action server's one engine: opened lazily on the first action, shared by all of them.

Actions never touch FAISS or SQL themselves: they call this engine's methods.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any
from urllib.parse import quote

from gradrec_core import Engine, Item
from gradrec_core.critique import render

from assistant.settings import Settings

log = logging.getLogger("actions")

_engine: Engine | None = None
_lock = threading.Lock()


def engine() -> Engine:
    """The engine over the configured index and session store (opened once)."""
    global _engine
    with _lock:
        if _engine is None:
            settings = Settings.from_env()
            log.info("opening index %s with sessions in %s", settings.index_dir, settings.db_url)
            _engine = Engine.open(settings.index_dir, settings.db_url)
            _engine.encoder.dim  # load the encoder now, not on the first shopper's turn
        return _engine


def reset_engine() -> None:
    """Forget the engine (tests point the settings elsewhere between cases)."""
    global _engine
    with _lock:
        _engine = None


# Metadata worth showing on a card, in order, with the label a shopper reads.
_CARD_FIELDS = (
    ("color_name", "colour"), ("kind", "kind"), ("length_name", "length"),
    ("sleeve_name", "sleeves"), ("heel_cm", "heel (cm)"), ("fit", "fit"),
    ("material", "material"), ("pattern", "pattern"), ("formality_name", "style"),
    ("price", "price"),
)


def image_url(item: Item) -> str | None:
    """The item's image over HTTP: the Rasa server's web channel serves GET /images/<id>, resolving
    the id through the index (assistant/web_channel.py). Never a server path."""
    if not item.image:
        return None
    base = (os.environ.get("GRADREC_PUBLIC_URL") or Settings.from_env().base_url).rstrip("/")
    return f"{base}/images/{quote(item.id, safe='')}"


def item_card(item: Item) -> dict[str, Any]:
    """What a widget needs to show an item: id, name, image URL and its key attributes."""
    md = item.metadata
    attributes = {label: md[key] for key, label in _CARD_FIELDS if md.get(key) not in (None, "")}
    if not attributes:
        attributes = {k: v for k, v in md.items() if isinstance(v, (str, int, float)) and len(str(v)) <= 40}
    return {
        "id": item.id,
        "name": str(md.get("name") or item.text.split(".")[0]),
        "image": image_url(item),
        "category": item.category,
        "attributes": attributes,
    }


def spoken_name(item: Item) -> str:
    """The item's name as a sentence says it aloud: "a navy slim-fit piqué polo shirt"."""
    return render.spoken_name(item, engine().index.schema)


# Quick-reply chips: the likely next critiques for a kind of item (the widget shows them under
# the card; each sends its text as the shopper's next message).
_KIND_CHIPS = (
    (("dress", "skirt"), ("shorter", "longer", "darker", "more formal")),
    (("shoe", "heel", "pump", "boot", "sandal", "sneaker", "loafer", "flat"), ("higher heel", "flatter", "darker")),
    (("trouser", "jean", "pant", "short"), ("shorter", "longer", "darker", "slimmer")),
)
_ANY_CHIPS = ("cheaper", "in black", "go back", "I'll take it")


def chips(item: Item) -> list[str]:
    """The chips for this item's kind, then the ones for any item."""
    kind = (item.category or "").lower()
    for words, kind_chips in _KIND_CHIPS:
        if any(w in kind for w in words):
            return [*kind_chips, *_ANY_CHIPS]
    return ["darker", "lighter", *_ANY_CHIPS]
