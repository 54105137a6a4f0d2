"""The REST channel with its input checked before it reaches a store, a model or a log line.

Rasa's own `rest` channel passes whatever a client sends to the tracker store and NLU: a body
that is not a JSON object answers 500, a lone surrogate in the sender id makes the SQL tracker
store exit the process, a 260,000-character message holds every conversation for minutes.
`GuardedRestInput` serves the same URL (`/webhooks/rest/webhook`, the same request and reply)
and answers 400 with one line naming what is wrong for:

- a body that is not a JSON object;
- a `sender` that is not a string of 1 to `MAX_SENDER_CHARS` printable characters (letters,
  digits, punctuation; no control characters, no surrogates);
- a `message` that is not a string (a missing message is an empty one);
- `metadata` that is not a JSON object.

A message longer than `MAX_MESSAGE_CHARS` is cut to that length before NLU (a pasted essay is
not a critique); the HTTP layer refuses bodies over `REQUEST_MAX_SIZE` (Sanic's
`SANIC_REQUEST_MAX_SIZE`, set by the launcher) with 413. `input_channel` is this channel's
name, whatever the client says.

Runs inside the Rasa server (Python 3.10): imports only Rasa and Sanic. Enabled in
`credentials.yml` as `assistant.rest_channel.GuardedRestInput:`.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.limits import MAX_MESSAGE_CHARS, MAX_SENDER_CHARS

logger = logging.getLogger(__name__)


def sender_problem(sender: Any) -> Optional[str]:
    """Why `sender` is not an acceptable conversation id, or None when it is."""
    if not isinstance(sender, str):
        return f"'sender' must be a string, not {type(sender).__name__}"
    if not 1 <= len(sender) <= MAX_SENDER_CHARS:
        return f"'sender' must have 1 to {MAX_SENDER_CHARS} characters, not {len(sender)}"
    for i, ch in enumerate(sender):
        if unicodedata.category(ch)[0] in ("C", "Z") and ch != " " or ch.isspace():
            return f"'sender' has a control, space or unassigned character at position {i}"
    return None


def body_problem(body: Any) -> Optional[str]:
    """Why a webhook body is refused, or None when it is acceptable."""
    if not isinstance(body, dict):
        return f"the body must be a JSON object, not {type(body).__name__}"
    problem = sender_problem(body.get("sender"))
    if problem:
        return problem
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        return f"'message' must be a string, not {type(message).__name__}"
    if isinstance(message, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in message):
        return "'message' has a lone surrogate (not valid Unicode text)"
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return f"'metadata' must be a JSON object, not {type(metadata).__name__}"
    return None


def _bad(problem: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": problem}, status=status)


class GuardedRestInput(RestInput):
    """Rasa's REST channel, input checked first (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return req.json.get("sender")

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
            problem = body_problem(body)
            if problem:
                logger.info("rest: refused a request: %s", problem)
                return _bad(problem)
            return None

        return bp

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = request.json.get("metadata")
        return metadata if isinstance(metadata, dict) else None
