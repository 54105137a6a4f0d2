"""The voice channel: Rasa 3.6's Twilio Voice channel, with Twilio's request signature checked.

Named in credentials.yml (instead of `twilio_voice:`) and imported by `rasa run` (Python 3.10,
Rasa's venv). Same name (`twilio_voice`), settings and webhook (POST
/webhooks/twilio_voice/webhook, answered with TwiML); the actions tell voice by that name.

With GRADREC_TWILIO_AUTH_TOKEN set (the Twilio account's auth token, from the environment
only), a webhook call whose `X-Twilio-Signature` header is missing or does not match gets 403
and reaches neither NLU nor the tracker store. Twilio signs the URL it called (GRADREC_PUBLIC_URL,
the address Twilio reaches the server at, plus the path and query) followed by every POST field,
sorted by name, as name + value: HMAC-SHA1 with the auth token, base64
(https://www.twilio.com/docs/usage/security#validating-requests); the check is the `twilio`
package's `RequestValidator` (a Rasa dependency), which compares in constant time. Without the
token the channel behaves as Rasa's own (anyone who can reach the webhook can speak as any
caller), and the server logs a warning saying so; but a deployment that requires signed senders
(GRADREC_JWT_SECRET, assistant/common/gate.py) refuses every webhook call (403) without the token, since
an unsigned caller id would let anyone speak in any shopper's conversation.

The caller id (`From`, the conversation id) is checked as every channel checks a sender id
(`assistant.common.gate.sender_problem`: 1 to 128 printable characters, no ':', so no caller reaches a
shop's conversation): 400 otherwise.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio_voice import TwilioVoiceInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.common.gate import Gate, sender_problem

log = logging.getLogger(__name__)

TOKEN_ENV = "GRADREC_TWILIO_AUTH_TOKEN"
PUBLIC_URL_ENV = "GRADREC_PUBLIC_URL"
SIGNATURE_HEADER = "X-Twilio-Signature"


def signed_url(request: Request, public_url: Optional[str]) -> str:
    """The URL Twilio called and signed: the public base (a proxy's https://...) plus the path
    and query the server saw; without a public base, the URL as this server sees it."""
    if not public_url:
        return str(request.url)
    query = f"?{request.query_string}" if request.query_string else ""
    return public_url.rstrip("/") + request.path + query


class SignedTwilioVoiceInput(TwilioVoiceInput):
    """Rasa's `twilio_voice` channel, refusing (403) webhook calls not signed by Twilio when
    GRADREC_TWILIO_AUTH_TOKEN is set (see the module's docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "twilio_voice"  # the webhook path and the channel the actions answer by voice

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = super().blueprint(on_new_message)
        token = os.environ.get(TOKEN_ENV) or ""
        public_url = os.environ.get(PUBLIC_URL_ENV) or ""
        validator = None
        if token:
            from twilio.request_validator import RequestValidator

            validator = RequestValidator(token)
            if not public_url:
                log.warning("%s is not set: Twilio signatures are checked against the URL this server sees, "
                            "which differs from the one Twilio called behind a proxy", PUBLIC_URL_ENV)
            log.info("Twilio request signatures are checked (URL base %s)", public_url or "as received")
        elif Gate.from_env().secret:
            log.warning("GRADREC_JWT_SECRET is set but %s is not: the voice channel refuses every call "
                        "(an unsigned caller id could speak in any shopper's conversation)", TOKEN_ENV)
        else:
            log.warning("%s is not set: Twilio request signatures are not checked, so anyone who can reach "
                        "/webhooks/twilio_voice/webhook can speak as any caller", TOKEN_ENV)
        closed = not token and Gate.from_env().secret is not None

        @bp.middleware("request")
        async def check(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None  # GET / (the channel's health check) carries nothing to sign
            if closed:
                log.warning("twilio_voice: refused a webhook call: signed senders are required and %s is "
                            "not set", TOKEN_ENV)
                return response.text(f"the voice channel needs {TOKEN_ENV} in a deployment that requires "
                                     "signed senders\n", status=403)
            if validator is not None:
                signature = request.headers.get(SIGNATURE_HEADER) or ""
                url = signed_url(request, public_url)
                if not (signature and validator.validate(url, request.form or {}, signature)):
                    log.warning("twilio_voice: refused a webhook call with %s Twilio signature (from %s)",
                                "an invalid" if signature else "no", request.remote_addr or request.ip)
                    return response.text("invalid or missing Twilio signature\n", status=403)
            problem = sender_problem((request.form or {}).get("From"), "From")
            if problem:
                log.info("twilio_voice: refused a webhook call: %s", problem)
                return response.text(problem + "\n", status=400)
            return None

        return bp
