"""Turns a shopper found doing the wrong thing (issue 17), each checked against the sample
catalog's ground truth: the CSV's own columns (formality, length, material, price, the name) and
CIELAB L* computed here from the hex swatch, never the engine's output. Seeds are found by
their attributes in the CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from gradrec_core import Engine
from gradrec_core.critique import plan_turn, take_turn
from gradrec_core.ops import Different, Exclude, NumericComparative

Row = dict[str, str]


@pytest.fixture(scope="module")
def engine(sample_index_dir: Path) -> Engine:
    return Engine.open(sample_index_dir)


def seeds(truth: dict[str, Row], keep: Callable[[Row], bool], n: int = 8) -> list[str]:
    """Up to `n` ids of rows that `keep` accepts, spread over the catalog (every k-th)."""
    ids = [i for i, r in truth.items() if keep(r)]
    step = max(1, len(ids) // n)
    return ids[::step][:n]


def lab_lightness(hex_colour: str) -> float:
    """CIELAB L* of an sRGB hex colour (D65), written out here so the check does not rest on the
    engine's own colour code."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255.0 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    f = y ** (1 / 3) if y > (6 / 29) ** 3 else y / (3 * (6 / 29) ** 2) + 4 / 29
    return 116 * f - 16


def say(engine: Engine, who: str, text: str) -> str | None:
    turn = take_turn(engine, who, text)
    return turn.item.id if turn.item is not None else None


# ------------------------------------------------------------------ "more formal" on a skirt

def test_more_formal_moves_up_the_formality_order_and_keeps_the_length(engine: Engine,
                                                                       truth: dict[str, Row]) -> None:
    """A smart-casual midi or maxi skirt, "more formal": a skirt of higher formality (the CSV's
    1-5 `formality`; not the athleisure mini it was), which keeps most of what the best skirt at
    that formality could keep of its length, colour family, fit, material and pattern."""
    ids = seeds(truth, lambda r: r["kind"] == "skirt" and r["formality_name"] == "smart casual"
                and r["length_name"] in ("midi", "maxi"))
    assert len(ids) >= 4
    rest = ("length_name", "hue_family", "fit", "material", "pattern")
    kept = possible = 0
    for seed in ids:
        engine.start("formal-" + seed, seed)
        got = say(engine, "formal-" + seed, "more formal")
        assert got is not None, seed
        before, after = truth[seed], truth[got]
        assert after["kind"] == "skirt"
        assert int(after["formality"]) > int(before["formality"]), (seed, after["formality_name"])
        kept += sum(after[c] == before[c] for c in rest)
        possible += max(sum(r[c] == before[c] for c in rest) for i, r in truth.items()
                        if i != seed and r["kind"] == "skirt" and r["formality"] == after["formality"])
    assert kept >= 0.75 * possible, (kept, possible)


# ------------------------------------------------------------------ typos

@pytest.mark.parametrize("said, sign", [("more casual", -1), ("more formal", +1)])
def test_a_formality_walk_never_steps_back_on_the_csv_formality(engine: Engine, truth: dict[str, Row],
                                                                 said: str, sign: int) -> None:
    """Walks of "more casual" / "more formal" from casual, smart casual and business items:
    every step moves the CSV's 1-5 `formality` the asked way. The catalog's items place
    athleisure (1) further from formal than casual (2); a value named for the end ("casual")
    is that end's name, not the furthest value (it was: smart casual -> athleisure -> casual)."""
    ids = seeds(truth, lambda r: r["formality_name"] in ("casual", "smart casual", "business")
                and r["kind"] in ("trousers", "shorts", "skirt", "dress"), n=12)
    steps = 0
    for seed in ids:
        session = f"formality-{said}-{seed}"
        engine.start(session, seed)
        before = truth[seed]
        for _ in range(4):
            step = take_turn(engine, session, said).step
            if step is None or step.item is None:
                break
            after = truth[step.item.id]
            assert sign * (int(after["formality"]) - int(before["formality"])) > 0, \
                (seed, before["formality_name"], after["formality_name"])
            before, steps = after, steps + 1
    assert steps >= len(ids)


