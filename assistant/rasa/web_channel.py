"""The web chat, served by the Rasa server itself (same origin as its socket.io): two Rasa custom
channels, named in credentials.yml and imported by `rasa run` (Python 3.10, Rasa's venv; this
module imports nothing from the engine).

`WebPageChannel` adds routes at the server's root:

    GET /chat               the chat page (web/chat.html), embedding the rasa-webchat widget
    GET /chat/chat.js       the page's script (web/chat.js): starts the widget, keyboard and alt fixes
    GET /chat/webchat.js    rasa-webchat 1.0.1's bundle, from web/node_modules (`npm ci`, `make setup`)
    GET /images/<item_id>   an item's image: the id is looked up in the index (GRADREC_INDEX,
                            its id and image columns); no client-supplied path is ever opened
    GET /images/<shop>/<item_id>   the same in a shop's index (GRADREC_SHOPS/<shop>)

`WebChatInput` is Rasa's socket.io channel (same settings, same name, same /socket.io path) with
a fix (its session_request handler awaits python-socketio 5's `enter_room`, else no reply reaches
a persistent session), its input checked and its conversations decided by `assistant.common.gate` (the
shop in `customData.shop`, a signed sender in `customData.token`), and one change in what it
sends: an item reply (the actions' `gradrec_item` JSON) becomes a product card (a one-element
carousel: image, name, price, key attributes, the step) followed by the sentence with quick-reply
chips, which the widget shows under its last message only; several items (one per colour,
"another one" alternatives, the closest items) become a carousel with a button per card.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import mimetypes
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import numpy as np

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.common.gate import Gate, Refused, kept_metadata, shop_problem
from assistant.common.limits import MAX_MESSAGE_CHARS, REQUEST_MAX_SIZE

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
BUNDLE = WEB / "node_modules" / "rasa-webchat" / "lib" / "index.js"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif"}
MAX_ID = 200

# What the page may load: only this origin (the bundle injects <style> elements and sets inline
# styles, hence 'unsafe-inline' for styles only). Nothing is fetched from anywhere else.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'self'; form-action 'none'")
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}

# Two edits to the served copy of the bundle (the file in node_modules is left as installed):
# its CSS @imports the Inter font from Google at run time (nothing may be fetched from elsewhere),
# and one fallback evaluates a string ("return this"), which the page's CSP refuses.
BUNDLE_EDITS = (
    ("@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);", ""),
    ('new Function("return this")()', "globalThis"),
)


def index_dir() -> Path:
    raw = Path(os.environ.get("GRADREC_INDEX", "var/index/sample")).expanduser()
    return raw if raw.is_absolute() else ROOT / raw


class ImageIndex:
    """item id -> image file, read from the index version its manifest names
    (again when a new version is published: the manifest is replaced)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._paths: Dict[str, str] = {}
        self._stamp: Optional[tuple] = None
        self._lock = threading.Lock()

    def path(self, item_id: str) -> Optional[Path]:
        manifest = self.folder / "manifest.json"
        try:
            stat = manifest.stat()
        except OSError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:
                try:
                    version = json.loads(manifest.read_text(encoding="utf-8")).get("version") or ""
                    paths = _image_paths(self.folder / version)
                except (OSError, ValueError, KeyError):
                    return None  # being replaced: the next request reads the new version
                self._paths, self._stamp = paths, stamp
            found = self._paths.get(item_id)
        return Path(found) if found else None


