"""The sentences a turn's answer is said with: short, read well aloud (voice channels), no ids
or paths. The chat and `gradrec critique` both say these; the engine itself never formats."""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence

from ..ops import ChangeKind
from ..schema import CatalogSchema, column_words
from ..types import AttributeValues, CritiqueStep, Item
from .planner import Plan

HOW_TO = ("Say how it should change: \"darker\", \"a bit shorter\", \"cheaper\", \"in black\", "
          "or ask \"what colours does it come in?\".")


def display_name(item: Item, schema: CatalogSchema | None = None) -> str:
    """The item's name as the catalog writes it: the schema's name column, else `name`, else the
    first sentence of its text."""
    column = schema.name_column if schema else None
    return str(item.metadata.get(column) or item.metadata.get("name") or item.text.split(".")[0])


_DETERMINERS = ("a", "an", "the", "one", "some", "pair", "set")
_SINGULAR_ENDINGS = ("ss", "us", "is", "ous", "ics")
# "an" before these vowel letters' words that start with a consonant sound, and the reverse
_CONSONANT_SOUND = ("uni", "use", "usu", "uti", "eu", "one", "once", "ura", "uri", "uro")
_VOWEL_SOUND = ("hour", "honest", "honour", "honor", "heir")


def is_plural(noun_phrase: str) -> bool:
    """Whether a noun phrase's head (its last word) is plural: "high-top sneakers", "jeans",
    "chinos"; not "dress", "cactus", "analysis" (singular endings "ss", "us", "is")."""
    words = noun_phrase.lower().split()
    last = words[-1].strip(".,;:!?)(") if words else ""
    return len(last) > 2 and last.endswith("s") and not last.endswith(_SINGULAR_ENDINGS)


def article(word_or_phrase: str) -> str:
    """"a" or "an" for the sound the phrase starts with: "an almost black", "a uniform", "an 8 cm",
    "an hour"."""
    first = word_or_phrase.strip().lower().split(" ", 1)[0] if word_or_phrase.strip() else ""
    if not first:
        return "a"
    if first[0].isdigit():
        number = first.split(".")[0].split(",")[0]
        digits = "".join(ch for ch in number if ch.isdigit())
        eight = digits.startswith("8")
        teen = len(digits) in (2, 5) and digits.startswith(("11", "18"))
        return "an" if eight or teen else "a"
    if first.startswith(_VOWEL_SOUND):
        return "an"
    if first[0] in "aeiou" and not first.startswith(_CONSONANT_SOUND):
        return "an"
    return "a"


def with_article(noun_phrase: str) -> str:
    """"a navy polo shirt", "an almost black dress", "white high-top sneakers" (a plural takes
    none), a phrase that has its own determiner unchanged."""
    phrase = noun_phrase.strip()
    if not phrase or phrase.split(" ", 1)[0].lower() in _DETERMINERS or is_plural(phrase):
        return phrase
    return f"{article(phrase)} {phrase}"


def spoken_name(item: Item, schema: CatalogSchema | None = None) -> str:
    """The item's name as a sentence says it: "a navy slim-fit polo shirt", "white high-top
    sneakers"."""
    return with_article(" ".join(display_name(item, schema).split()).strip().lower()[:120])


# Currency words and codes a shop's settings may name, with the sign written before the amount.
_SIGNS = {"dollar": "$", "dollars": "$", "usd": "$", "$": "$", "euro": "€", "euros": "€", "eur": "€",
          "€": "€", "pound": "£", "pounds": "£", "gbp": "£", "£": "£", "yen": "¥", "jpy": "¥", "¥": "¥",
          "rupee": "₹", "rupees": "₹", "inr": "₹", "₹": "₹"}


def say_price(value: float, currency: str | None = None) -> str:
    """A price as a chat writes it, in the shop's currency (its settings: GRADREC_CURRENCY):
    29.99 -> "$29.99" (dollars), "€29.99" (euros), "29.99 francs"; with none known, "29.99"."""
    number = f"{value:.2f}" if value != int(value) else f"{int(value)}"
    unit = (currency or "").strip()
    if not unit:
        return number
    sign = _SIGNS.get(unit.lower())
    return f"{sign}{number}" if sign else f"{number} {unit}"


def say_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _comparative_phrase(said: str) -> str:
    """How "Here's one ..." goes on: "that's darker", "that's much more formal", "with a higher
    heel", "with longer sleeves", "in black", "under 30". A comparative that names a part (a
    noun after the comparative word) is said with "with"."""
    if not said or said.startswith(("in ", "with ", "under ", "over ", "between ", "without ")):
        return said
    words = said.split()
    comparative = next((i for i, w in enumerate(words)
                        if w.endswith("er") or (i > 0 and words[i - 1] in ("more", "less"))), None)
    if comparative is None or comparative == len(words) - 1:
        return f"that's {said}"
    noun = " ".join(words[comparative + 1:])
    if is_plural(noun) or words[0] in ("a", "an"):
        return f"with {said}"
    return f"with {article(said)} {said}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