def test_a_typo_of_a_critique_word_is_that_word(engine: Engine) -> None:
    schema = engine.index.schema
    polo = engine.search("blue polo shirt", k=1)[0].item
    kinds = engine.categories()
    for typo, meant in (("cheeper", "cheaper"), ("fromal", "more formal"), ("darkre", "darker"),
                        ("a bit lightre", "a bit lighter"), ("more expencive", "more expensive")):
        assert plan_turn(polo, typo, {}, schema, kinds).ops == plan_turn(polo, meant, {}, schema, kinds).ops, typo
    # the NLU's attribute entity is corrected too
    assert plan_turn(polo, "", {"attribute": "cheeper"}, schema, kinds).ops == \
        (NumericComparative("price", -1, 1.0, "cheap"),)
    # the shop's own words and unclear ones are not "corrected": "shirt" is a kind, not "short";
    # "night" is as near "light" as "tight"
    for text in ("a shirt", "night", "in denim"):
        plan = plan_turn(polo, text, {}, schema, kinds)
        assert not any(getattr(op, "dimension", "") in ("length", "shade", "fit") for op in plan.ops), text


def test_cheaper_misspelt_after_a_budget_goes_down_and_keeps_the_budget(engine: Engine,
                                                                       truth: dict[str, Row]) -> None:
    ids = seeds(truth, lambda r: r["kind"] == "polo shirt" and 35 <= float(r["price"]) <= 60)
    assert len(ids) >= 4
    for seed in ids:
        who = "budget-" + seed
        engine.start(who, seed)
        first = say(engine, who, "under $30 please")
        assert first is not None and float(truth[first]["price"]) <= 30
        cheaper = say(engine, who, "cheeper")
        assert cheaper is not None, seed
        assert float(truth[cheaper]["price"]) < float(truth[first]["price"]), (first, cheaper)
        assert float(truth[cheaper]["price"]) <= 30 and truth[cheaper]["kind"] == "polo shirt"


# ------------------------------------------------------------------ negation

@pytest.mark.parametrize("said", ["not leather", "no leather please", "without leather",
                                  "anything but leather", "something other than leather",
                                  "i don't want leather"])
def test_a_negated_value_is_excluded(engine: Engine, truth: dict[str, Row], said: str) -> None:
    ids = seeds(truth, lambda r: r["kind"] == "jacket" and r["material"] == "leather", n=3)
    assert ids
    for seed in ids:
        plan = plan_turn(engine.item(seed), said, {}, engine.index.schema)
        assert plan.ops == (Exclude("material", ("leather",), "leather"),), (said, plan)
        who = f"neg-{said}-{seed}"
        engine.start(who, seed)
        got = say(engine, who, said)
        assert got is not None and truth[got]["kind"] == "jacket"
        assert truth[got]["material"] != "leather", (said, truth[got]["name"])
        # the wish stays: a later "cheaper" is still not leather
        later = say(engine, who, "cheaper")
        assert later is None or truth[later]["material"] != "leather"


def test_not_black_on_a_black_item_is_another_colour(engine: Engine, truth: dict[str, Row]) -> None:
    for seed in seeds(truth, lambda r: r["kind"] == "sneakers" and r["hue_family"] == "black", n=3):
        who = "notblack-" + seed
        engine.start(who, seed)
        got = say(engine, who, "not black")
        assert got is not None and truth[got]["hue_family"] != "black" and truth[got]["kind"] == "sneakers"


# ------------------------------------------------------------------ "completely different"

STYLE = ("hue_family", "length_name", "sleeve_name", "formality_name", "fit", "material", "pattern")


def differences(a: Row, b: Row) -> int:
    return sum(1 for c in STYLE if a[c] != b[c])