def _image_paths(folder: Path) -> Dict[str, str]:
    """item id -> image of an index version: its id and image columns (gradrec_core/columns.py's
    layout: int32 codes per row into a table of UTF-8 values), or items.jsonl (index format 1)."""
    columns = folder / "columns"
    if not (columns / "columns.json").is_file():
        paths = {}
        with open(folder / "items.jsonl", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    if row.get("image"):
                        paths[str(row["id"])] = str(row["image"])
        return paths
    fields = json.loads((columns / "columns.json").read_text(encoding="utf-8"))["fields"]

    def read(field: str) -> Callable[[int], str]:
        name = fields[field]["file"]
        offsets = np.load(columns / f"{name}.offsets.npy")
        blob = (columns / f"{name}.values.bin").read_bytes()
        as_json = bool(fields[field]["json"])

        def value(code: int) -> str:
            text = blob[int(offsets[code]):int(offsets[code + 1])].decode("utf-8")
            return str(json.loads(text)) if as_json else text
        return value

    image_codes = np.load(columns / f"{fields['image']['file']}.codes.npy", mmap_mode="r")
    id_codes = np.load(columns / f"{fields['id']['file']}.codes.npy", mmap_mode="r")
    rows = np.flatnonzero(image_codes >= 0)
    if not len(rows):
        return {}
    item_id, image = read("id"), read("image")
    return {item_id(int(id_codes[r])): image(int(image_codes[r])) for r in rows}


_images: Dict[Optional[str], ImageIndex] = {}
_bundle: Optional[bytes] = None


def images(shop: Optional[str] = None) -> Optional[ImageIndex]:
    """The image index of the default catalog, or of a shop of this deployment (None: no such shop)."""
    found = _images.get(shop)
    if found is None:
        if shop is None:
            found = ImageIndex(index_dir())
        else:
            gate = Gate.from_env()
            if shop_problem(shop) or not gate.has_shop(shop):
                return None
            found = ImageIndex(gate.shop_index(shop))
        _images[shop] = found
    return found


def bundle() -> Optional[bytes]:
    """The widget's bundle with BUNDLE_EDITS applied (None when `npm ci` has not run)."""
    global _bundle
    if _bundle is None:
        try:
            text = BUNDLE.read_text(encoding="utf-8")
        except OSError:
            return None
        for old, new in BUNDLE_EDITS:
            text = text.replace(old, new)
        _bundle = text.encode("utf-8")
    return _bundle


class RootBlueprint(Blueprint):
    """A blueprint whose routes stay at the server's root (Rasa mounts channels at /webhooks/<name>)."""

    def register(self, app: Any, options: Dict[str, Any]) -> None:
        super().register(app, {**options, "url_prefix": None})


class WebPageChannel(InputChannel):
    """The chat page, its scripts and the item images (see the module's docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = RootBlueprint("gradrec_web_page", __name__)

        @bp.route("/chat", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            return await _file(WEB / "chat.html", "text/html; charset=utf-8", {"Content-Security-Policy": CSP})

        @bp.route("/chat/chat.js", methods=["GET"])
        async def script(_: Request) -> HTTPResponse:
            return await _file(WEB / "chat.js", "text/javascript; charset=utf-8")

        @bp.route("/chat/webchat.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            body = bundle()
            if body is None:
                return response.text("the chat widget is not installed: run `make setup`\n", status=503)
            return response.raw(body, content_type="text/javascript; charset=utf-8",
                                headers={**HEADERS, "Cache-Control": "public, max-age=3600"})

        @bp.route("/images/<item_id>", methods=["GET"])
        async def image(_: Request, item_id: str) -> HTTPResponse:
            return await _image(None, item_id)

        @bp.route("/images/<shop>/<item_id>", methods=["GET"])
        async def shop_image(_: Request, shop: str, item_id: str) -> HTTPResponse:
            return await _image(shop, item_id)

        return bp


async def _image(shop: Optional[str], item_id: str) -> HTTPResponse:
    """An item's image, the id looked up in the (shop's) index: never a client-supplied path."""
    index = images(shop)
    path = index.path(item_id) if index is not None and 0 < len(item_id) <= MAX_ID else None
    kind = IMAGE_TYPES.get(path.suffix.lower()) if path else None
    if path is None or kind is None or not path.is_file():
        return response.text("no such image\n", status=404, headers=HEADERS)
    return await response.file(str(path), mime_type=kind,
                               headers={**HEADERS, "Cache-Control": "public, max-age=86400"})


async def _file(path: Path, content_type: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    try:
        body = path.read_bytes()
    except OSError:
        return response.text("not found\n", status=404)
    return response.raw(body, content_type=content_type, headers={**HEADERS, "Cache-Control": "no-cache",
                                                                     **(headers or {})})


def _subtitle(card: Dict[str, Any], step: Dict[str, Any], label: str = "") -> str:
    """The card's second line: what the card stands for in a carousel ("in red"), price, key
    attributes, the step, a note when the match is loose."""
    attrs = dict(card.get("attributes") or {})
    parts = [label] if label else []
    if attrs.get("price") not in (None, ""):
        parts.append(str(attrs.pop("price")))  # in the shop's currency: "$29.99"
    parts += [f"{k}: {v}" for k, v in list(attrs.items())[:4]]  # labelled: "heel (cm): 2.7", "sleeve: long"
    phrase, number = step.get("phrase"), step.get("step_number")
    if step.get("undo"):
        parts.append(f"back to step {number}")
    elif step.get("picked") and number:
        parts.append(f"picked, step {number}")
    elif phrase and number:
        parts.append(f"{phrase}, step {number}")
    if step.get("end_reached"):
        parts.append("as far as it goes")
    elif step.get("low_confidence"):
        parts.append("a loose match")
    return " · ".join(parts)


def card_element(card: Dict[str, Any], step: Optional[Dict[str, Any]] = None, label: str = "") -> Dict[str, Any]:
    """An item card as a carousel element (the widget renders its title, subtitle and image).
    A card the shopper may pick (the actions' `pick`: a title and the message it sends, e.g.
    `/another{"item_id": "polo-0005"}`) gets a postback button: the widget sends the payload
    and shows the title as the shopper's message."""
    element: Dict[str, Any] = {"title": str(card.get("name") or card.get("id")),
                               "subtitle": _subtitle(card, step or {}, label), "buttons": []}
    if card.get("image"):
        element["image_url"] = card["image"]
    pick = card.get("pick")
    if isinstance(pick, dict) and isinstance(pick.get("payload"), str) and pick["payload"].startswith("/"):
        element["buttons"].append({"type": "postback", "title": str(pick.get("title") or "Pick this one"),
                                   "payload": pick["payload"]})
    return element