_BUDGET = re.compile(r"^(under|over|between) ")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def _said(phrases: Sequence[str], currency: str | None = None, kinds: Sequence[str] = ()) -> str:
    """The turn's wishes after "Here's one": "that's darker and shorter, with a higher heel",
    "under $30" (a budget in the shop's currency), "that's a dress" (a kind asked for, `kinds`:
    the plan's kind changes as said; "in trousers" for a plural one)."""
    parts: list[str] = []
    for phrase in phrases:
        if _BUDGET.match(phrase):
            phrase = _AMOUNT.sub(lambda m: say_price(float(m.group(0)), currency), phrase)
        kind = phrase[len("in "):] if phrase.startswith("in ") else ""
        if kind in kinds and not is_plural(kind):
            phrase = f"{article(kind)} {kind}"  # "that's a dress", not "in dress"
        part = _comparative_phrase(phrase)
        if part.startswith("that's ") and any(p.startswith("that's ") for p in parts):
            part = part[len("that's "):]
        parts.append(part)
    return _join(parts)


def _wishes(earlier: Sequence[str], now: Sequence[str]) -> str:
    """The earlier wishes a relaxed step let go of, as the shopper's words: '"under 30" and
    "dark"' (each wish once, none asked again now)."""
    named: list[str] = []
    for label in earlier:
        for part in label.split(" + "):
            part = part.strip()
            if part and part not in named and part not in now:
                named.append(part)
    return _join([f'"{w}"' for w in named])


def render_turn(plan: Plan, before: Item, step: CritiqueStep | None, values: AttributeValues | None,
                schema: CatalogSchema, *, currency: str | None = None) -> str:
    """The turn's sentence. `currency`: the shop's (prices are written with it). A step that had
    to let go of earlier wishes names those its item does not keep (`CritiqueStep.let_go`)."""
    if plan.kind == "question" and plan.question is not None:
        return _answer_question(plan, before, values, schema, currency)
    unknown = (f"I don't have prices for this shop's items, so I can't find one {_join(list(plan.unknown))}."
               if plan.unknown else "")
    if plan.kind == "search":
        if step is None or step.item is None:
            return "I found nothing like that. Try describing it another way."
        return f"How about this one: {spoken_name(step.item, schema)}?"
    if plan.kind == "none" or step is None:
        if plan.no_such_brand:
            brand = schema.attribute(schema.brand_column) if schema.brand_column else None
            some = list(brand.values[:3]) if brand is not None else []
            return (f"I can't find anything by {plan.no_such_brand} in this shop"
                    + (f"; its brands include {_join(some)}" if some else "") + ". " + HOW_TO)
        if unknown:
            return unknown + (f" This one is already {_join(list(plan.already))}." if plan.already else "")
        if plan.already:
            return f"This one is already {_join(list(plan.already))}. " + HOW_TO
        return "How should it change? " + HOW_TO
    return _say_step(plan, before, step, schema, currency) + (" " + unknown if unknown else "")


def _say_step(plan: Plan, before: Item, step: CritiqueStep, schema: CatalogSchema,
              currency: str | None = None) -> str:
    said = _join(list(plan.phrases))
    if step.item is None:
        # every card the reply shows is named (the chat shows all the alternatives)
        names = _join([spoken_name(i, schema) for i in step.alternatives])
        comparative = any(o.get("op") in ("comparative", "numeric_comparative") for o in step.ops)
        if not comparative:
            kind = before.category or "item"
            return (f"I have no {kind} {said} like this one." +
                    (f" The closest I have: {names}." if names else ""))
        if step.alternatives:
            return (f"That's as far as it goes in this style: I have nothing {said} like this one. "
                    f"Closest at this level: {names}.")
        return f"I have nothing {said} like this one. Try another change, or \"start over\"."
    kinds = [o.attribute for o in plan.ops if isinstance(o, ChangeKind) and o.attribute]
    sentence = f"Here's one {_said(plan.phrases, currency, kinds)}: {spoken_name(step.item, schema)}."
    if (step.item.category != before.category and before.category
            and not any(o.get("op") == "change_kind" and o.get("attribute") for o in step.ops)):
        # nothing of the kind has it: the engine went to the closest kind that does; say so
        sentence = (f"I have no {before.category} {said}. The closest {_said(plan.phrases, currency)}: "
                    f"{spoken_name(step.item, schema)}.")
        keeps = next((list(o["keeps"]) for o in step.ops if o.get("op") == "change_kind" and o.get("keeps")), [])
        if keeps:  # the kind has the value, not with the earlier wishes: the closest kind that keeps them
            verb = "keep" if is_plural(before.category) else "keeps"
            wish = "wishes" if len(keeps) > 1 else "wish"
            sentence = (f"I have no {before.category} {said} that also {verb} your earlier {wish} "
                        f"{_wishes(keeps, [])}. The closest that does: "
                        f"{spoken_name(step.item, schema)}.")
    let_go = _wishes(step.let_go, [getattr(o, "attribute", "") for o in plan.ops]) if step.relaxed else ""
    if let_go:
        sentence += (f" To find it I had to let go of your earlier {'wishes' if ' and ' in let_go else 'wish'} "
                     f"{let_go}.")
    if step.low_confidence:
        sentence += " I'm not sure I can tell that apart in this shop; if it's not right, try other words."
    return sentence