def test_something_completely_different_is_another_style(engine: Engine, truth: dict[str, Row]) -> None:
    """Not a near twin: the item differs from the current one in more of its attributes than
    the nearest "another one" does, and in most of them; the kind stays."""
    ids = seeds(truth, lambda r: r["kind"] == "dress")
    plan = plan_turn(engine.item(ids[0]), "show me something completely different", {}, engine.index.schema)
    assert plan.ops == (Different(),)
    assert plan_turn(engine.item(ids[0]), "something else", {}, engine.index.schema).ops != (Different(),)
    for seed in ids:
        who = "diff-" + seed
        engine.start(who, seed)
        got = say(engine, who, "show me something completely different")
        assert got is not None and truth[got]["kind"] == "dress"
        if seed == ids[0]:  # earlier wishes go with the old style: "in black" no longer holds
            engine.start(who + "-wish", seed)
            say(engine, who + "-wish", "in black")
            other = say(engine, who + "-wish", "something completely different")
            later = take_turn(engine, who + "-wish", "cheaper")
            assert other is not None and later.item is not None and later.step is not None
            if truth[other]["hue_family"] != "black":
                assert truth[later.item.id]["hue_family"] != "black" and not later.step.relaxed
        engine.start(who + "-near", seed)
        near = engine.another(who + "-near").item
        assert near is not None
        far, close = differences(truth[seed], truth[got]), differences(truth[seed], truth[near.id])
        assert far > close and far >= 4, (seed, got, far, near.id, close)


# ------------------------------------------------------------------ substitutions hold the style

def test_in_black_keeps_what_only_the_name_says(engine: Engine, truth: dict[str, Row]) -> None:
    """White canvas high-top sneakers, "does it come in black?": black canvas high-tops, which
    the catalog has ("high-top" is in no column, only in the name)."""
    ids = seeds(truth, lambda r: r["kind"] == "sneakers" and r["hue_family"] == "white"
                and "high-top" in r["name"].lower() and r["material"] == "canvas", n=5)
    assert any(r["kind"] == "sneakers" and r["hue_family"] == "black" and "high-top" in r["name"].lower()
               and r["material"] == "canvas" for r in truth.values())
    assert ids
    for seed in ids:
        who = "hightop-" + seed
        engine.start(who, seed)
        got = say(engine, who, "does it come in black?")
        assert got is not None
        row = truth[got]
        assert row["hue_family"] == "black" and row["kind"] == "sneakers"
        assert "high-top" in row["name"].lower() and row["material"] == "canvas", row["name"]


# ------------------------------------------------------------------ a picked colour is kept

def test_a_colour_picked_from_the_carousel_is_kept(engine: Engine, truth: dict[str, Row]) -> None:
    ids = seeds(truth, lambda r: r["kind"] == "dress" and r["length_name"] in ("above-knee", "knee-length")
                and r["hue_family"] not in ("blue",), n=6)
    checked = 0
    for seed in ids:
        who = "pick-" + seed
        engine.start(who, seed)
        turn = take_turn(engine, who, "what colours does it come in?")
        assert turn.values is not None and turn.plan.question is not None
        column = turn.plan.question.column
        blue = [e for e in turn.values.examples if e.value == "blue"]
        if not blue:
            continue
        picked = blue[0].item
        engine.pick(who, picked.id, hold=(column,))
        longer_blue = [r for r in truth.values() if r["kind"] == "dress" and r["hue_family"] == "blue"
                       and int(r["length"]) > int(truth[picked.id]["length"])]
        got = say(engine, who, "a bit longer")
        assert got is not None and longer_blue
        assert truth[got]["hue_family"] == "blue", (seed, truth[got]["name"])
        assert int(truth[got]["length"]) > int(truth[picked.id]["length"])
        checked += 1
    assert checked >= 3


# ------------------------------------------------------------------ a reversal after a long walk

