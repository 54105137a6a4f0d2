"""gradrec_core/critique/parser.py: what the shopper said -> critiques -> neutral/exemplar prompts."""

from __future__ import annotations

import threading

import pytest

from gradrec_core.critique import parser as cmp
from gradrec_core.critique.parser import Critique, PromptPair, item_phrase, parse_critiques, prompts_for

POLO = "blue polo shirt"


def one(text: str, **slots: str | None) -> Critique:
    critiques = parse_critiques(text, **slots)
    assert len(critiques) == 1, critiques
    return critiques[0]


def summary(text: str) -> list[tuple[str, int, float]]:
    return [(c.lemma, c.polarity, c.intensity) for c in parse_critiques(text)]


# --------------------------------------------------------------------------------------
# parse_critiques
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # the utterances from the brief
        ("something darker", [("dark", 1, 1.0)]),
        ("a bit shorter", [("short", 1, 0.5)]),
        ("much more formal", [("formal", 1, 2.0)]),
        ("less flashy", [("flashy", -1, 1.0)]),
        ("can I get it in a lighter shade", [("light", 1, 1.0)]),
        ("not so high", [("high", -1, 1.0)]),
        ("darker and shorter", [("dark", 1, 1.0), ("short", 1, 1.0)]),
        ("less formal", [("formal", -1, 1.0)]),
        ("much darker", [("dark", 1, 2.0)]),
        # shopper shorthand and typos
        ("smth darker", [("dark", 1, 1.0)]),
        ("darker pls", [("dark", 1, 1.0)]),
        ("shorter?", [("short", 1, 1.0)]),
        ("Darker!!", [("dark", 1, 1.0)]),
        ("darkr pls", [("dark", 1, 1.0)]),
        ("les formal", [("formal", -1, 1.0)]),
        # intensity words
        ("slightly longer", [("long", 1, 0.5)]),
        ("a little looser", [("loose", 1, 0.5)]),
        ("a little bit warmer", [("warm", 1, 0.5)]),
        ("a tad darker", [("dark", 1, 0.5)]),
        ("kinda lighter", [("light", 1, 0.5)]),
        ("way more casual", [("casual", 1, 2.0)]),
        ("waaay shorter", [("short", 1, 2.0)]),
        ("a lot brighter", [("bright", 1, 2.0)]),
        ("far cheaper", [("cheap", 1, 2.0)]),
        ("even darker", [("dark", 1, 1.0)]),  # "even" = one more step of the same kind
        ("even much darker", [("dark", 1, 2.0)]),
        ("slightly less formal", [("formal", -1, 0.5)]),
        # direction words
        ("not as tight", [("tight", -1, 1.0)]),
        ("not that bright please", [("bright", -1, 1.0)]),
        ("it's too long", [("long", -1, 1.0)]),
        ("way too flashy", [("flashy", -1, 2.0)]),
        ("it's not dark enough", [("dark", 1, 1.0)]),
        ("something not formal", [("formal", -1, 1.0)]),
        ("more darker", [("dark", 1, 1.0)]),
        ("shorter too", [("short", 1, 1.0)]),  # "too" = also
        # compounds: modifiers belong to their own conjunct
        ("darker but less formal", [("dark", 1, 1.0), ("formal", -1, 1.0)]),
        ("a bit darker and much shorter", [("dark", 1, 0.5), ("short", 1, 2.0)]),
        ("a bit darker and shorter", [("dark", 1, 0.5), ("short", 1, 1.0)]),
        ("darker, shorter & looser", [("dark", 1, 1.0), ("short", 1, 1.0), ("loose", 1, 1.0)]),
        ("darker + shorter", [("dark", 1, 1.0), ("short", 1, 1.0)]),
        ("darker and darker", [("dark", 1, 1.0)]),  # one critique per attribute
        # open vocabulary (spaCy lookup lemmatizer)
        ("greener", [("green", 1, 1.0)]),
        ("redder please", [("red", 1, 1.0)]),
        ("more floral", [("floral", 1, 1.0)]),
        ("less boxy", [("boxy", -1, 1.0)]),
        ("boxier", [("boxy", 1, 1.0)]),
        ("sportier", [("sporty", 1, 1.0)]),
        ("a bit comfier", [("comfy", 1, 0.5)]),
        ("more sporty", [("sporty", 1, 1.0)]),
        ("more animal print", [("animal print", 1, 1.0)]),
        ("a lighter blue", [("light", 1, 1.0)]),  # the colour qualifies the comparative
        # nothing to walk along
        ("more like this", []),
        ("more like the first one", []),
        ("show me another one", []),
        ("", []),
    ],
)
def test_parse(text: str, expected: list[tuple[str, int, float]]) -> None:
    assert summary(text) == expected