def _answer_question(plan: Plan, item: Item, values: AttributeValues | None, schema: CatalogSchema,
                     currency: str | None = None) -> str:
    q = plan.question
    assert q is not None
    if values is None:
        return f"I don't have the {q.topic} of items in this shop's catalog."
    if values.numeric:
        if values.current is None:
            return f"I don't know its {q.topic}."
        price = schema.price is not None and values.column == schema.price.name
        say: Callable[[float], str] = (lambda v: say_price(v, currency)) if price else say_number
        text = f"It's {say(values.current)}." if q.topic == "price" else f"Its {q.topic} is {say(values.current)}."
        if values.minimum is not None and values.maximum is not None and values.minimum < values.maximum:
            text += f" Similar items range from {say(values.minimum)} to {say(values.maximum)}."
        return text
    names = [v for v, _ in values.values]
    if not names:
        return f"I don't know the {q.topic} of items like this one."
    if q.topic == "material" or q.topic not in ("colour", "pattern", "style", "fit", "size"):
        head = f"It's {values.current}." if values.current else ""
        others = [n for n in names if n != values.current][:6]
        tail = f" Similar items come in {_join(others)}." if others else ""
        return (head + tail).strip()
    shown = names[:8]
    return f"Items like this one come in {_join(shown)}." + (
        f" This one is {values.current}." if values.current else "")


# Words a column name adds that a shopper does not read ("sleeve_name" is the sleeve), and units
# written after the label ("heel_cm": "heel (cm)"). English words, not a catalog's columns.
_FILLER_WORDS = ("name", "names", "value", "label", "desc", "text")
_UNITS = ("cm", "mm", "m", "in", "inch", "inches", "kg", "g", "lb", "lbs", "oz", "ml", "l", "mah", "w", "v")


def column_label(column: str) -> str:
    """A column's name as a card labels its value: "color_name" -> "color", "heel_cm" ->
    "heel (cm)", "sleeveLength" -> "sleeve length", "hue_family" -> "hue family"."""
    words = column_words(column)
    units = [w for w in words[1:] if w in _UNITS]
    words = [w for w in words if w not in units]
    kept = [w for w in words if w not in _FILLER_WORDS] or words
    label = " ".join(kept) or column
    return f"{label} ({' '.join(units)})" if units else label


def card_attributes(item: Item, schema: CatalogSchema, currency: str | None = None) -> dict[str, str]:
    """What a card shows under the item's name, each value labelled by its column (any shop's
    schema: its attribute columns, then its numeric ones, the price last, in the shop's
    currency). Left out: the kind (the name says it), empty values, and a value another shown
    value already says ("black" beside "almost black")."""
    md = item.metadata
    price = schema.price.name if schema.price else None
    shown: dict[str, str] = {}
    columns = [c.name for c in schema.attributes] + [c.name for c in schema.numeric if c.name != price]
    for column in columns:
        if column in (schema.kind_column, schema.name_column, schema.swatch_column):
            continue
        raw = md.get(column)
        if raw is None or str(raw).strip() == "":
            continue
        value = say_number(float(raw)) if schema.numeric_column(column) and _is_number(raw) else str(raw).strip()
        shown[column_label(column)] = value
    words = {label: set(value.lower().split()) for label, value in shown.items()}
    order = list(words)
    redundant = {label for i, (label, w) in enumerate(words.items())
                 if any(w < words[o] or (w == words[o] and j < i) for j, o in enumerate(order) if o != label)}
    attributes = {label: value for label, value in shown.items() if label not in redundant}
    if price and _is_number(md.get(price)):
        attributes["price"] = say_price(float(md[price]), currency)
    return attributes


def _is_number(value: object) -> bool:
    try:
        return math.isfinite(float(str(value)))
    except ValueError:
        return False