def test_lighter_after_five_darker_is_the_next_shade_back(engine: Engine, truth: dict[str, Row]) -> None:
    ids = seeds(truth, lambda r: r["kind"] == "polo shirt" and r["hue_family"] == "blue"
                and 33 <= lab_lightness(r["color_hex"]) <= 45, n=6)
    assert len(ids) >= 3
    for seed in ids:
        who = "reverse-" + seed
        engine.start(who, seed)
        walk = [seed]
        for _ in range(5):
            got = say(engine, who, "darker")
            if got is None:
                break
            walk.append(got)
        if len(walk) < 4:
            continue
        lighter = say(engine, who, "lighter")
        assert lighter is not None
        now, before_last = (lab_lightness(truth[i]["color_hex"]) for i in walk[-1:-3:-1])
        seen = set(walk)
        got = lab_lightness(truth[lighter]["color_hex"])
        assert got > now + 1.0, (seed, now, got)
        # the next shade: no further than the item before the last "darker", when an unseen
        # polo of the same colour family lies in between
        between = [r for i, r in truth.items() if i not in seen and r["kind"] == "polo shirt"
                   and r["hue_family"] == truth[walk[-1]]["hue_family"]
                   and now + 2.0 < lab_lightness(r["color_hex"]) <= before_last + 0.05]
        if between:
            assert got <= before_last + 0.05, (seed, [round(lab_lightness(truth[i]["color_hex"]), 1) for i in walk],
                                               got)
        # never the whole walk undone at once
        assert got < (lab_lightness(truth[seed]["color_hex"]) + now) / 2, (seed, got)


# ------------------------------------------------------------------ the end keeps earlier wishes

def test_end_of_walk_alternatives_keep_earlier_wishes(engine: Engine, truth: dict[str, Row]) -> None:
    """"shorter", then "more formal" until the walk ends: the end's alternatives are still
    shorter than the seed (the CSV's 1-5 `length`)."""
    ids = seeds(truth, lambda r: r["kind"] == "dress" and r["length_name"] in ("midi", "maxi"), n=8)
    ended = 0
    for seed in ids:
        who = "end-" + seed
        engine.start(who, seed)
        if say(engine, who, "shorter") is None:
            continue
        for _ in range(6):
            turn = take_turn(engine, who, "more formal")
            if turn.step is not None and turn.step.end_reached:
                break
        else:
            continue
        alternatives = [a.id for a in turn.step.alternatives]
        if not alternatives:
            continue
        ended += 1
        for a in alternatives:
            assert int(truth[a]["length"]) < int(truth[seed]["length"]), (seed, a, truth[a]["length_name"])
    assert ended >= 2


# ------------------------------------------------------------------ what a reply says it let go of

def test_a_kind_asked_for_is_said_as_one_and_never_as_let_go_while_shown(engine: Engine,
                                                                         truth: dict[str, Row]) -> None:
    """"I will take a look at the dresses" is answered "Here's one that's a dress" (it said "in
    dress"); after "much darker" and that, "back in red?" had to let go of "dark", and said it
    had let go of "dress" too while showing a dress (the CSV's kind). Now a relaxed step names
    only the wishes its item does not keep."""
    ids = [i for kind in ("polo shirt", "t-shirt", "skirt", "trousers")
           for i in [i for i, r in truth.items() if r["kind"] == kind][:8]]
    relaxed = 0
    for seed in ids:
        who = "kind-wish-" + seed
        engine.start(who, seed)
        take_turn(engine, who, "much darker")
        turn = take_turn(engine, who, "I will take a look at the dresses")
        assert turn.item is not None and truth[turn.item.id]["kind"] == "dress"
        assert turn.answer.startswith("Here's one that's a dress:"), turn.answer
        turn = take_turn(engine, who, "back in red?")
        if turn.item is None:  # the dress shown is red already ("This one is already red")
            assert turn.plan.already == ("red",), turn.answer
            continue
        shown = truth[turn.item.id]["kind"]
        if turn.step is not None and turn.step.relaxed:
            relaxed += 1
            assert ('"dress"' in turn.answer) == (shown != "dress"), (shown, turn.answer)
    assert relaxed >= 2, relaxed


