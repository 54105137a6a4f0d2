"""Replies for voice channels (Twilio Voice): short sentences that read well aloud.

No ids, paths, URLs, markdown or emoji; prices said as a person says them ("39 dollars 99").
The chat sentences are already written to be read aloud; this removes what a text-to-speech
engine would spell out, as a last guard.
"""

from __future__ import annotations

import os
import re

VOICE_CHANNELS = frozenset({"twilio_voice"})

_URL = re.compile(r"\b(?:https?|ftp)://\S+", re.I)
_PATH = re.compile(r"(?<![\w])(?:[A-Za-z]:)?(?:/[\w.\-~%]+)+/?")  # /a/b/c.png
_ID = re.compile(r"\b[a-z]+(?:-[a-z]+)*-\d{3,}\b", re.I)  # polo-0146
_MARKDOWN = re.compile(r"[*_`#~|<>\[\]{}\\]")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_SIGN = "[$€£¥₹]"  # a price as the chat writes it ("$29.99", render.say_price): the sign is said as the unit
_PRICE = re.compile(rf"(?<![\w.]){_SIGN}?(\d+)\.(\d{{2}})(?![\d])")  # catalog prices carry two decimals
_SIGNED = re.compile(rf"(?<![\w.]){_SIGN}(\d+)(?![\d.])")  # "$30"


def is_voice(channel: str | None) -> bool:
    return (channel or "") in VOICE_CHANNELS


def currency() -> str:
    return os.environ.get("GRADREC_CURRENCY") or "dollars"


def say_price(value: float | str, unit: str | None = None) -> str:
    """39.99 -> "39 dollars 99", 40 -> "40 dollars", 0.5 -> "50 cents" (dollars)."""
    unit = unit or currency()
    cents = round(float(value) * 100)
    whole, part = divmod(cents, 100)
    if whole == 0:
        return f"{part} cents" if unit == "dollars" else f"0 {unit} {part}"
    whole_unit = unit[:-1] if whole == 1 and unit.endswith("s") else unit
    return f"{whole} {whole_unit}" + (f" {part:02d}" if part else "")


_NUMBER = re.compile(rf"(?<![\w.]){_SIGN}?(\d+(?:\.\d{{1,2}})?)(?![\d])")


def for_voice(text: str, about_price: bool = False) -> str:
    """The text as a voice should say it; `about_price`: every number in it is a price (the
    answer to "how much is it?"), else only numbers with two decimals are."""
    text = _URL.sub("", text)
    text = _PATH.sub("", text)
    text = _ID.sub("this item", text)
    if about_price:
        text = _NUMBER.sub(lambda m: say_price(m.group(1)), text)
    else:
        text = _PRICE.sub(lambda m: say_price(f"{m.group(1)}.{m.group(2)}"), text)
        text = _SIGNED.sub(lambda m: say_price(m.group(1)), text)
    text = _EMOJI.sub("", text)
    text = _MARKDOWN.sub("", text)
    text = re.sub(r"\s+([.,!?;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()