def carousel_elements(step: Dict[str, Any]) -> list:
    """The cards a reply offers side by side, from the actions' step payload: one per value
    ("what colours does it come in?": `examples`), the alternatives to pick from ("another
    one": `choices`), or the closest items when nothing fits (`alternatives`)."""
    examples = [e for e in step.get("examples") or [] if isinstance(e, dict) and isinstance(e.get("item"), dict)]
    if examples:
        return [card_element(e["item"], label=f"in {e.get('value')}") for e in examples]
    for key in ("choices", "alternatives"):
        cards = [c for c in step.get(key) or [] if isinstance(c, dict)]
        if cards:
            return [card_element(c) for c in cards]
    return []


def carousel(elements: list) -> Dict[str, Any]:
    return {"attachment": {"type": "template", "payload": {"template_type": "generic", "elements": elements}}}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#!|~])")


def plain(text: str) -> str:
    """Bot text as the widget should show it: literally. The widget renders bot messages as
    markdown, with links of any scheme (`[x](javascript:...)`); no reply is meant to quote what
    the shopper typed, and should one ever do, every markdown character is escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


class CardOutput(SocketIOOutput):
    """Rasa's socket.io output, with the actions' item JSON shown as cards, and text shown as
    written (never as markdown or HTML)."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, plain(text), **kwargs)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: Any, **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, plain(text), buttons, **kwargs)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        custom = message.get("custom") or {}
        if not isinstance(custom, dict) or not str(custom.get("type", "")).startswith("gradrec_"):
            await super().send_response(recipient_id, message)
            return
        step = custom.get("step") or {}
        several = carousel_elements(step)  # one per value, alternatives to pick, the closest ones
        if custom.get("type") in ("gradrec_item", "gradrec_chosen") and custom.get("item"):
            # `gradrec_item`: the id of the item the card shows, which the page sends back with
            # the next message (customData.item) so that the turn starts from what the shopper saw
            await self._send_message(recipient_id, {**carousel([card_element(custom["item"], step)]),
                                                    "gradrec_item": str(custom["item"].get("id") or "")})
        elif several:
            await self._send_message(recipient_id, carousel(several))
        text, buttons = message.get("text"), message.get("buttons")
        if text and buttons:
            await self.send_text_with_buttons(recipient_id, text, buttons)
        elif text:
            await self.send_text_message(recipient_id, text)