def test_critique_fields() -> None:
    c = one("Not so HIGH please")
    assert c == Critique(attribute="high", lemma="high", polarity=-1, intensity=1.0, text="not so high")
    c = one("a bit shorter sleeves")
    assert (c.attribute, c.lemma, c.text) == ("shorter sleeves", "short", "a bit shorter sleeves")
    c = one("it's not dark enough")
    assert (c.polarity, c.text) == (1, "not dark enough")


def test_absolute_colour() -> None:
    c = one("does it come in black?")
    assert c == Critique("black", "black", 1, 1.0, "black", absolute=True)
    assert one("do you have it in navy blue").lemma == "navy blue"
    assert one("any in light pink?").lemma == "light pink"
    assert not one("less red").absolute


def test_slots_fill_what_the_text_lacks() -> None:
    # the text has no critique: the slots alone make it
    assert one("hmm", attribute="darker", intensity="a_bit") == Critique(
        "darker", "dark", 1, 0.5, "a bit darker"
    )
    assert one("", attribute="high", direction="not so").polarity == -1
    assert one("", attribute="lighter shade").lemma == "light"
    c = one("", attribute="boxy", direction="less", intensity="much")
    assert (c.lemma, c.polarity, c.intensity) == ("boxy", -1, 2.0)
    # a modifier the text parse missed comes from the slot
    assert one("darker", intensity="much").intensity == 2.0
    assert one("formal", direction="less").polarity == -1
    # the text wins when it says it
    assert one("a bit darker", intensity="much").intensity == 0.5
    assert one("more formal", direction="less").polarity == 1
    assert parse_critiques("", attribute=None) == []


@pytest.mark.parametrize(
    "value, expected",
    [("a_bit", 0.5), ("a bit", 0.5), ("slightly", 0.5), ("a little", 0.5), ("a tad", 0.5),
     (None, 1.0), ("", 1.0), ("even", 1.0), ("much", 2.0), ("way", 2.0), ("a lot", 2.0),
     ("far", 2.0), ("wayyy", 2.0), ("nonsense", 1.0), (2.0, 2.0)],
)
def test_normalise_intensity(value: str | float | None, expected: float) -> None:
    assert cmp.normalise_intensity(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("more", 1), (None, 1), ("less", -1), ("not so", -1), ("not as", -1), ("too", -1),
     ("fewer", -1), ("not that", -1)],
)
def test_normalise_direction(value: str | None, expected: int) -> None:
    assert cmp.normalise_direction(value) == expected


# --------------------------------------------------------------------------------------
# prompts_for
# --------------------------------------------------------------------------------------


def pair(text: str, phrase: str = POLO, kind: str | None = None) -> PromptPair:
    return prompts_for(one(text), phrase, kind)


