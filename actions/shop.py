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
from gradrec_core.critique import render, suggest
from gradrec_core.index import manifest_stamp, read_manifest

from assistant.common.gate import Gate, shop_problem, split
from assistant.settings import Settings

log = logging.getLogger("actions")

# shop (None: the default catalog) -> engine, the manifest's stamp when it was opened
_engines: dict[str | None, tuple[Engine, tuple[int, int] | None]] = {}
_loading: dict[str | None, threading.Lock] = {}
_lock = threading.Lock()
_shop: ContextVar[str | None] = ContextVar("gradrec_shop", default=None)


class UnknownShopError(GradrecError):
    """The conversation names a shop this deployment has no index for."""


@contextmanager
def conversation(sender_id: str) -> Iterator[str | None]:
    """Within it, `engine()` and `image_url()` are those of the conversation's shop (the part of
    its id before ':', set by the channel; see assistant/common/gate.py). Every action runs in one."""
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
    again when a new version of the shop's index is published (`gradrec index` replaces its
    manifest atomically: a new inode). Walks go on across versions: sessions name items by id.
    All shops share one session store (sessions are keyed by conversation id, which names the
    shop). A version that fails to load is logged and the one already open goes on serving."""
    shop = _shop.get()
    folder = _index_dir(shop)
    stamp = manifest_stamp(folder)
    with _lock:
        found = _engines.get(shop)
        loading = _loading.setdefault(shop, threading.Lock())
    if found is not None and found[1] == stamp:
        return found[0]
    with loading:  # one load per shop at a time; other shops are not held up
        with _lock:
            found = _engines.get(shop)
        if found is not None and found[1] == stamp:
            return found[0]
        version = _version(folder)
        if found is not None and version != "unversioned" and version == found[0].index.manifest.get("version"):
            with _lock:  # the manifest was rewritten (touched), not a new version: nothing to load
                _engines[shop] = (found[0], stamp)
            return found[0]
        settings = Settings.from_env()
        log.info("opening the index of %s (%s, version %s) with sessions in %s", shop or "the default catalog",
                 folder, version, make_url(settings.db_url).render_as_string(hide_password=True))
        try:
            opened = found[0].reopened(folder) if found else Engine.open(folder, settings.db_url)
            opened.encoder.dim  # load the encoder now, not on the first shopper's turn
        except GradrecError:
            if found is None:
                raise
            log.exception("the new version of %s's index did not load; still serving the previous one",
                          shop or "the default catalog")
            with _lock:
                _engines[shop] = (found[0], stamp)  # not retried on every turn; the next update is
            return found[0]
        with _lock:
            _engines[shop] = (opened, stamp)
        return opened


def _version(folder: Path) -> str:
    manifest = read_manifest(folder) or {}
    return str(manifest.get("version") or "unversioned")


def reset_engine() -> None:
    """Forget the engines (tests point the settings elsewhere between cases)."""
    with _lock:
        _engines.clear()


def currency() -> str:
    """The shop's currency (GRADREC_CURRENCY), for every price a reply writes or says."""
    return Settings.from_env().currency


def image_url(item: Item) -> str | None:
    """The item's image over HTTP: the Rasa server's web channel serves GET /images/<id> (a shop's:
    /images/<shop>/<id>), resolving the id through the index (assistant/rasa/web_channel.py). Never a
    server path."""
    if not item.image:
        return None
    base = (os.environ.get("GRADREC_PUBLIC_URL") or Settings.from_env().base_url).rstrip("/")
    shop = _shop.get()
    folder = f"{shop}/" if shop else ""
    return f"{base}/images/{folder}{quote(item.id, safe='')}"


def item_card(item: Item) -> dict[str, Any]:
    """What a widget needs to show an item: id, name, image URL and its attributes, each
    labelled by its column (`render.card_attributes`: any shop's schema), the price in the
    shop's currency."""
    schema = engine().index.schema
    return {
        "id": item.id,
        "name": render.display_name(item, schema),
        "image": image_url(item),
        "category": item.category,
        "attributes": render.card_attributes(item, schema, currency()),
    }


def spoken_name(item: Item) -> str:
    """The item's name as a sentence says it aloud: "a navy slim-fit piqué polo shirt"."""
    return render.spoken_name(item, engine().index.schema)


def chips(sender_id: str) -> list[str]:
    """Quick-reply chips for the conversation's current item, from what the item and the
    catalog allow (`suggest.suggestions`); with no item yet, a few searches to start with."""
    eng = engine()
    state = eng.state(sender_id)
    if state is None or state.current is None:
        return suggest.greeting_examples(eng)
    return suggest.suggestions(eng, state)