CORS_ENV = "GRADREC_CORS_ORIGINS"
SESSION_SECRET_ENV = "GRADREC_SESSION_SECRET"


def allowed_origins(env: Dict[str, str] = os.environ) -> Callable[..., bool]:  # type: ignore[assignment]
    """engine.io's Origin check for the socket: the server's own origin (the /chat page's; behind
    a proxy, the forwarded one) and those in GRADREC_CORS_ORIGINS (`*`: any). Rasa passes
    cors_allowed_origins=[], which turns the check off."""
    configured = {o.strip() for o in (env.get(CORS_ENV) or "").split(",") if o.strip()}

    def allowed(origin: Optional[str], environ: Optional[Dict[str, Any]] = None) -> bool:
        if not origin or "*" in configured or origin in configured:
            return True
        environ = environ or {}
        scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST")
        own = {f"{scheme}://{host}"} if host else set()
        if environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_X_FORWARDED_PROTO"):
            forwarded_scheme = str(environ.get("HTTP_X_FORWARDED_PROTO") or scheme).split(",")[0].strip()
            forwarded_host = str(environ.get("HTTP_X_FORWARDED_HOST") or host).split(",")[0].strip()
            own.add(f"{forwarded_scheme}://{forwarded_host}")
        return origin in own

    return allowed