@pytest.mark.parametrize(
    "text, phrase, kind, neutral, exemplar, spoken",
    [
        ("something darker", POLO, None, POLO, "dark blue polo shirt", "darker"),
        ("lighter", POLO, None, POLO, "light blue polo shirt", "lighter"),
        ("can I get it in a lighter shade", POLO, None, POLO, "light blue polo shirt", "lighter"),
        ("less formal", POLO, None, POLO, "casual blue polo shirt", "less formal"),
        ("much more formal", POLO, None, POLO, "formal blue polo shirt", "much more formal"),
        ("less flashy", POLO, None, POLO, "muted blue polo shirt", "less flashy"),
        ("a bit shorter", "blue skirt", "skirt", "blue skirt", "short blue skirt", "a bit shorter"),
        ("it's too long", "red skirt", "skirt", "red skirt", "short red skirt", "shorter"),
        ("not so high", "black heels", "heels", "black heels", "low black heels", "lower"),
        ("lower heels", "black heels", "heels", "black heels", "low black heels", "lower heels"),
        ("taller heels?", "black heels", "heels", "black heels", "high black heels", "higher heels"),
        ("higher heels", "black flats", "flats", "black flats", "high-heeled black flats",
         "higher heels"),
        ("shorter sleeves", POLO, None, POLO, "short-sleeved blue polo shirt", "shorter sleeves"),
        ("wider legs", "beige trousers", None, "beige trousers", "wide-legged beige trousers",
         "wider legs"),
        ("tighter", POLO, None, POLO, "tight blue polo shirt", "tighter"),
        ("less tight", POLO, None, POLO, "loose blue polo shirt", "looser"),
        ("less baggy", POLO, None, POLO, "fitted blue polo shirt", "less baggy"),
        ("not as dark", POLO, None, POLO, "light blue polo shirt", "lighter"),
        ("cheaper", POLO, None, POLO, "cheap blue polo shirt", "cheaper"),
        # the item phrase already says it: swap the opposite word, or intensify the same one
        ("lighter", "dark blue polo shirt", None, "dark blue polo shirt", "light blue polo shirt",
         "lighter"),
        ("darker", "dark blue polo shirt", None, "dark blue polo shirt",
         "very dark blue polo shirt", "darker"),
        ("paler", "deep red dress", None, "deep red dress", "pale red dress", "paler"),
        ("shorter", "Long Red Skirt", None, "long red skirt", "short red skirt", "shorter"),
        # open vocabulary
        ("greener", POLO, None, POLO, "green blue polo shirt", "greener"),
        ("more floral", POLO, None, POLO, "floral blue polo shirt", "more floral"),
        ("boxier", POLO, None, POLO, "boxy blue polo shirt", "boxier"),
        ("a bit sportier", POLO, None, POLO, "sporty blue polo shirt", "a bit sportier"),
        # absolute colour: swap the colour when the kind is known
        ("does it come in black", POLO, "polo shirt", POLO, "black polo shirt", "in black"),
        ("in navy blue?", "white t-shirt", "t-shirt", "white t-shirt", "navy blue t-shirt",
         "in navy blue"),
        ("in black", POLO, None, POLO, "black polo shirt", "in black"),
        ("in black", "light pink dress", None, "light pink dress", "black dress", "in black"),
        ("in red", "dusty teal dress", None, "dusty teal dress", "red dress", "in red"),
        ("in red", "puce dress", None, "puce dress", "red puce dress", "in red"),  # unknown colour
    ],
)
def test_prompts(text: str, phrase: str, kind: str | None, neutral: str, exemplar: str,
                 spoken: str) -> None:
    p = pair(text, phrase, kind)
    assert (p.neutral, p.exemplar, p.phrase) == (neutral, exemplar, spoken)
    assert p.reverse is False
    assert p.oriented() == (neutral, exemplar)


def test_prompt_pair_fields() -> None:
    assert pair("much darker") == PromptPair(
        neutral=POLO, exemplar="dark blue polo shirt", attribute="dark", intensity=2.0,
        phrase="much darker", reverse=False, dimension="shade",
    )
    assert pair("not so high", "black heels").dimension == "height"
    assert pair("less formal").attribute == "formal"
    assert pair("more floral").dimension == "floral"


