"""Write the NLU's templated training examples, and the held-out set the tests parse.

    python scripts/make_nlu_data.py              # data/nlu/templated.yml and tests/nlu_heldout.yml

Why templates: one Rasa model serves every shop, so an intent must be decided by what a sentence
does ("show me ... instead", "anything from ...?", "go back"), never by the product words in it.
The examples put a broad vocabulary of many shops (scripts/nlu_vocabulary.py: hundreds of kinds,
invented and real-looking brands, CSS/XKCD and retail colour names, materials, occasions) into
everyday phrasings, so no product word is a cue for an intent. Sentences that name an item are
`search_item` (a new item described) or `refine` (about the item shown: a kind change, a brand, a
colour, a material, an occasion), both of which reach the planner; the control intents (another,
undo, choose, restart, repeat, describe, greet, goodbye, thanks, help) get only their own
phrasings, and the item sentences include the ones that share their words ("I'd rather have
backpacks", "do you have this by <brand>?", "I want it for a wedding", "I'll take it in black").

The held-out set (tests/nlu_heldout.yml) uses another seed, control phrasings no training
example has, and the held-out part of the vocabulary (kinds and brands no training example
contains), plus the misfires the issue reported. Deterministic: run it again, get the same files.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nlu_vocabulary as V  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRAIN_OUT = ROOT / "data" / "nlu" / "templated.yml"
HELDOUT_OUT = ROOT / "tests" / "nlu_heldout.yml"
TRAIN_SEED = 18
HELDOUT_SEED = 1018
HELD_OUT_SHARE = 0.2  # of kinds, brands and colours kept out of training

# Intents whose action changes the shopper's state (actions/actions.py asks for high confidence).
STATE_CHANGING = ("choose", "undo", "restart")


class Vocabulary:
    """One side (training or held-out) of the shop vocabulary. The training side drops every
    value that contains a held-out kind or brand as whole words ("kitten heels" when "heels" is
    held out), so no training example can name one."""

    def __init__(self, held_out: bool) -> None:
        kinds = V.split(V.all_kinds(), HELD_OUT_SHARE, V.HELD_OUT_KINDS)
        brands = V.split(list(V.REAL_BRANDS) + V.invented_brands(500, seed=7), HELD_OUT_SHARE, V.HELD_OUT_BRANDS)
        colours = V.split(V.colours(), HELD_OUT_SHARE)
        self.held_out_pattern = V.phrase_pattern(kinds[1] + brands[1])
        side = 1 if held_out else 0

        def keep(values: list[str]) -> list[str]:
            return values if held_out else [x for x in values if not self.held_out_pattern.search(x)]

        self.kinds = keep(kinds[side])
        self.brands = keep(brands[side])
        self.colours = keep(colours[side])
        self.materials = keep(list(V.MATERIALS))
        self.occasions = keep(list(V.OCCASIONS))
        self.styles = keep(list(V.OCCASION_WORDS))


# ------------------------------------------------------------------------------------ items

_SEARCH_LEADS = ("show me", "show me some", "find me", "i'm looking for", "im looking for", "looking for",
                 "i need", "i want", "i want to buy", "do you have", "do you sell", "have you got", "got any",
                 "search for", "can you find", "can u find me", "i'd like", "i'm after", "gimme", "any",
                 "", "", "", "let me see", "i'm shopping for", "please show", "get me", "need", "want",
                 "hi, do you have", "hello, i'm looking for", "start over with", "let's start again with",
                 "forget it, show me", "new search:", "could you show me",
                 "help me find", "is there any", "where can i find", "shop for", "browse", "i'd like some",
                 "i want", "i need", "want", "i'd like", "i'm looking for")


def _article(np: str) -> str:
    return "an" if np[:1] in "aeiou" else "a"


def _noun_phrase(rng: random.Random, v: Vocabulary, plural: bool | None = None) -> str:
    """A described item: '[gender] [colour] [material] kind [by brand] [for occasion]'."""
    kind = rng.choice(v.kinds)
    many = rng.random() < 0.45 if plural is None else plural
    words = []
    if rng.random() < 0.25:
        words.append(V.GENDER_POSSESSIVE[rng.choice(V.GENDERS)])
    if rng.random() < 0.2:
        words.append(rng.choice(v.styles))
    if rng.random() < 0.5:
        words.append(rng.choice(v.colours))
    if rng.random() < 0.2:
        words.append(rng.choice(v.materials))
    words.append(V.plural(kind) if many else kind)
    if rng.random() < 0.2:
        words.insert(0, rng.choice(v.brands))
    np = " ".join(words)
    if not many and rng.random() < 0.6:
        np = f"{_article(np)} {np}"
    tail = rng.random()
    if tail < 0.12:
        np += f" by {rng.choice(v.brands)}"
    elif tail < 0.22:
        np += f" for {rng.choice(v.occasions)}"
    elif tail < 0.27:
        np += f" for {rng.choice(V.GENDERS)}"
    elif tail < 0.3:
        np += f" from {rng.choice(v.brands)}"
    return np


def _product_name(rng: random.Random, v: Vocabulary) -> str:
    """A product's own name, as catalogues write it: 'Brand Women Casual Beige Heels'."""
    parts = [rng.choice(v.brands)]
    if rng.random() < 0.8:
        parts.append(rng.choice(V.GENDERS).title())
    if rng.random() < 0.5:
        parts.append(rng.choice(v.styles).title())
    if rng.random() < 0.7:
        parts.append(rng.choice(v.colours).title())
    if rng.random() < 0.3:
        parts.append(rng.choice(v.materials).title())
    parts.append(V.plural(rng.choice(v.kinds)).title() if rng.random() < 0.5 else rng.choice(v.kinds).title())
    return " ".join(parts)


