"""The voice channel, heard locally: what a caller says goes to the assistant as Twilio would post
it, and the assistant's spoken replies are written to a WAV file with espeak-ng.

    python -m assistant.voice_demo --start "show me a blue polo shirt" "something darker"
    python -m assistant.voice_demo --url http://127.0.0.1:5005 "what colours does it come in?"
    python -m assistant.voice_demo --text "Here's one that's darker: a navy polo shirt."

`--start` starts the action server and the Rasa server on free ports on 127.0.0.1 (stopped
afterwards); `--url` talks to a running assistant (`make serve`); `--text` only speaks the text.
Each utterance is POSTed to /webhooks/twilio_voice/webhook as Twilio's form fields, signed with
GRADREC_TWILIO_AUTH_TOKEN when it is set (the server then checks it); the `<Say>` texts of the
TwiML answers are printed and spoken, in order, into one WAV (default var/voice/reply.wav). Needs
Debian's espeak-ng (`apt-get install espeak-ng`). `make voice-demo` runs the first example.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import hmac
import logging
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Mapping, Sequence

log = logging.getLogger("voice_demo")

WEBHOOK = "/webhooks/twilio_voice/webhook"
CALLER = "+15005550006"  # Twilio's magic test number: the conversation's id
DEFAULT_OUT = Path("var") / "voice" / "reply.wav"


class DemoError(Exception):
    """One line saying what is wrong (exit status 2)."""


def twilio_signature(url: str, params: Mapping[str, str], token: str) -> str:
    """Twilio's request signature: HMAC-SHA1 over the URL followed by each POST field, sorted by
    name, as name + value; base64 (https://www.twilio.com/docs/usage/security)."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def call_form(speech: str | None, call_status: str = "in-progress") -> dict[str, str]:
    """The form fields Twilio posts for a call (after a <Gather input="speech">)."""
    form = {"CallSid": "CA00000000000000000000000000000000", "AccountSid": "AC00000000000000000000000000000000",
            "From": CALLER, "To": "+15005550001", "CallStatus": call_status, "Direction": "inbound",
            "ApiVersion": "2010-04-01"}
    if speech is not None:
        form["SpeechResult"] = speech
        form["Confidence"] = "0.9"
    return form


def post(base_url: str, form: Mapping[str, str], token: str | None = None, timeout: float = 120) -> str:
    """POST a Twilio-shaped request; the spoken text of the TwiML answer (its <Say> elements)."""
    url = base_url.rstrip("/") + WEBHOOK
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["X-Twilio-Signature"] = twilio_signature(url, form, token)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            body = r.read()
    except OSError as err:
        raise DemoError(f"{url}: {err}") from None
    twiml = ET.fromstring(body)
    return " ".join((s.text or "").strip() for s in twiml.iter("Say")).strip()


def speak(text: str, out: Path, voice: str = "en-us", speed: int = 165) -> Path:
    """Write `text` as speech to the WAV file `out` with espeak-ng."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise DemoError("espeak-ng not found: install it (apt-get install espeak-ng)")
    if not text.strip():
        raise DemoError("nothing to say")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([espeak, "-v", voice, "-s", str(speed), "-w", str(out), "--", text],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not out.is_file():
        raise DemoError(f"espeak-ng failed ({done.returncode}): {done.stderr.strip()[:200]}")
    return out


def converse(base_url: str, utterances: Sequence[str], token: str | None) -> list[str]:
    """A call: answered (ringing), then each utterance; the assistant's replies, in order."""
    replies = [post(base_url, call_form(None, "ringing"), token)]
    for text in utterances:
        replies.append(post(base_url, call_form(text), token))
    return replies


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m assistant.voice_demo", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running assistant's Rasa server, e.g. http://127.0.0.1:5005")
    where.add_argument("--start", action="store_true", help="start both servers on free ports for the call")
    where.add_argument("--text", help="only speak this text")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the WAV file (default {DEFAULT_OUT})")
    parser.add_argument("utterances", nargs="*", help="what the caller says, in order")
    args = parser.parse_args(argv)
    import os

    token = os.environ.get("GRADREC_TWILIO_AUTH_TOKEN") or None
    try:
        if args.text is not None:
            replies = [args.text]
        elif not args.utterances:
            raise DemoError("say something: give the caller's utterances after the options")
        elif args.url:
            replies = converse(args.url, args.utterances, token)
        else:
            from assistant.servers import free_port, running
            from assistant.settings import Settings

            settings = dataclasses.replace(Settings.from_env(), action_port=free_port(), rasa_port=free_port(),
                                           public_url=None)
            os.environ["GRADREC_PUBLIC_URL"] = settings.base_url  # the URL the calls are signed for
            log.info("starting the assistant on %s (a minute or two)", settings.base_url)
            with running(settings):
                replies = converse(settings.base_url, args.utterances, token)
        for reply in replies:
            print(f"{'bot' if args.text is None else 'say'}> {reply}")
        out = speak(" ... ".join(replies), args.out)
    except DemoError as err:
        print(f"voice demo: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