def test_less_of_an_unknown_attribute_reverses_the_walk() -> None:
    p = pair("less boxy")
    assert p == PromptPair(POLO, "boxy blue polo shirt", "boxy", 1.0, "less boxy", True, "boxy")
    assert p.oriented() == ("boxy blue polo shirt", POLO)  # walk from "boxy X" toward "X"
    q = pair("a bit less red", "red dress")
    # the item already says "red": walk toward the phrase without it, no reversal needed
    assert (q.neutral, q.exemplar, q.reverse, q.phrase) == ("red dress", "dress", False,
                                                             "a bit less red")
    r = pair("way less floral")
    assert (r.exemplar, r.reverse, r.phrase) == ("floral blue polo shirt", True, "much less floral")


def test_compound_critique_gives_one_pair_each() -> None:
    pairs = [prompts_for(c, "red skirt", "skirt") for c in parse_critiques("darker and shorter")]
    assert [(p.neutral, p.exemplar) for p in pairs] == [
        ("red skirt", "dark red skirt"),
        ("red skirt", "short red skirt"),
    ]


# --------------------------------------------------------------------------------------
# item_phrase
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata, category, text, expected",
    [
        ({"color_name": "blue", "kind": "polo shirt"}, "tops", "whatever", "blue polo shirt"),
        ({"color_name": "Dark Blue", "kind": "polo_shirt"}, None, "", "dark blue polo shirt"),
        ({"color_name": "navy", "kind": "navy coat"}, None, "", "navy coat"),
        ({"kind": "heels"}, None, "Red stilettos", "heels"),
        ({"color_name": "red"}, "skirt", "", "red skirt"),
        ({}, None, "The Harbour Piqué Polo Shirt, slim fit. A classic.", "harbour piqué polo shirt"),
        ({}, None, "A very long product title with far too many words in it", "very long product title with far"),
        ({"color_name": "teal"}, None, "Cotton tee - relaxed", "teal cotton tee"),
        (None, None, "", "item"),
    ],
)
def test_item_phrase(metadata: dict | None, category: str | None, text: str, expected: str) -> None:
    assert item_phrase(metadata, category, text) == expected  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# spaCy: lazy, once, thread-safe
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, lemma",
    [("darker", "dark"), ("greener", "green"), ("boxier", "boxy"), ("flashier", "flashy"),
     ("redder", "red"), ("bluer", "blue"), ("comfier", "comfy"), ("silver", "silver"),
     ("floral", "floral"), ("wider", "wide")],
)
def test_lemmatise(word: str, lemma: str) -> None:
    assert cmp.lemmatise(word) == lemma


def test_spacy_is_loaded_once_across_threads() -> None:
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(cmp._nlp())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in results}) == 1
    assert results[0] is not None


def test_import_does_not_load_spacy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gradrec_core.critique.parser as c; "
        "assert 'spacy' not in sys.modules, 'spacy imported at import time'; "
        "c.parse_critiques('darker and shorter'); "
        "assert 'spacy' not in sys.modules, 'lexicon words need no spaCy'; "
        "c.parse_critiques('greener'); assert 'spacy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("said, phrase, exemplar", [
    ("more revealing", "more revealing", "revealing blue dress"),  # not "more reveal"
    ("much more flattering", "much more flattering", "flattering blue dress"),
    ("less revealing", "less revealing", "revealing blue dress"),  # walked away from
    ("greener", "greener", "green blue dress"),  # a comparative said: its lemma in the prompt
    ("more floral", "more floral", "floral blue dress"),
])
def test_open_vocabulary_keeps_the_adjective_said(said: str, phrase: str, exemplar: str) -> None:
    [c] = parse_critiques(said)
    pair = prompts_for(c, "blue dress")
    assert (pair.phrase, pair.exemplar) == (phrase, exemplar)