def search_sentence(rng: random.Random, v: Vocabulary) -> str:
    """A new item described: with a search lead ("show me ...", "I'm looking for ...") or alone
    ("black dress", a product's own name)."""
    if rng.random() < 0.2:
        lead = rng.choice(("show me", "find", "", "", "i want the", "do you have the", "search", "looking for"))
        return f"{lead} {_product_name(rng, v)}".strip()
    lead = rng.choice(_SEARCH_LEADS)
    end = rng.choice(("", "", "", "?", " please", " pls", "!"))
    return f"{lead} {_noun_phrase(rng, v)}{end}".strip()


# Sentences about the item shown, each naming one thing: {k} kinds (plural), {b} a brand,
# {c} a colour, {m} a material, {o} an occasion, {s} a style word, {g} a gender.
_REFINE_TEMPLATES = (
    # kind changes
    "show me {k} instead", "{k} instead", "what about {k}?", "how about {k}", "i'd rather have {k}",
    "id rather have {k}", "i would prefer {k}", "do you have {k} like this?", "same style but {k}",
    "any {k} like this one?", "actually, {k}", "can i see {k} in this style", "something like this but {k}",
    "rather {k} than this", "not this, {k}", "i'd prefer {k} please", "got {k} like this?",
    "make it {k}", "switch to {k}", "i'd rather see {k}", "what about {k} instead?", "maybe {k}?",
    "show me {k} like this", "any matching {k}?", "same but in {k}", "change it to {k}",
    "do you have {k} like this one", "i'd like {k} like this", "similar {k}?", "{k} in the same style",
    "this but as {k}", "how about {k} like this?", "i'd go for {k}", "are there {k} like it?",
    # brands
    "anything from {b}?", "do you have this by {b}?", "do you have this by {b}", "by {b}", "from {b}",
    "any {b}?", "is there one by {b}", "same thing from {b}", "got anything by {b}?", "i prefer {b}",
    "what about {b}?", "show me {b} instead", "anything by {b}", "do you have {b}?", "one from {b} please",
    "any {b} ones?", "i'd rather have {b}", "same kind from {b}", "this but by {b}", "is {b} available?",
    "{b}?", "i like {b}, anything from them?", "do they make this at {b}?", "is it by {b}?",
    "anything like this from {b}?", "{b} please", "the {b} one", "is there a {b} one?", "any by {b}?",
    "same brand?", "same brand please", "a different brand", "other brands?", "from another brand",
    # colours
    "does it come in {c}?", "in {c}", "any in {c}?", "got this in {c}?", "{c} instead", "same in {c}",
    "i'd rather have it in {c}", "can i get it in {c}", "the {c} one", "do you have it in {c}",
    "show me this in {c}", "is there a {c} one?", "what about {c}?", "{c} please", "i want it in {c}",
    "i'll take it in {c}", "i'd take it in {c}", "another one in {c}", "go back to the {c} one",
    "this one but in {c}", "perfect, but in {c}?", "same thing in {c} please", "make it {c}",
    "i want this in {c}", "more like {c}", "a {c} version", "{c}?", "is it available in {c}?",
    "put it in {c}", "could it be {c}", "how about in {c}",
    # materials
    "in {m}", "made of {m}", "do you have it in {m}?", "a {m} one", "is there one in {m}",
    "same but {m}", "i want it in {m}", "something in {m}", "got it in {m}?",
    # occasions
    "i want it for {o}", "i need it for {o}", "something for {o}", "one for {o}", "is there one for {o}?",
    "what can i wear to {o}?", "i want one for {o}", "good for {o}?", "i'll take one for {o}",
    "i'd like it for {o}", "it's for {o}", "something suitable for {o}", "anything for {o}?",
    "is this good for {o}?", "i need one for {o}", "will it work for {o}?", "a version for {o}",
    "a {s} one", "something {s}", "make it {s}", "i want a {s} one", "the {s} version",
    "do you have a {s} one?", "i'd rather have something {s}",
    # genders
    "the {g} version", "for {g}", "do you have it for {g}?", "is there a {g} one", "i want the {g} one",
    "same for {g}", "show me the {g} version",
    # two at once
    "{c} {k} instead", "in {c} and by {b}", "do you have {c} {k} like this?", "same brand but {k}",
    "{b} {k} instead",
)


