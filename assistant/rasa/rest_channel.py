"""The REST channel with its input checked before it reaches a store, a model or a log line.

Rasa's own `rest` channel passes whatever a client sends to the tracker store and NLU: a body
that is not a JSON object answers 500, a lone surrogate in the sender id makes the SQL tracker
store exit the process, a 260,000-character message holds every conversation for minutes.
`GuardedRestInput` serves the same URL (`/webhooks/rest/webhook`, the same request and reply)
and answers 400 with one line naming what is wrong for:

- a body that is not a JSON object;
- a `sender` that is not a string of 1 to `MAX_SENDER_CHARS` printable characters (letters,
  digits, punctuation; no control characters, no surrogates, no ':');
- a `message` that is not a string (a missing message is an empty one);
- a body nested too deeply to parse (Python's recursion limit);
- `metadata` that is not a JSON object, whose `shop` is not a shop name, or whose `item` (the
  id of the item the client shows, see `actions/actions.py`) is not an id.

Only `metadata.shop` and `metadata.item` are passed on (and stored with the conversation): the
rest of the metadata is read by nothing.

Then `assistant.common.gate.Gate` decides the conversation: `<shop>:<sender>` when `metadata.shop`
names a shop of this deployment (404 for an unknown one), the sender alone otherwise; with
`GRADREC_JWT_SECRET` set, only with `Authorization: Bearer <token>` signed for that sender (401
without or with a bad token, 403 when `sender` or the shop is not the signed one; `sender` may
then be left out). The reply's `recipient_id` is the conversation id.

A message longer than `MAX_MESSAGE_CHARS` is cut to that length before NLU (a pasted essay is
not a critique); the HTTP layer refuses bodies over `REQUEST_MAX_SIZE` (Sanic's
`SANIC_REQUEST_MAX_SIZE`, set by the launcher) with 413. `input_channel` is this channel's
name, whatever the client says.

Runs inside the Rasa server (Python 3.10): imports only Rasa and Sanic. Enabled in
`credentials.yml` as `assistant.rasa.rest_channel.GuardedRestInput:`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.common.gate import Gate, Refused, kept_metadata
from assistant.common.limits import MAX_MESSAGE_CHARS

logger = logging.getLogger(__name__)


def body_problem(body: Any) -> Optional[str]:
    """Why a webhook body is refused before its sender and shop are checked, or None."""
    if not isinstance(body, dict):
        return f"the body must be a JSON object, not {type(body).__name__}"
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        return f"'message' must be a string, not {type(message).__name__}"
    if isinstance(message, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in message):
        return "'message' has a lone surrogate (not valid Unicode text)"
    return None


def bearer(request: Request) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _bad(problem: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": problem}, status=status)


class GuardedRestInput(RestInput):
    """Rasa's REST channel, input checked first (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.gate = Gate.from_env()

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return req.ctx.admission.conversation_id  # set by the check below

    def _extract_message(self, req: Request) -> Optional[Text]:
        return (req.json.get("message") or "")[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def check(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError) as err:
                logger.info("rest: refused a body that is not JSON (%s)", type(err).__name__)
                return _bad("the body is not valid JSON")
            except RecursionError:
                logger.info("rest: refused a body nested too deeply")
                return _bad("the body is nested too deeply to be a message")
            problem = body_problem(body)
            if problem:
                logger.info("rest: refused a request: %s", problem)
                return _bad(problem)
            try:
                request.ctx.admission = self.gate.admit(body.get("sender"), body.get("metadata"),
                                                        bearer(request))
            except Refused as refused:
                logger.info("rest: refused a request (%d): %s", refused.status, refused.reason)
                return _bad(refused.reason, refused.status)
            return None

        return bp

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = request.json.get("metadata")
        return kept_metadata(metadata) if isinstance(metadata, dict) else None