class SessionIds:
    """Session ids this server hands out: 128 random bits and their HMAC under a key only the
    servers know (GRADREC_SESSION_SECRET, which the launcher sets, else GRADREC_JWT_SECRET, else a
    random key of this process), so none can be guessed or made up, and a page reloaded (the
    widget sends the id it kept) continues its conversation."""

    def __init__(self, key: Optional[str] = None) -> None:
        raw = key or os.environ.get(SESSION_SECRET_ENV) or os.environ.get("GRADREC_JWT_SECRET")
        self.key = raw.encode() if raw else secrets.token_bytes(32)

    def _mac(self, nonce: str) -> str:
        return hmac.new(self.key, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> str:
        nonce = secrets.token_hex(16)
        return f"{nonce}{self._mac(nonce)}"

    def valid(self, session_id: Any) -> bool:
        if not isinstance(session_id, str) or len(session_id) != 64:
            return False
        return hmac.compare_digest(self._mac(session_id[:32]), session_id[32:])


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel (same name, settings and path) sending item replies as cards, its
    input checked, its conversations decided by the gate (shop, signed sender)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # rasa-webchat sends its `customData` with every message: that is the metadata
        return super().from_credentials({"metadata_key": "customData", **(credentials or {})})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate.from_env()
        self.session_ids = SessionIds()
        self.sessions: Dict[str, str] = {}  # socket id -> the session id confirmed to it

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        out = super().get_output_channel()
        return CardOutput(out.sio, out.bot_message_evt) if out is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_cards(message: UserMessage) -> None:
            plain = message.output_channel
            if isinstance(plain, SocketIOOutput) and not isinstance(plain, CardOutput):
                message.output_channel = CardOutput(plain.sio, plain.bot_message_evt)
            await on_new_message(message)

        bp = super().blueprint(with_cards)
        sio = self.sio
        assert sio is not None
        # Rasa creates the server with cors_allowed_origins=[], which turns engine.io's Origin
        # check off: any web page could open a socket here with its visitor's browser
        sio.eio.cors_allowed_origins = allowed_origins()
        # ...while the CORS headers stay Rasa's (`--cors`, from the same setting): two
        # Access-Control-Allow-Origin headers make a browser refuse the answer
        sio.eio._cors_headers = lambda environ: []

        # Rasa 3.6 calls `sio.enter_room` without awaiting it; python-socketio >= 5.10 made it a
        # coroutine, so with session_persistence the socket never joined its session's room and
        # no reply reached the browser. The same handler, awaiting it.
        namespace = self.namespace or "/"

        async def enter(sid: Text, room: Text) -> None:
            joined = sio.enter_room(sid, room, namespace=namespace)
            if inspect.isawaitable(joined):
                await joined

        # A session id is one this server made (SessionIds), confirmed to one socket: a socket
        # asking for an id it did not get from here gets a new one, and a message naming another
        # session than its socket's is refused. With a secret (GRADREC_JWT_SECRET) a socket joins
        # no room it asks for: only the room of the conversation its token was signed for, on its
        # first message.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = asked if self.session_ids.valid(asked) else self.session_ids.new()
            self.sessions[sid] = session_id
            if self.session_persistence and not self.gate.secret:
                await enter(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text, *_: Any) -> None:
            self.sessions.pop(sid, None)

        # Rasa's handler, with the input checked and the conversation decided by the gate
        # (assistant/common/gate.py): a refused message gets one line back saying why, nothing else.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            try:
                text, sender, metadata, token = self._read(sid, data)
                admission = self.gate.admit(sender, metadata, token)
            except Refused as refused:
                log.info("socketio: refused a message (%d): %s", refused.status, refused.reason)
                await sio.emit(self.bot_message_evt, {"text": f"Sorry, I can't take that message: "
                                                      f"{refused.reason}."}, room=sid)
                return
            if self.session_persistence or admission.conversation_id != sid:
                await enter(sid, admission.conversation_id)
            await with_cards(UserMessage(text, CardOutput(sio, self.bot_message_evt),
                                         admission.conversation_id, input_channel=self.name(),
                                         metadata=kept_metadata(metadata)))

        return bp

    def _read(self, sid: Text, data: Any) -> tuple:
        """(text, sender, metadata, token) of a user_uttered event, or Refused(400) naming the field.
        The token is taken out of the metadata (it is not stored with the conversation)."""
        if not isinstance(data, dict):
            raise Refused(400, f"the event must be an object, not {type(data).__name__}")
        try:
            size = len(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        except (TypeError, ValueError, RecursionError):
            raise Refused(400, "the event is not a JSON object") from None
        if size > REQUEST_MAX_SIZE:
            raise Refused(413, f"the event has {size} bytes; at most {REQUEST_MAX_SIZE} are taken")
        text = data.get("message")
        if text is not None and not isinstance(text, str):
            raise Refused(400, f"'message' must be a string, not {type(text).__name__}")
        text = (text or "")[:MAX_MESSAGE_CHARS]
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise Refused(400, "'message' has a lone surrogate (not valid Unicode text)")
        metadata = data.get(self.metadata_key)
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                raise Refused(400, f"'{self.metadata_key}' is not valid JSON") from None
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise Refused(400, f"'{self.metadata_key}' must be an object, not {type(metadata).__name__}")
        metadata = dict(metadata)
        token = metadata.pop("token", None)
        if self.gate.secret:
            sender = None  # the token's subject
        elif self.session_persistence:
            sender = self.sessions.get(sid)
            if sender is None:
                raise Refused(400, "this socket has no session: send a session_request first")
            if data.get("session_id") not in (None, sender):
                raise Refused(403, "'session_id' is not the session this socket was given")
        else:
            sender = sid
        return text, sender, metadata, token
