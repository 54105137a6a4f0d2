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
caller), and the server logs a warning saying so.
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
        if not token:
            log.warning("%s is not set: Twilio request signatures are not checked, so anyone who can reach "
                        "/webhooks/twilio_voice/webhook can speak as any caller", TOKEN_ENV)
            return bp
        from twilio.request_validator import RequestValidator

        validator = RequestValidator(token)
        if not public_url:
            log.warning("%s is not set: Twilio signatures are checked against the URL this server sees, "
                        "which differs from the one Twilio called behind a proxy", PUBLIC_URL_ENV)
        log.info("Twilio request signatures are checked (URL base %s)", public_url or "as received")

        @bp.middleware("request")
        async def check_signature(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None  # GET / (the channel's health check) carries nothing to sign
            signature = request.headers.get(SIGNATURE_HEADER) or ""
            url = signed_url(request, public_url)
            if signature and validator.validate(url, request.form or {}, signature):
                return None
            log.warning("twilio_voice: refused a webhook call with %s Twilio signature (from %s)",
                        "an invalid" if signature else "no", request.remote_addr or request.ip)
            return response.text("invalid or missing Twilio signature\n", status=403)

        return bp