def refine_sentence(rng: random.Random, v: Vocabulary, templates: Sequence[str] = _REFINE_TEMPLATES) -> str:
    """A sentence about the item shown. A brand or colour alone ("Diesel please", "sage green?")
    is here: whether it names a brand, a colour or a kind is the shop's vocabulary, which only
    the planner knows; with no item shown yet, action_refine searches with it."""
    t = rng.choice(templates)
    gender = rng.choice(V.GENDERS)
    return t.format(k=V.plural(rng.choice(v.kinds)), b=rng.choice(v.brands), c=rng.choice(v.colours),
                    m=rng.choice(v.materials), o=rng.choice(v.occasions), s=rng.choice(v.styles),
                    g=rng.choice((gender, V.GENDER_POSSESSIVE[gender])))


_ASK_TEMPLATES = ("what colours does the {k1} come in?", "how much is this {k1}?", "what is the {k1} made of?",
                  "which colours do these {k} come in", "what's the price of the {k1}?",
                  "does this {k1} come in other colours?", "what material are the {k}?", "how much are the {k}?")


def ask_sentence(rng: random.Random, v: Vocabulary) -> str:
    kind = rng.choice(v.kinds)
    return rng.choice(_ASK_TEMPLATES).format(k1=kind, k=V.plural(kind))


# ------------------------------------------------------------------------------------ control