def test_a_relaxed_step_names_only_the_wishes_its_item_does_not_keep(engine: Engine,
                                                                      truth: dict[str, Row]) -> None:
    """"more formal", "in red", then "much darker": the step lets go of earlier wishes to find an
    item, and named all of them, kept or not. Now "red" is named exactly when the item shown is not
    red by the CSV's colour family, and when "formal" is not named the item is more formal than
    the walk's start by the CSV's 1-5 formality."""
    relaxed = kept_red = 0
    for seed in list(truth)[::11][:100]:
        who = "relax-" + seed
        engine.start(who, seed)
        if take_turn(engine, who, "more formal").item is None or take_turn(engine, who, "in red").item is None:
            continue
        turn = take_turn(engine, who, "much darker")
        if turn.item is None or turn.step is None or not turn.step.relaxed:
            continue
        relaxed += 1
        shown = truth[turn.item.id]
        assert ('"red"' in turn.answer) == (shown["hue_family"] != "red"), (shown["color_name"], turn.answer)
        kept_red += shown["hue_family"] == "red"
        if '"formal"' not in turn.answer:
            assert float(shown["formality"]) > float(truth[seed]["formality"]), (shown["name"], turn.answer)
    assert relaxed >= 10 and kept_red >= 1, (relaxed, kept_red)


# ------------------------------------------------------------------ a part no column holds

@pytest.mark.parametrize("said, word", [("one with pockets", "pocket"), ("has a collar", "collar"),
                                        ("has buttons?", "button")])
def test_a_part_no_column_holds_is_found_in_the_item_texts(engine: Engine, truth: dict[str, Row],
                                                            said: str, word: str) -> None:
    """"with pockets", "has a collar": no column holds them (they were "How should it change?");
    the next item's text (the CSV's name and description) says the word, singular or plural, in
    the same kind, wherever that kind has such an item. Fillers after "with" are not parts."""
    import re

    def says(row: Row) -> bool:
        tokens = set(re.split(r"[^a-z]+", f"{row['name']} {row['description']}".lower()))
        return word in tokens or word + "s" in tokens

    who = _lands_on(engine, truth, said, wanted=says, start=lambda r: not says(r))
    for filler in ("I'm happy with it", "with my sister", "does it go with jeans?"):
        assert not take_turn(engine, who, filler).plan.ops, filler


@pytest.mark.parametrize("said", ["with long sleeves and stripes", "has stripes and long sleeves"])
def test_both_parts_joined_by_and_are_kept(engine: Engine, truth: dict[str, Row], said: str) -> None:
    """"with long sleeves and stripes": the cue goes with both parts (the second was dropped, or
    read "longer sleeves"): the next item is long-sleeved and striped by the CSV's columns, in the
    same kind."""
    _lands_on(engine, truth, said, wanted=lambda r: r["sleeve_name"] == "long" and r["pattern"] == "striped",
              start=lambda r: r["sleeve_name"] in ("short", "sleeveless") and r["pattern"] == "plain")


def _lands_on(engine: Engine, truth: dict[str, Row], said: str, wanted: Callable[[Row], bool],
              start: Callable[[Row], bool]) -> str:
    """From up to 8 seeds that `start` accepts, in kinds that have an item `wanted`, `said` shows
    an item `wanted` by the CSV, of the seed's kind. Returns the last session."""
    kinds = {r["kind"] for r in truth.values() if wanted(r)}
    ids = seeds(truth, lambda r: r["kind"] in kinds and start(r), n=8)
    assert len(ids) >= 4
    for seed in ids:
        who = f"{said}-{seed}"
        engine.start(who, seed)
        turn = take_turn(engine, who, said)
        assert turn.item is not None, turn.answer
        got = truth[turn.item.id]
        assert wanted(got) and got["kind"] == truth[seed]["kind"], (said, truth[seed]["name"], got["name"], turn.answer)
    return who
