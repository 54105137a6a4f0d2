"""The action server's one engine: opened lazily on the first action, shared by all of them.

Actions never touch FAISS or SQL themselves: they call this engine's methods.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

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


def item_card(item: Item) -> dict[str, Any]:
    """What a widget needs to show an item: id, name, image and its key attributes."""
    md = item.metadata
    attributes = {label: md[key] for key, label in _CARD_FIELDS if md.get(key) not in (None, "")}
    if not attributes:
        attributes = {k: v for k, v in md.items() if isinstance(v, (str, int, float)) and len(str(v)) <= 40}
    return {
        "id": item.id,
        "name": str(md.get("name") or item.text.split(".")[0]),
        "image": item.image,
        "category": item.category,
        "attributes": attributes,
    }


def spoken_name(item: Item) -> str:
    """The item's name as a sentence says it aloud: "a navy slim-fit piqué polo shirt"."""
    return render.spoken_name(item, engine().index.schema)