# Each intent's own phrasings: the training bases, and bases only the held-out set has.
CONTROL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "another": (("show me another one", "another one", "another", "next", "next one", "next please",
                 "something else like this", "a different one", "show me a different one", "give me another",
                 "got anything similar?", "not this one, something similar", "skip", "anything else?",
                 "keep going", "other options?", "another option please", "more like this", "show me one more",
                 "different one", "i don't like it, show another", "one more", "show me something else",
                 "other ones?", "something else like it", "show me others like this",
                 "what else do you have like this", "any others?", "next!", "show another", "try another"),
                ("any other ones like it?", "give me a different one", "skip this one", "what else is there?",
                 "show me the next one", "nah, next", "one more please")),
    "undo": (("go back", "the previous one was better", "undo", "back", "previous", "previous one",
              "take me back", "can you go back", "i liked the last one more", "that was worse, go back",
              "revert", "back to the last one", "undo that", "prev", "return to the previous item",
              "the one before was nicer", "oops go back", "nope, go back one step", "i preferred the earlier one",
              "step back", "go back one", "back please", "undo the last change", "show me the last one again",
              "i want the previous one back", "let's go back", "the earlier one was better"),
             ("go back to the previous one", "undo please", "that last change was bad, undo it",
              "can we go back?", "bring back the last one", "previous item please", "i liked the one before")),
    "choose": (("i'll take it", "ill take it", "i'll buy this one", "add it to my cart", "add to basket",
                "this one", "perfect", "that's the one", "i want this", "love it, i'll take it", "buy",
                "sold!", "yes this one", "i'll go with this", "take it", "checkout", "id take that",
                "i choose this one", "great i'll get it", "that's perfect, buying it", "i'll have it",
                "i'll get this", "add this to my bag", "buy it", "i'll order this one", "that's it, i'll take it",
                "yes, i want this one", "this is the one", "i'll buy it", "put it in the basket",
                "add to cart", "put this in my bag", "in the cart please", "i'll pay for this one",
                "take this one", "i'll go for it"),
               ("i'll take this one", "put it in my cart", "ok i'll buy that", "i'm buying this",
                "yes, this is perfect, i'll take it", "let me buy it", "i'll grab this one")),
    "restart": (("start over", "restart", "reset", "new search", "begin again", "from scratch",
                 "clear everything", "let's start again", "start from the beginning", "restart please",
                 "start again", "forget it, start over", "new session", "reset everything", "let's start fresh",
                 "wipe it and start over", "start a new search", "scrap that, start over", "begin from scratch",
                 "let's start over", "reset please", "clear it all"),
                ("can we start over?", "let's begin again", "start all over again", "reset the search",
                 "i want to start from scratch", "clear and restart")),
    "repeat": (("repeat that", "repeat that please", "can you repeat that?", "could you repeat that",
                "say that again", "say it again please", "sorry, say that again?", "come again?", "pardon?",
                "i didn't catch that", "i didn't hear you", "what did you say?", "repeat", "once more please",
                "one more time", "say again", "sorry?", "what was that again", "missed it, say again",
                "i didn't get what you said", "what did you just say", "sorry, i didn't hear"),
               ("could you say that again?", "sorry, what was that?", "repeat please", "i missed that")),
    "describe": (("what is it?", "what is it", "what's this?", "what is this one", "what am i looking at?",
                  "tell me about it", "tell me about this one", "describe it", "describe it to me",
                  "what is that item", "which one is it?", "what did you find?", "what have you got for me",
                  "remind me what it is", "what's that", "what is this"),
                 ("what's this one?", "describe this one", "tell me what it is", "what are you showing me?")),
    "greet": (("hi", "hello", "hey", "hey there", "hi there", "hiya", "heya", "hii", "helo", "hello!",
               "good morning", "good evening", "good afternoon", "morning", "yo", "howdy", "hi bot", "hey hey",
               "hello there shop", "hey, anyone there?", "hi!", "hello hello"),
              ("hey bot", "good morning to you", "hiya there", "hallo", "hey u", "hi again")),
    "goodbye": (("bye", "goodbye", "bye bye", "bye!", "see you", "see ya later", "cya", "ciao", "good night",
                 "gotta go", "ok bye", "thanks, bye", "thx bye", "talk later", "farewell", "im off now",
                 "catch you later", "leaving now, bye", "night night", "thats all for today, bye",
                 "thank you, goodbye", "thanks, that's all", "cheers, bye", "thanks and bye", "that's all, thanks"),
                ("bye for now", "see you soon", "ok thanks bye", "goodbye!", "gotta run, bye", "thanks, see you",
                 "thank you, bye")),
    "thanks": (("thanks", "thanks!", "thank you", "thank you!", "thx", "ty", "cheers", "ta", "thanks a lot",
                "thank you so much", "many thanks", "much appreciated", "great, thanks", "nice, thanks",
                "cool thanks", "thanks for the help", "that's helpful, thanks", "awesome, thank you",
                "thanks, that's nice", "thank u", "tysm", "thanks a bunch", "appreciate it"),
               ("thanks so much!", "thank you very much", "oh nice, thanks", "thankyou", "great, thank you!",
                "thanks, good one")),
    "help": (("help", "help!", "help me", "help pls", "what can you do", "what can you do?", "how does this work",
              "how do i use this", "what can i say", "what are my options", "what do you do", "how do i search",
              "i'm confused", "im lost", "can you help me", "explain how this works", "instructions please",
              "what commands are there", "how do i ask for changes", "how does it work?",
              "what should i say", "what do i say to you"),
             ("how do i use you", "what can i ask you", "i need help", "how does this thing work",
              "what am i supposed to say", "help please")),
}
# Fillers around a control phrase (they never carry the intent).
_PREFIXES = ("", "", "", "", "ok ", "okay, ", "hmm ", "um ", "great, ", "nah, ", "actually ", "alright, ",
             "well ", "so ", "yes ")
_SUFFIXES = ("", "", "", "", " please", " pls", "!", " now", ".", " thanks", " ok?", " then")
_FILLER_FREE = ("greet", "goodbye", "thanks")  # "ok hi please" is not how anyone talks
_NOT_WITH_THANKS = ("thanks", "goodbye", "greet", "help", "repeat")


def control_sentences(rng: random.Random, intent: str, bases: Sequence[str], n: int) -> list[str]:
    out = list(bases)
    if intent in _FILLER_FREE:
        return out
    for _ in range(n):
        suffix = rng.choice(_SUFFIXES)
        if suffix == " thanks" and intent in _NOT_WITH_THANKS:
            suffix = ""
        out.append(f"{rng.choice(_PREFIXES)}{rng.choice(bases)}{suffix}".strip())
    return out


