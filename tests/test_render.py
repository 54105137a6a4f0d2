"""The sentences and card values a shopper reads: grammar from the words themselves, prices in
the shop's currency, card values labelled by their column, and the terminal chat's rendering of
every reply kind (none may raise)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.cli import render
from gradrec_core.critique.render import (_said, article, card_attributes, column_label, say_price,
                                          spoken_name, with_article)
from gradrec_core.schema import AttributeColumn, CatalogSchema, NumericColumn
from gradrec_core.types import Item


@pytest.mark.parametrize("phrase, said", [
    ("white high-top sneakers", "white high-top sneakers"),  # a plural takes no "a"
    ("almost black 9.1 cm strappy heeled sandals", "almost black 9.1 cm strappy heeled sandals"),
    ("almost black dress", "an almost black dress"),
    ("navy slim-fit polo shirt", "a navy slim-fit polo shirt"),
    ("uniform shirt", "a uniform shirt"),
    ("8 cm court shoe", "an 8 cm court shoe"),
    ("wrap dress", "a wrap dress"),
    ("pair of jeans", "pair of jeans"),
])
def test_articles_and_plurals_come_from_the_words(phrase: str, said: str) -> None:
    assert with_article(phrase) == said
    assert article("hour-long walk") == "an" and article("european cut") == "a"
    assert article("urban loom t-shirt") == "an" and article("uranium blue") == "a"  # a brand on a real catalog: "an urban ..."


@pytest.mark.parametrize("phrases, said", [
    (("higher heel",), "with a higher heel"),
    (("longer sleeves",), "with longer sleeves"),
    (("darker",), "that's darker"),
    (("much more formal",), "that's much more formal"),
    (("darker", "a bit shorter"), "that's darker and a bit shorter"),
    (("in black", "under 30"), "in black and under 30"),
])
def test_what_changed_reads_as_english(phrases: tuple[str, ...], said: str) -> None:
    assert _said(phrases) == said


def test_prices_in_the_shops_currency() -> None:
    assert _said(("under 30", "darker"), "euros") == "under €30 and that's darker"
    assert say_price(29.99, "dollars") == "$29.99" and say_price(30, "euros") == "€30"
    assert say_price(12.5, "GBP") == "£12.50" and say_price(99.0, "francs") == "99 francs"
    assert say_price(29.99, None) == "29.99"


def test_card_values_are_labelled_by_their_columns_for_any_schema() -> None:
    schema = CatalogSchema("articleType", "productDisplayName",
                           (NumericColumn("usd", 5, 90, True), NumericColumn("heel_cm", 0, 12, False)),
                           (AttributeColumn("baseColour", ("Navy Blue", "Blue")), AttributeColumn("usage", ("Casual",)),
                            AttributeColumn("colour_family", ("Blue",)), AttributeColumn("articleType", ("Heels",))),
                           None)
    item = Item("h1", "Navy heels", metadata={"productDisplayName": "Navy Heels", "articleType": "Heels",
                                               "baseColour": "Navy Blue", "colour_family": "Blue", "usage": "Casual",
                                               "heel_cm": 7.5, "usd": 49.5})
    assert card_attributes(item, schema, "dollars") == {"base colour": "Navy Blue", "usage": "Casual",
                                                        "heel (cm)": "7.5", "price": "$49.50"}
    assert column_label("sleeve_name") == "sleeve" and column_label("sleeveLength") == "sleeve length"
    assert spoken_name(item, schema) == "navy heels"


def card(item_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "name": f"Item {item_id}", "attributes": {"color": "navy", "price": "$9.99"}, **extra}


REPLIES: dict[str, list[Any]] = {
    "item": [{"text": "Here's one that's darker: a navy polo.", "buttons": [{"title": "lighter"}, {"title": "go back"}]},
             {"custom": {"type": "gradrec_item", "item": card("p1"),
                         "step": {"phrase": "darker", "step_number": 2, "confidence": 0.91}}},
             {"image": "http://127.0.0.1/images/p1"}],
    "question": [{"text": "It's $9.99.", "buttons": [{"title": "cheaper"}]},
                 {"custom": {"type": "gradrec_answer", "item": card("p1"),
                             "step": {"phrase": "", "step_number": None, "confidence": None, "examples": []}}}],
    "colours": [{"text": "Items like this one come in blue and red.", "buttons": []},
                {"custom": {"type": "gradrec_answer", "item": card("p1"), "step": {
                    "confidence": None, "examples": [{"value": "red", "item": card("p2", pick={"payload": "/another{}"})}]}}}],
    "end of walk": [{"text": "That's as far as it goes.", "buttons": [{"title": "lighter"}]},
                    {"custom": {"type": "gradrec_answer", "item": card("p1"), "step": {
                        "phrase": "darker", "step_number": 3, "confidence": None, "end_reached": True,
                        "alternatives": [card("p3"), card("p4")]}}}],
    "alternatives": [{"text": "Here are two others like it.", "buttons": [{"title": "go back"}]},
                     {"custom": {"type": "gradrec_alternatives", "item": card("p1"),
                                 "step": {"step_number": 1, "choices": [card("p5"), card("p6")]}}}],
    "error": [{"text": "Sorry, something went wrong on my side."}],
    "malformed": [{"text": None, "buttons": "x", "custom": "y"}, None, "text", 3,
                  {"custom": {"item": "z", "step": {"confidence": "high", "step_number": "2", "choices": [None, 1]}}}],
}


@pytest.mark.parametrize("kind", list(REPLIES))
def test_the_terminal_chat_renders_every_reply_kind(kind: str) -> None:
    lines = render(REPLIES[kind])
    assert all(isinstance(line, str) for line in lines)
    tries = [i for i, line in enumerate(lines) if line.strip().startswith("try:")]
    assert len(tries) <= 1 and (not tries or tries[0] == len(lines) - 1), lines  # the chips under the item
    if kind == "item":
        assert lines[1].strip() == "[p1] Item p1" and "step 2: darker, confidence 0.91" in lines[3]
    if kind in ("end of walk", "alternatives", "colours"):
        shown = {"end of walk": ("p3", "p4"), "alternatives": ("p5", "p6"), "colours": ("p2",)}[kind]
        assert all(any(f"[{i}]" in line for line in lines) for i in shown), lines


def test_a_relaxed_step_names_the_wishes_its_item_does_not_keep() -> None:
    """A step that had to let go of earlier wishes names those its item does not keep (the
    engine's `CritiqueStep.let_go`), each once and none asked again now; when the item keeps them
    all, nothing is said to be let go."""
    from gradrec_core.critique.planner import Plan
    from gradrec_core.critique.render import render_turn
    from gradrec_core.ops import Require
    from gradrec_core.schema import CatalogSchema
    from gradrec_core.types import CritiqueStep, Item

    before = Item("1", "black t-shirt dress", "dress")
    shown = Item("2", "dark coral t-shirt dress", "dress", metadata={"name": "Coral T-shirt Dress"})
    schema = CatalogSchema(kind_column="kind", name_column="name")
    plan = Plan("critique", (Require("colour", ("red",), "red"),), phrases=("in red",))

    def step(*let_go: str) -> CritiqueStep:
        return CritiqueStep(3, shown, False, "", (), (), (), (), True, 1.0, False, (), let_go)

    said = render_turn(plan, before, step("dark"), None, schema)
    assert said.endswith('To find it I had to let go of your earlier wish "dark".'), said
    said = render_turn(plan, before, step("dark", "under 30", "red"), None, schema)
    assert said.endswith('let go of your earlier wishes "dark" and "under 30".'), said
    assert "let go" not in render_turn(plan, before, step(), None, schema)
