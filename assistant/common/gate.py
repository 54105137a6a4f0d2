"""Who may speak in which conversation, and in which shop: the one rule every channel applies
before a message reaches Rasa's tracker store, NLU or the actions.

A conversation id is the sender id for the deployment's default catalog (`GRADREC_INDEX`), and
`<shop>:<sender>` for a shop whose index folder is `GRADREC_SHOPS/<shop>/` (the channel's
metadata names the shop: REST `metadata.shop`, the chat widget's `customData.shop`). Sender ids
may not contain ':', so no client can reach a shop's conversation by choosing its sender id,
and one sender in two shops has two conversations (two Rasa trackers, two engine sessions).

With a secret configured (`GRADREC_JWT_SECRET`), a channel accepts a message only with a JSON
Web Token the deployment signed (HS256): its `sub` claim is the sender id (a client cannot pick
another shopper's), its optional `shop` claim the only shop it may speak in, its `exp` when
it stops being accepted (required: a token without one would be accepted forever). A shop's login mints the token server-side (`mint`, or any JWT
library with the same secret) and hands it to the page or app.

Runs in both Python environments (the Rasa server's channels, the launcher and tests): standard
library only, PyJWT imported when a token is read or minted.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from assistant.common.limits import MAX_SENDER_CHARS

SHOP_SEPARATOR = ":"
SHOP_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
JWT_ALGORITHM = "HS256"
MAX_TOKEN_TTL = 30 * 24 * 3600.0  # seconds: no token minted here lives longer than 30 days
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
ROOT = Path(__file__).resolve().parents[2]


class Refused(Exception):
    """A message the channel must not pass on: `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Admission:
    """A message let in: the conversation it belongs to and its shop (None: the default catalog)."""

    conversation_id: str
    sender: str
    shop: Optional[str]


def sender_problem(sender: Any, field: str = "sender") -> Optional[str]:
    """Why `sender` is not an acceptable sender id, or None when it is."""
    if not isinstance(sender, str):
        return f"'{field}' must be a string, not {type(sender).__name__}"
    if not 1 <= len(sender) <= MAX_SENDER_CHARS:
        return f"'{field}' must have 1 to {MAX_SENDER_CHARS} characters, not {len(sender)}"
    for i, ch in enumerate(sender):
        if unicodedata.category(ch)[0] in ("C", "Z") or ch.isspace():
            return f"'{field}' has a control, space or unassigned character at position {i}"
    if SHOP_SEPARATOR in sender:
        return f"'{field}' may not contain '{SHOP_SEPARATOR}' (it separates a shop from a sender)"
    return None


def shop_problem(shop: Any, field: str = "metadata.shop") -> Optional[str]:
    if not isinstance(shop, str):
        return f"'{field}' must be a string, not {type(shop).__name__}"
    if not SHOP_PATTERN.fullmatch(shop):
        return (f"'{field}' must be 1 to 63 characters: lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit")
    return None


MAX_ITEM_ID_CHARS = 200
KEPT_METADATA = ("shop", "item")  # what the product reads: the shop, the item the client shows


def item_problem(item: Any, field: str = "metadata.item") -> Optional[str]:
    """Why `item` is not an item id a client may say it shows, or None when it is."""
    if not isinstance(item, str):
        return f"'{field}' must be a string (the id of the item the client shows), not {type(item).__name__}"
    if not 1 <= len(item) <= MAX_ITEM_ID_CHARS:
        return f"'{field}' must have 1 to {MAX_ITEM_ID_CHARS} characters, not {len(item)}"
    if any(unicodedata.category(ch)[0] == "C" for ch in item):
        return f"'{field}' has a control or unassigned character"
    return None


def kept_metadata(metadata: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """The part of a message's metadata stored with the conversation: the shop and the item the
    client shows (both checked by `Gate.admit`), nothing else, so a client cannot fill the
    tracker store (the rest of what a client sends is not read by anything)."""
    return {key: metadata[key] for key in KEPT_METADATA if metadata and metadata.get(key) is not None}


def split(conversation_id: str) -> tuple[Optional[str], str]:
    """(shop, sender) of a conversation id; shop None for the default catalog."""
    shop, sep, sender = conversation_id.partition(SHOP_SEPARATOR)
    return (shop, sender) if sep else (None, conversation_id)


def _path(raw: str) -> Path:
    p = Path(raw).expanduser()
    return p if p.is_absolute() else ROOT / p


@dataclass(frozen=True)
class Gate:
    """The deployment's rule (see the module docstring), read from the environment."""

    shops_dir: Path
    secret: Optional[str] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Gate":
        secret = env.get("GRADREC_JWT_SECRET") or None
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"GRADREC_JWT_SECRET must have at least {MIN_SECRET_BYTES} bytes "
                             f"(it has {len(secret.encode())}); e.g. `openssl rand -hex 32`")
        return cls(_path(env.get("GRADREC_SHOPS") or "var/shops"), secret)

    def shop_index(self, shop: str) -> Path:
        """The index folder of a shop (it exists once its manifest does)."""
        return self.shops_dir / shop

    def has_shop(self, shop: str) -> bool:
        return (self.shop_index(shop) / "manifest.json").is_file()

    def claims(self, token: Any) -> dict[str, Any]:
        """The verified claims of a token, or Refused(401) saying what is wrong with it."""
        import jwt  # PyJWT: in Rasa's environment and the project's

        if not isinstance(token, str) or not token:
            raise Refused(401, "a signed token is required (REST: 'Authorization: Bearer <token>'; "
                               "chat widget: customData.token)")
        try:
            claims = jwt.decode(token, self.secret, algorithms=[JWT_ALGORITHM],
                                options={"require": ["sub", "exp"]})
        except jwt.ExpiredSignatureError:
            raise Refused(401, "the token has expired") from None
        except jwt.MissingRequiredClaimError as err:
            raise Refused(401, f"the token has no '{err.claim}' claim (a token must say when it expires)") from None
        except jwt.InvalidTokenError as err:
            raise Refused(401, f"the token is not valid ({type(err).__name__})") from None
        return claims

    def admit(self, sender: Any, metadata: Any, token: Any = None) -> Admission:
        """The conversation a message belongs to, or Refused naming what is wrong.

        `sender` may be None when a token is given (its `sub` is the sender)."""
        if metadata is not None and not isinstance(metadata, dict):
            raise Refused(400, f"'metadata' must be a JSON object, not {type(metadata).__name__}")
        shop = (metadata or {}).get("shop")
        if shop is not None:
            problem = shop_problem(shop)
            if problem:
                raise Refused(400, problem)
        item = (metadata or {}).get("item")
        if item is not None:
            problem = item_problem(item)
            if problem:
                raise Refused(400, problem)
        if self.secret:
            claims = self.claims(token)
            signed = claims["sub"]
            problem = sender_problem(signed, "sub")
            if problem:
                raise Refused(401, f"the token's {problem}")
            if sender is not None and sender != signed:
                raise Refused(403, "'sender' is not the sender the token was signed for")
            sender = signed
            signed_shop = claims.get("shop")
            if signed_shop is not None:
                problem = shop_problem(signed_shop, "shop")
                if problem:
                    raise Refused(401, f"the token's {problem}")
                if shop is not None and shop != signed_shop:
                    raise Refused(403, "'metadata.shop' is not the shop the token was signed for")
                shop = signed_shop
        problem = sender_problem(sender)
        if problem:
            raise Refused(400, problem)
        if shop is None:
            return Admission(sender, sender, None)
        if not self.has_shop(shop):
            raise Refused(404, f"no shop named '{shop}' in this deployment")
        return Admission(f"{shop}{SHOP_SEPARATOR}{sender}", sender, shop)

    def mint(self, sender: str, shop: Optional[str] = None, ttl: float = 3600.0) -> str:
        """A token for `sender` (in `shop` only, when given), valid for `ttl` seconds: what a shop's
        login hands to its page."""
        import jwt

        if not self.secret:
            raise ValueError("GRADREC_JWT_SECRET is not set: there is nothing to sign tokens with")
        if not 0 < ttl <= MAX_TOKEN_TTL:
            raise ValueError(f"a token's lifetime must be more than 0 and at most {MAX_TOKEN_TTL:g} seconds, "
                             f"not {ttl:g}")
        problem = sender_problem(sender) or (shop_problem(shop, "shop") if shop is not None else None)
        if problem:
            raise ValueError(problem)
        now = int(time.time())
        claims: dict[str, Any] = {"sub": sender, "iat": now, "exp": now + int(ttl)}
        if shop is not None:
            claims["shop"] = shop
        return str(jwt.encode(claims, self.secret, algorithm=JWT_ALGORITHM))