# ------------------------------------------------------------------------------------ the sets

# The misfires the issue reported (the brand and kind placeholders filled from the held-out side).
MISFIRES = (
    ("refine", "I'd rather have backpacks"),
    ("refine", "do you have this by {b}?"),
    ("refine", "anything from {b}?"),
    ("search_item", "show me {b} Women Casual Beige Heels"),
    ("refine", "show me shirts instead"),
    ("refine", "I want it for a wedding"),
    ("refine", "do you have this by Nike?"),
    ("refine", "anything from Puma?"),
    ("refine", "show me sandals instead"),
    ("refine", "what about backpacks?"),
    ("refine", "do you have shirts like this?"),
    ("refine", "by Nike"),
    ("refine", "got this in navy?"),
    ("refine", "one for the gym"),
    ("refine", "show me loafers instead"),
)


def _unique(items: list[str], seen: set[str]) -> list[str]:
    out = []
    for s in items:
        key = " ".join(s.lower().split())
        if key and key not in seen:
            seen.add(key)
            out.append(s)
    return out


def build(held_out: bool, seed: int, sizes: dict[str, int], exclude: Sequence[str] = ()) -> dict[str, list[str]]:
    """Examples per intent. `sizes`: item sentences per item intent and fillers per control
    intent; `exclude`: texts left out (the held-out set leaves out every training text)."""
    rng = random.Random(seed)
    v = Vocabulary(held_out)
    seen: set[str] = {" ".join(t.lower().split()) for t in exclude}
    out: dict[str, list[str]] = {}

    def many(make: Callable[[random.Random, Vocabulary], str], n: int) -> list[str]:
        return _unique([make(rng, v) for _ in range(n)], seen)

    out["search_item"] = many(search_sentence, sizes["search_item"])
    out["refine"] = many(refine_sentence, sizes["refine"])
    out["ask"] = many(ask_sentence, sizes["ask"])
    for intent, (train_bases, held_bases) in CONTROL.items():
        bases = held_bases if held_out else train_bases
        out[intent] = _unique(control_sentences(rng, intent, bases, sizes["control"]), seen)
    if held_out:
        brand = rng.choice(v.brands)
        for intent, text in MISFIRES:
            out[intent] += _unique([text.format(b=brand)], seen)
    return out


TRAIN_SIZES = {"search_item": 1000, "refine": 1400, "ask": 40, "control": 40}
HELDOUT_SIZES = {"search_item": 150, "refine": 250, "ask": 10, "control": 10}


def to_yaml(examples: dict[str, list[str]], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ['version: "3.1"', "nlu:"]
    for intent, texts in examples.items():
        if not texts:
            continue
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {t}" for t in texts]
        lines.append("")
    return "\n".join(lines)


TRAIN_HEADER = ("Generated by scripts/make_nlu_data.py (seed 18, the training vocabulary): do not edit.\n"
                "Hand-written examples (the comparatives' entities, questions, out of scope) are in the other files.")
HELDOUT_HEADER = ("Generated by scripts/make_nlu_data.py (seed 1018, the held-out vocabulary): do not edit.\n"
                  "Kinds and brands here are in no training example (tests/test_nlu_heldout.py checks it);\n"
                  "parsed by tests/test_nlu_heldout.py and benchmarks/nlu_heldout.py.")


def _hand_held_out() -> list[str]:
    """The hand-written held-out examples (tests/nlu_test.yml): no training example may be one."""
    import re

    import yaml

    path = ROOT / "tests" / "nlu_test.yml"
    markup = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
    return [markup.sub(r"\1", line.strip()[2:]) for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", [])
            for line in str(block.get("examples", "")).splitlines() if line.strip().startswith("- ")]


def training_and_heldout() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    train = build(False, TRAIN_SEED, TRAIN_SIZES, exclude=_hand_held_out())
    held = build(True, HELDOUT_SEED, HELDOUT_SIZES, exclude=[t for texts in train.values() for t in texts])
    return train, held


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-out", type=Path, default=TRAIN_OUT)
    ap.add_argument("--heldout-out", type=Path, default=HELDOUT_OUT)
    args = ap.parse_args(argv)
    train, held = training_and_heldout()
    args.train_out.write_text(to_yaml(train, TRAIN_HEADER))
    args.heldout_out.write_text(to_yaml(held, HELDOUT_HEADER))
    print(f"wrote {args.train_out} and {args.heldout_out}")


if __name__ == "__main__":
    main()
