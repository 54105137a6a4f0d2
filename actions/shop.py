"""The action server's engines, one per shop: each opened lazily on its shop's first action.

Actions never touch FAISS or SQL themselves: they call this engine's methods.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from sqlalchemy.engine import make_url

from gradrec_core import Engine, GradrecError, Item
from gradrec_core.critique import render

from assistant.gate import Gate, shop_problem, split
from assistant.settings import Settings

log = logging.getLogger("actions")

_engines: dict[str | None, tuple[Engine, float]] = {}  # shop (None: the default catalog) -> engine, manifest time
_lock = threading.Lock()
_shop: ContextVar[str | None] = ContextVar("gradrec_shop", default=None)


class UnknownShopError(GradrecError):
    """The conversation names a shop this deployment has no index for."""


@contextmanager
def conversation(sender_id: str) -> Iterator[str | None]:
    """Within it, `engine()` and `image_url()` are those of the conversation's shop (the part of
    its id before ':', set by the channel; see assistant/gate.py). Every action runs in one."""
    shop, _ = split(sender_id)
    token = _shop.set(shop)
    try:
        yield shop
    finally:
        _shop.reset(token)


def _index_dir(shop: str | None) -> Path:
    settings = Settings.from_env()
    if shop is None:
        return settings.index_dir
    gate = Gate(settings.shops_dir)
    if shop_problem(shop, "shop") or not gate.has_shop(shop):
        raise UnknownShopError(f"this shop ({shop}) has no catalog here")
    return gate.shop_index(shop)


def engine() -> Engine:
    """The engine of the current conversation's shop (`conversation`), opened once, lazily, and
    again when the shop's index is rebuilt (its manifest changes); all shops share one session
    store (sessions are keyed by conversation id, which names the shop)."""
    shop = _shop.get()
    folder = _index_dir(shop)
    stamp = (folder / "manifest.json").stat().st_mtime if (folder / "manifest.json").exists() else 0.0
    with _lock:
        found = _engines.get(shop)
        if found is None or found[1] != stamp:
            settings = Settings.from_env()
            log.info("opening the index of %s (%s) with sessions in %s", shop or "the default catalog",
                     folder, make_url(settings.db_url).render_as_string(hide_password=True))
            opened = Engine.open(folder, settings.db_url)
            opened.encoder.dim  # load the encoder now, not on the first shopper's turn
            found = _engines[shop] = (opened, stamp)
        return found[0]


def reset_engine() -> None:
    """Forget the engines (tests point the settings elsewhere between cases)."""
    with _lock:
        _engines.clear()


# Metadata worth showing on a card, in order, with the label a shopper reads.
_CARD_FIELDS = (
    ("color_name", "colour"), ("kind", "kind"), ("length_name", "length"),
    ("sleeve_name", "sleeves"), ("heel_cm", "heel (cm)"), ("fit", "fit"),
    ("material", "material"), ("pattern", "pattern"), ("formality_name", "style"),
    ("price", "price"),
)


def image_url(item: Item) -> str | None:
    """The item's image over HTTP: the Rasa server's web channel serves GET /images/<id> (a shop's:
    /images/<shop>/<id>), resolving the id through the index (assistant/web_channel.py). Never a
    server path."""
    if not item.image:
        return None
    base = (os.environ.get("GRADREC_PUBLIC_URL") or Settings.from_env().base_url).rstrip("/")
    shop = _shop.get()
    folder = f"{shop}/" if shop else ""
    return f"{base}/images/{folder}{quote(item.id, safe='')}"


def item_card(item: Item) -> dict[str, Any]:
    """What a widget needs to show an item: id, name, image URL and its key attributes."""
    md = item.metadata
    attributes = {label: md[key] for key, label in _CARD_FIELDS if md.get(key) not in (None, "")}
    if not attributes:
        attributes = {k: v for k, v in md.items() if isinstance(v, (str, int, float)) and len(str(v)) <= 40}
    return {
        "id": item.id,
        "name": render.display_name(item, engine().index.schema),
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
    """The chips for this item's kind, then the ones for any item ("cheaper" only where the
    shop's catalog has prices)."""
    kind = (item.category or "").lower()
    any_chips = [c for c in _ANY_CHIPS if c != "cheaper" or engine().index.schema.price is not None]
    for words, kind_chips in _KIND_CHIPS:
        if any(w in kind for w in words):
            return [*kind_chips, *any_chips]
    return ["darker", "lighter", *any_chips]
