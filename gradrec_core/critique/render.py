"""The sentences a turn's answer is said with: short, read well aloud (voice channels), no ids
or paths. The chat and `gradrec critique` both say these; the engine itself never formats."""

from __future__ import annotations

from ..schema import CatalogSchema
from ..types import AttributeValues, CritiqueStep, Item
from .planner import Plan

HOW_TO = ("Say how it should change: \"darker\", \"a bit shorter\", \"cheaper\", \"in black\", "
          "or ask \"what colours does it come in?\".")


def display_name(item: Item, schema: CatalogSchema | None = None) -> str:
    """The item's name as the catalog writes it: the schema's name column, else `name`, else the
    first sentence of its text."""
    column = schema.name_column if schema else None
    return str(item.metadata.get(column) or item.metadata.get("name") or item.text.split(".")[0])


def spoken_name(item: Item, schema: CatalogSchema | None = None) -> str:
    """The item's name as a sentence says it: "a navy slim-fit polo shirt"."""
    name = " ".join(display_name(item, schema).split()).strip().lower()[:120]
    article = "an" if name[:1] in "aeiou" else "a"
    return f"{article} {name}"


def say_price(value: float) -> str:
    """29.99 -> "29 dollars 99"? Currency is unknown: "29.99" reads well as "29.99"."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def render_turn(plan: Plan, before: Item, step: CritiqueStep | None, values: AttributeValues | None,
                schema: CatalogSchema) -> str:
    if plan.kind == "question" and plan.question is not None:
        return _answer_question(plan, before, values, schema)
    unknown = (f"I don't have prices for this shop's items, so I can't find one {_join(list(plan.unknown))}."
               if plan.unknown else "")
    if plan.kind == "none" or step is None:
        if unknown:
            return unknown + (f" This one is already {_join(list(plan.already))}." if plan.already else "")
        if plan.already:
            return f"This one is already {_join(list(plan.already))}. " + HOW_TO
        return "How should it change? " + HOW_TO
    return _say_step(plan, before, step, schema) + (" " + unknown if unknown else "")


def _say_step(plan: Plan, before: Item, step: CritiqueStep, schema: CatalogSchema) -> str:
    said = _join(list(plan.phrases))
    if step.item is None:
        comparative = any(o.get("op") in ("comparative", "numeric_comparative") for o in step.ops)
        if not comparative:
            kind = before.category or "item"
            names = _join([spoken_name(i, schema) for i in step.alternatives[:2]])
            return (f"I have no {kind} {said} like this one." +
                    (f" The closest I have: {names}." if names else ""))
        if step.alternatives:
            names = _join([spoken_name(i, schema) for i in step.alternatives[:2]])
            return (f"That's as far as it goes in this style: I have nothing {said} like this one. "
                    f"Closest at this level: {names}.")
        return f"I have nothing {said} like this one. Try another change, or \"start over\"."
    sentence = f"Here's one {said}: {spoken_name(step.item, schema)}."
    if said and not said.startswith(("in ", "with ", "under ", "over ", "between ")):
        sentence = f"Here's one that's {said}: {spoken_name(step.item, schema)}."
    if step.relaxed:
        sentence += " I had to let go of an earlier wish to find it."
    if step.low_confidence:
        sentence += " I'm not sure I can tell that apart in this shop; if it's not right, try other words."
    return sentence


def _answer_question(plan: Plan, item: Item, values: AttributeValues | None, schema: CatalogSchema) -> str:
    q = plan.question
    assert q is not None
    if values is None:
        return f"I don't have the {q.topic} of items in this shop's catalog."
    if values.numeric:
        if values.current is None:
            return f"I don't know its {q.topic}."
        text = f"It's {say_price(values.current)}." if q.topic == "price" else f"Its {q.topic} is {say_price(values.current)}."
        if values.minimum is not None and values.maximum is not None and values.minimum < values.maximum:
            text += f" Similar items range from {say_price(values.minimum)} to {say_price(values.maximum)}."
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
