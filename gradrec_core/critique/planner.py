"""What the shopper said about the current item -> a typed plan the engine executes.

    plan = plan_turn(item, "shorter, in black", entities={}, schema=engine.index.schema)
    plan.kind == "critique"; plan.ops == [Comparative(...length...), Require("hue_family", ("black",))]

Critique kinds (one plan may hold several: a compound critique is one step):

- comparative: "darker", "a bit shorter", "much more formal", "not so high", "greener" ->
  `Comparative` (GradREC prompts from the item's phrase, the lexicon's poles and opposite);
- structured, on the catalog's price column: "cheaper", "more expensive" -> `NumericComparative`;
  "under 50", "over 100", "between 40 and 60" -> `Range`; a catalog without a price column gets
  no op for them: they are named in `Plan.unknown` (never guessed from the item texts);
- substitution: "does it come in black?", "in leather", "with long sleeves", "a floral one" ->
  `Require` on the attribute column holding that value (the one with the fewest values when
  several do: "black" is a colour family before it is a colour name); with no such column,
  `RequireText` (the item's text must say it; prompts with the value put in);
- question: "what colours does it come in?", "how much is it?", "what is it made of?" -> a
  `Question` on the matching column.

Columns are found through the index's schema (`gradrec_core.schema`), never by a catalog's
column names: a column answers "colour" when its name says colour/color (else when its values
are colour names, as in a "shade" column), "made of" when it says material/fabric, and so on
(English words, any shop).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

from ..ops import ChangeKind, Comparative, Different, Exclude, NumericComparative, Op, Range, Require, RequireText
from ..schema import CatalogSchema, column_words
from ..types import Item
from . import parser as P

log = logging.getLogger(__name__)

MAX_ENTITY_CHARS = 40
MAX_TEXT_CHARS = 300


@dataclass(frozen=True)
class Question:
    topic: str  # "colour", "material", "price", "pattern", ... (what was asked about)
    column: str | None  # the schema column that answers it (None: answered from retrieval)
    numeric: bool = False


@dataclass(frozen=True)
class Plan:
    kind: str  # "critique" | "question" | "search" (a whole new item described) | "none"
    ops: tuple[Op, ...] = ()
    question: Question | None = None
    phrases: tuple[str, ...] = ()  # what each operation asked, as a reply says it: "darker", "in black"
    refused: tuple[str, ...] = ()  # entity values refused (not short strings), named for the log/reply
    already: tuple[str, ...] = ()  # substitutions the current item already satisfies
    unknown: tuple[str, ...] = ()  # what was asked of data the catalog lacks: "cheaper" with no prices
    no_such_brand: str = ""  # a name said after "by"/"from" that is none of the shop's brands
    query: str = ""  # a "search" plan's text
    search_kind: str = ""  # a "search" plan's kind, when it names exactly one

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "steps": [dataclasses.asdict(op) for op in self.ops],
            "question": dataclasses.asdict(self.question) if self.question else None,
            "phrases": list(self.phrases),
            "refused": list(self.refused),
            "already": list(self.already),
            "unknown": list(self.unknown),
            **({"no_such_brand": self.no_such_brand} if self.no_such_brand else {}),
            **({"query": self.query, "search_kind": self.search_kind} if self.kind == "search" else {}),
        }


# ------------------------------------------------------------------------------ columns

_TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "colour": ("colour", "color", "colours", "colors", "shade", "shades"),
    "material": ("material", "materials", "fabric", "fabrics", "made"),
    "pattern": ("pattern", "patterns", "print", "prints"),
    "price": ("price", "cost", "much"),
    "size": ("size", "sizes"),
    "fit": ("fit", "fits", "cut"),
    "style": ("style", "styles", "occasion", "usage"),
    "brand": ("brand", "brands", "make", "label", "maker"),
}
_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "colour": ("colour", "color", "colours", "colors", "hue"),
    "material": ("material", "fabric", "materials"),
    "pattern": ("pattern", "print"),
    "size": ("size",),
    "fit": ("fit",),
    "style": ("style", "usage", "occasion", "formality"),
    "brand": ("brand", "manufacturer", "maker", "designer", "vendor", "label"),
}


def topic_column(schema: CatalogSchema, topic: str) -> tuple[str | None, bool]:
    """The schema column about `topic`: (name, numeric). Among several, the one with the fewest
    distinct values (the colour family answers "what colours" better than 600 colour names)."""
    found: tuple[str | None, bool] = schema.memo(f"topic:{topic}", lambda s: _topic_column(s, topic))
    return found


def _topic_column(schema: CatalogSchema, topic: str) -> tuple[str | None, bool]:
    if topic == "price":
        price = schema.price
        return (price.name, True) if price else (None, True)
    words = _COLUMN_WORDS.get(topic, (topic,))
    matches = [c for c in schema.attributes if set(column_words(c.name)) & set(words)]
    if matches:
        best = min(matches, key=lambda c: (len(c.values), c.name))
        return best.name, False
    numeric = [c for c in schema.numeric if set(column_words(c.name)) & set(words)]
    if numeric:
        return numeric[0].name, True
    if topic == "colour":  # a column under another name ("shade", "finish") whose values are colours
        coloured = [c for c in schema.attributes if c.values and _mostly_colours(c.values)]
        if coloured:
            return min(coloured, key=lambda c: (len(c.values), c.name)).name, False
    return None, False


def _mostly_colours(values: Iterable[str], share: float = 0.8) -> bool:
    """True when at least `share` of the values are colour names as a whole ('navy', 'dark red')."""
    split = [str(v).lower().split() for v in values]
    named = sum(1 for words in split if words and P._colour_span(words, 0) == len(words))
    return named >= share * len(split)


def item_phrase(item: Item, schema: CatalogSchema) -> str:
    """A short noun phrase for prompts: '<colour family> <kind>' when the catalog has a colour
    column and a kind, else the first words of the item's name."""
    kind = (item.category or "").strip().lower()
    colour_col, _ = topic_column(schema, "colour")
    colour = str(item.metadata.get(colour_col) or "").strip().lower() if colour_col else ""
    if kind:
        return f"{colour} {kind}".strip() if colour and colour not in kind else kind
    name = str(item.metadata.get(schema.name_column) or item.text) if schema.name_column else item.text
    return P.item_phrase({}, None, name)


# ------------------------------------------------------------------------------ patterns

_QUESTION_RE = re.compile(
    r"^\s*(what|which|how|is it|does it|do you|can i|tell me|show me the|any other)\b.*"
    r"\b(colou?rs?|shades?|materials?|fabrics?|made of|made from|patterns?|prints?|price|cost|how much|"
    r"sizes?|fits?|options?|styles?|brands?)\b",
    re.IGNORECASE)
_QUESTION_STARTS = re.compile(r"^\s*(what|which|how much|how expensive|what's|whats)\b", re.IGNORECASE)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_CURRENCY = r"(?:[$€£]\s*)?"
_UNIT = r"(?:\s*(?:dollars?|euros?|pounds?|bucks|usd|eur|gbp|quid))?"
_BETWEEN_RE = re.compile(rf"\bbetween\s+{_CURRENCY}{_NUMBER}{_UNIT}\s+and\s+{_CURRENCY}{_NUMBER}\b", re.I)
_RANGE_RE = re.compile(rf"{_CURRENCY}{_NUMBER}{_UNIT}\s*(?:-|to|–)\s*{_CURRENCY}{_NUMBER}{_UNIT}", re.I)
_UNDER_RE = re.compile(rf"\b(under|below|less than|cheaper than|no more than|at most|max(?:imum)?|up to|"
                       rf"within|not over|not more than)\s+{_CURRENCY}{_NUMBER}", re.I)
_OVER_RE = re.compile(rf"\b(over|above|more than|at least|min(?:imum)?|from)\s+{_CURRENCY}{_NUMBER}", re.I)
_SUBSTITUTION_CUES = re.compile(
    r"\b(in|come in|comes in|available in|have it in|with|without|a|an|any|same in|same but|same one in|"
    r"instead|version|one|ones|option)\b", re.IGNORECASE)


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def _price_ops(text: str, schema: CatalogSchema) -> tuple[list[Op], list[str], str]:
    """Budget phrases -> Range on the price column; returns (ops, phrases, text left over).
    Without a price column the phrases are still found and taken out of the text (the caller
    names them as unknown); no op is made."""
    price = schema.price
    ops: list[Op] = []
    phrases: list[str] = []

    def add(lo: float | None, hi: float | None, said: str) -> None:
        phrases.append(said)
        if price is not None:
            ops.append(Range(price.name, lo, hi, said))

    m = _BETWEEN_RE.search(text) or _RANGE_RE.search(text)
    if m:
        lo, hi = sorted((_num(m.group(1)), _num(m.group(2))))
        add(lo, hi, f"between {lo:g} and {hi:g}")
        return ops, phrases, text[: m.start()] + " " + text[m.end():]
    m = _UNDER_RE.search(text)
    if m:
        hi = _num(m.group(2))
        add(None, hi, f"under {hi:g}")
        text = text[: m.start()] + " " + text[m.end():]
    m = _OVER_RE.search(text)
    if m:
        lo = _num(m.group(2))
        add(lo, None, f"over {lo:g}")
        text = text[: m.start()] + " " + text[m.end():]
    return ops, phrases, text


def _tokens(text: str) -> list[str]:
    """Words as catalog values are matched: hyphens split ("polka-dot" -> polka, dot)."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower().replace("’", "'"))


def _value_words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s_\-/]+", value.lower()) if w]


@dataclass
class _Substitution:
    column: str | None
    values: tuple[str, ...]
    said: str
    start: int
    end: int


def _find_substitutions(tokens: list[str], schema: CatalogSchema, critique_words: set[str],
                        kind_words: set[str]) -> list[_Substitution]:
    """Catalog values named in the message ("black", "leather", "long sleeves"), longest first.
    A value only counts as a substitution with a cue ("in", "with", "a ... one") or when the
    message is little more than the value; words a comparative uses are left to it."""
    found: list[_Substitution] = []
    taken = [False] * len(tokens)
    by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = schema.memo("value_words", _values_by_first_word)
    by_span: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for i, token in enumerate(tokens):
        for words, column, value in by_first.get(token, ()):
            n = len(words)
            if tuple(tokens[i:i + n]) == words:
                by_span.setdefault((i, i + n), []).append((column, value))
    spans = sorted(by_span, key=lambda s: (-(s[1] - s[0]), s[0]))
    for start, end in spans:
        if any(taken[start:end]):
            continue
        words = tokens[start:end]
        hits = by_span[(start, end)]
        nxt = tokens[end] if end < len(tokens) else ""
        # a noun after the value picks its column: "long sleeves" -> the sleeve column
        noun_hits = [h for h in hits if nxt and any(nxt.rstrip("s") == cw.rstrip("s") or nxt.startswith(cw)
                                                    for cw in column_words(h[0]))]
        cued = _cued(tokens, start)
        if noun_hits and (cued or not set(words) & P._LEXICON.keys()):
            hits = noun_hits
        elif not cued and set(words) <= (critique_words | P._FILLERS | kind_words):
            continue  # "shorter", "long" in "longer": the comparative's words
        elif len(words) == 1 and words[0] in P._LEXICON and not cued:
            continue  # "long" alone is a comparative word, unless "in long" / "a long one"
        else:
            noun_hits = []
        cols: dict[str, list[str]] = {}
        for column, value in hits:
            cols.setdefault(column, []).append(value)
        column = min(cols, key=lambda c: (len(schema.attribute(c).values), c))  # type: ignore[union-attr]
        values = tuple(sorted(set(v.lower() for v in cols[column])))
        for k in range(start, end + (1 if noun_hits else 0)):
            if k < len(taken):
                taken[k] = True
        found.append(_Substitution(column, values, " ".join(tokens[start:end + (1 if noun_hits else 0)]),
                                   start, end))
    return sorted(found, key=lambda s: s.start)


def _values_by_first_word(schema: CatalogSchema) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
    """The attribute values of 1-4 words, as (words, column, value), by their first word."""
    out: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for c in schema.attributes:
        for v in c.values:
            words = tuple(_value_words(v))
            if 0 < len(words) <= 4:
                out.setdefault(words[0], []).append((words, c.name, v))
    return out


_NEGATION_WORDS = frozenset({"not", "no", "without", "non", "except", "excluding", "nothing", "none",
                             "never", "isn't", "isnt", "don't", "dont", "avoid"})
_NEGATION_PAIRS = frozenset({("anything", "but"), ("other", "than"), ("but", "not"), ("instead", "of"),
                             ("rather", "than")})
_NEGATION_SKIP = frozenset({"in", "a", "an", "made", "of", "from", "any", "more", "the", "so", "too", "it",
                            "that's", "thats", "it's", "its", "is", "want", "like", "need"})


def _negated(tokens: list[str], start: int) -> bool:
    """True when a value at `tokens[start]` is said as one to avoid: "not leather", "no
    leather", "without leather", "anything but leather", "other than leather", "not in black"."""
    i = start - 1
    while i >= 0 and start - i <= 4 and tokens[i] in _NEGATION_SKIP:
        i -= 1
    if i < 0:
        return False
    if tokens[i] in _NEGATION_WORDS:
        return True
    return i > 0 and (tokens[i - 1], tokens[i]) in _NEGATION_PAIRS


_DIFFERENT_RE = re.compile(  # "something else" alone is "another one", not another style
    r"\b(?:(?:completely|totally|entirely|really|very|quite|radically|wildly)\s+different|"
    r"(?:different|else)\s+(?:entirely|altogether)|"
    r"(?:a\s+)?(?:different|another|new)\s+(?:style|look|vibe))\b", re.IGNORECASE)


def asks_for_another_style(text: str) -> bool:
    """True for "show me something completely different", "a different style": not "another
    one" (a near twin) but an item of another style."""
    return bool(_DIFFERENT_RE.search(text or ""))


def _spelling_corrected(text: str, protected: Collection[str]) -> str:
    """The message with misspelt critique words put right ("cheeper" -> "cheaper"); a word after
    "by" or "from" is a name, not a misspelling ("by Norrow" is a brand, not "narrower")."""
    return re.sub(r"(\b(?:by|from)\s+)?([^\W\d_]+)",
                  lambda m: m.group(0) if m.group(1) else P.correct_spelling(m.group(2), protected), text,
                  flags=re.IGNORECASE)


def _protected_words(schema: CatalogSchema) -> frozenset[str]:
    """The shop's own words (attribute values), never taken for a misspelling."""
    return frozenset(w for c in schema.attributes for v in c.values for w in _value_words(v))


_NO_NOUN_RE = re.compile(r"\b(?:no|without)\s+(?:(?:a|an|any|the)\s+)?([a-z]+)\b")


def _absent_nouns(text: str, schema: CatalogSchema) -> str:
    """"no pattern", "without a print", "no stripes": a noun said as absent is the adjective
    English makes of it with -ed (patterned, printed, striped) negated, where the critique lexicon
    or a column's values know that adjective and not the noun: "not patterned", which the parser
    reads (toward the lexicon's other end, or the value excluded); the other end itself where it
    is one of the shop's values ("a plain one", as "something plain" is); the shop's "-less"
    value where it has one ("no sleeves": "a sleeveless one")."""
    values = schema.memo("protected_words", _protected_words)

    def adjective(m: re.Match[str]) -> str:
        noun = m.group(1)
        if noun in P._LEXICON or noun in values:
            return m.group(0)
        for stem in dict.fromkeys((noun, noun[:-1] if noun.endswith("s") else noun)):
            if stem + "less" in values:  # "no sleeves": the shop's "sleeveless"
                return f"a {stem}less one"
            made = _ed(stem)
            sense = P._LEXICON.get(made)
            if sense is not None and sense.opposite in values:
                return f"a {sense.opposite} one"  # the shop's own value for it: "no pattern" is "plain"
            if sense is not None or made in values:
                return f"not {made}"
        return m.group(0)
    return _NO_NOUN_RE.sub(adjective, text)


_WITH_NOUN_RE = re.compile(r"\b(?:with|has|have|having)\s+(?:(?:a|an|some|the)\s+)?([a-z]+(?:[\s-][a-z]+){0,2})")


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _ed(stem: str) -> str:
    """The adjective English makes of a noun with -ed: "stripe" -> "striped", "print" -> "printed"."""
    return stem + ("d" if stem.endswith("e") else "ed")


def _colour_words(schema: CatalogSchema) -> frozenset[str]:
    """The words of the values of colour columns."""
    return frozenset(w for c in schema.attributes if _mostly_colours(c.values) for v in c.values for w in _value_words(v))


_CUE_AND_RE = re.compile(
    r"\b(with|has|have|having)\s+([^,;.!?]*?)\s+(?:and|&)\s+"
    r"(?!(?:with|has|have|having|in|not|no|without|more|less|much|a\s+bit|a\s+little|under|over|but|make|it|"
    r"then|also|maybe)\b)(?![a-z]+er\b)(?=[a-z])")


def _distributed_cue(text: str) -> str:
    """"with long sleeves and stripes" -> "with long sleeves and with stripes": the cue word
    ("with", "has") goes with each part joined by "and", so the second part is read as a part
    present too (it was read alone: "stripes" dropped, "and long sleeves" taken for "longer
    sleeves"). Not before a comparative or another cue ("with pockets and darker")."""
    for _ in range(3):  # "with a, b-less and c": at most a few parts
        joined = _CUE_AND_RE.sub(lambda m: f"{m.group(1)} {m.group(2)} and {m.group(1)} ", text)
        if joined == text:
            break
        text = joined
    return text


def _present_nouns(text: str, schema: CatalogSchema) -> str:
    """"with stripes", "has a pattern", "has white polka dots": a noun said as present is the
    shop's value it names in the plural ("polka dots": "polka-dot") or the adjective English makes
    of it with -ed ("striped", "patterned", "printed") where a column's values or the critique
    lexicon know it; a word naming the stripes' colour goes with them ("with blue stripes":
    striped). The text is left as it was otherwise ("with short sleeves", "with a bit more room")."""
    by_first = schema.memo("value_words", _values_by_first_word)
    colours = schema.memo("colour_words", _colour_words)

    def value_of(words: tuple[str, ...]) -> str | None:
        return next((v.lower() for ws, _, v in by_first.get(words[0], ()) if ws == words), None)

    def named(m: re.Match[str]) -> str:
        said = re.split(r"[\s-]", m.group(1))
        for length in range(len(said), 0, -1):
            for start in range(len(said) - length + 1):
                span = said[start:start + length]
                words = tuple(_singular(w) for w in span)
                value = value_of(words)
                if value is None and length == 1 and not any(value_of((w,)) and w not in colours for w in said):
                    # (not when another word is a value as the shop writes it: "a floral print")
                    made = _ed(words[0])
                    value = made if value_of((made,)) or made in P._LEXICON else None
                elif value is not None and words == tuple(span):
                    value = None  # the value as the shop writes it: read as before ("with short sleeves")
                if value is not None:
                    before = [w for w in said[:start] if not (length == 1 and w in colours)]
                    return " ".join(before + [value] + said[start + length:])
        return m.group(0)
    return _WITH_NOUN_RE.sub(named, text)


def _cued(tokens: list[str], i: int) -> bool:
    prev = tokens[i - 1] if i > 0 else ""
    return prev in {"in", "with", "has", "have", "having", "a", "an", "any", "some", "something", "anything"}


# ------------------------------------------------------------------------------ the planner

def clean_entities(entities: Mapping[str, Any] | None) -> tuple[dict[str, str], list[str]]:
    """Entity values the planner accepts: short strings. Others are refused and named."""
    ok: dict[str, str] = {}
    refused: list[str] = []
    for name, value in (entities or {}).items():
        if isinstance(value, str) and 0 < len(value.strip()) <= MAX_ENTITY_CHARS and value.isprintable():
            ok[str(name)] = value.strip()
        elif value is not None:
            refused.append(f"{str(name)[:20]}: {type(value).__name__}" if not isinstance(value, str)
                           else f"{str(name)[:20]}: {len(value)} characters")
    return ok, refused


def plan_turn(item: Item, text: str, entities: Mapping[str, Any] | None, schema: CatalogSchema,
              kinds: Iterable[str] = ()) -> Plan:
    """The plan for one message about `item` (see the module docstring). `kinds`: the catalog's
    kinds, whose words are never taken for misspellings ("shirt" is not "short")."""
    text = (text or "")[:MAX_TEXT_CHARS]
    ents, refused = clean_entities(entities)
    protected = schema.memo("protected_words", _protected_words) | set(_tokens(" ".join(kinds))) \
        | set(_tokens(item.category or ""))
    text = _spelling_corrected(text, protected)
    if ents.get("attribute"):
        ents["attribute"] = _spelling_corrected(ents["attribute"], protected)
    lowered = text.lower()

    # questions about the current item (a brand's own words are not the question's: "United Colors of ...")
    asked = _without_brands(lowered, schema)
    if _QUESTION_RE.search(asked) or (_QUESTION_STARTS.search(asked) and "?" in asked):
        topic = _question_topic(asked)
        if topic is not None:
            column, numeric = topic_column(schema, topic)
            return Plan("question", question=Question(topic, column, numeric), refused=tuple(refused))

    ops: list[Op] = []
    phrases: list[str] = []
    already: list[str] = []
    unknown: list[str] = []
    if asks_for_another_style(lowered):
        return Plan("critique", (Different(),), None, ("completely different",), tuple(refused))
    range_ops, range_phrases, rest = _price_ops(lowered, schema)
    rest = _present_nouns(_absent_nouns(_distributed_cue(rest), schema), schema)
    ops += range_ops
    (phrases if schema.price is not None else unknown).extend(range_phrases)

    critiques = [c for c in P.parse_critiques(rest, attribute=ents.get("attribute"),
                                               direction=ents.get("direction"),
                                               intensity=ents.get("intensity"))]
    tokens = _tokens(_compounds_joined(rest, schema))
    critique_words = {w for c in critiques if not c.absolute for w in _tokens(c.text)}
    kind_words = set(_tokens(item.category or ""))
    subs = _find_substitutions(tokens, schema, critique_words, kind_words)
    sub_words = {w for s in subs for w in s.said.split()}

    # a kind named inside a comparative is the comparative's part, not a kind change: "higher
    # heels" on sneakers asks for a higher heel, not for the kind "heels"
    said_in_critiques = set(_kind_tokens(" ".join(critique_words)))
    kinds_said = [k for k in _kind_mentions(rest, schema)
                  if not (said_in_critiques and set(_kind_tokens(k)) <= said_in_critiques)]
    current_kind = (item.category or "").strip().lower()
    if kinds_said and _describes_new_item(rest, subs, schema):
        one = kinds_said[0] if len(kinds_said) == 1 else ""
        return Plan("search", refused=tuple(refused), query=text.strip(), search_kind=one)
    if kinds_said and current_kind not in {k.lower() for k in kinds_said}:
        ops.append(ChangeKind(tuple(kinds_said), " or ".join(k.lower() for k in kinds_said[:2])))
        phrases.append("in " + (kinds_said[0].lower() if len(kinds_said) == 1 else "that kind"))
        # the kind's own words are the kind, not a comparative too: "casual shoes" is not "more casual"
        kind_said_words = set(_kind_tokens(" ".join(kinds_said)))
    else:
        kind_said_words = set()
    if schema.brand_column and _SAME_BRAND_RE.search(lowered):
        mine = str(item.metadata.get(schema.brand_column) or "").strip()
        if mine:  # "same brand?": another one of this brand (a filter the current item satisfies)
            ops.append(Require(schema.brand_column, (mine.lower(),), mine))
            phrases.append(f"from {mine}")

    phrase = item_phrase(item, schema)
    for c in critiques:
        if c.absolute:
            if set(c.lemma.split()) <= sub_words:
                continue  # the catalog holds this colour: a Require below
            subs.append(_Substitution(None, (c.lemma,), c.lemma, 10_000, 10_000))
            continue
        if set(c.attribute.split()) & sub_words:
            continue  # "floral", "long sleeves" said as a value
        if kind_said_words and set(_kind_tokens(c.text or c.lemma)) <= kind_said_words:
            continue
        sense = P._LEXICON.get(c.lemma)
        if sense is not None and sense.dimension == "price" and schema.price is None:
            unknown.append(c.text.strip() or c.lemma)  # no prices: not guessed from the item texts
            continue
        op, said = _comparative_op(c, item, phrase, schema)
        kinds = _kinds_named_by(op, item, schema) if isinstance(op, Comparative) else ()
        if kinds and not any(isinstance(o, ChangeKind) for o in ops):
            # "sportier" casual shoes: sports shoes (the engine decides against the kind's items)
            ops.append(ChangeKind(kinds, c.text.strip() or c.lemma, tuple(op.pole)))  # type: ignore[union-attr]
        ops.append(op)
        phrases.append(said)

    for s in subs:
        if s.column is not None and s.start < len(tokens) and _negated(tokens, s.start):
            mine = str(item.metadata.get(s.column) or "").strip().lower()
            said = f"not {s.said}"
            if mine not in s.values:
                already.append(said)
                continue
            ops.append(Exclude(s.column, s.values, s.said))
            phrases.append(said)
            continue
        if s.column is not None and s.column == schema.brand_column and any(
                isinstance(o, Require) and o.column == s.column for o in ops):
            continue  # "same brand" already said which
        if s.column is not None:
            mine = str(item.metadata.get(s.column) or "").strip().lower()
            # "anything from <its own brand>?" asks for another of that brand, as "same brand?" does
            if mine in s.values and s.column != schema.brand_column:
                already.append(s.said)
                continue
            ops.append(Require(s.column, s.values, s.said))
        else:
            value = s.said
            if value.lower() in item.text.lower():
                already.append(value)
                continue
            ops.append(RequireText(phrase, _substitute(phrase, value), tuple(_value_words(value)), value))
        if s.column is not None and s.column == schema.brand_column:
            phrases.append(f"from {_as_written(schema, s.column, s.values[0])}")
        else:
            phrases.append(f"in {s.said}" if s.column is None or not _is_part(s.said) else f"with {s.said}")

    occasion = _between_poles(critiques, schema) or _occasion_named(tokens, item, schema)
    named = occasion is not None and any(isinstance(o, Require) and o.column == occasion[0] for o in ops)
    if occasion is not None and len(phrases) == len(ops):
        # the value the words name replaces a graded step on the same scale ("dressier, for a party")
        drop = {i for i, o in enumerate(ops) if isinstance(o, (Comparative, ChangeKind)) and _on_occasion_scale(o)}
        phrases = [ph for i, ph in enumerate(phrases) if i not in drop]
        ops = [o for i, o in enumerate(ops) if i not in drop]
    if occasion is not None and not named:
        column, value, said = occasion
        if str(item.metadata.get(column) or "").strip().lower() == value.lower():
            already.append(said)
        else:
            ops.append(Require(column, (value.lower(),), said))
            phrases.append(f"for {value.lower()} wear")

    if not ops and not already:
        open_value = _open_substitution(rest, critique_words)
        feature, as_said = ("", "") if open_value else _open_feature(rest, critique_words)
        if open_value:
            if open_value in item.text.lower():
                already.append(open_value)
            else:
                ops.append(RequireText(phrase, _substitute(phrase, open_value), tuple(_value_words(open_value)),
                                       open_value))
                phrases.append(f"in {open_value}")
        elif feature:  # "with pockets", "has a collar": a part no column holds, found in the item texts
            wish = RequireText(phrase, f"{phrase} with {as_said}", tuple(_value_words(feature)), f"with {as_said}")
            if wish.holds(item.text):
                already.append(f"with {as_said}")
            else:
                ops.append(wish)
                phrases.append(f"with {as_said}")
    if not ops:
        return Plan("none", refused=tuple(refused), already=tuple(already), unknown=tuple(unknown),
                    no_such_brand=_unknown_brand(text, schema, protected))
    return Plan("critique", tuple(ops), None, tuple(phrases), tuple(refused), tuple(already), tuple(unknown))


# ------------------------------------------------------------------------------ occasions named by purpose

# What a shopper says an item is for, by the occasion it names (English words: no catalog's
# values). Multi-word purposes are written with "_" and matched on joined tokens.
_PURPOSES: dict[str, frozenset[str]] = {
    "sport": frozenset("gym workout workouts work_out training train running jogging jog yoga hiking hike "
                       "exercise exercising athletics football tennis cycling sport sports".split()),
    "formal": frozenset("black_tie gala ceremony wedding weddings banquet".split()),
    "business": frozenset("office to_work for_work at_work workplace meeting meetings interview business".split()),
    "party": frozenset("party parties night_out clubbing club cocktail cocktails celebration".split()),
    "smart": frozenset("dinner dinners date restaurant brunch drinks".split()),
    "casual": frozenset("every_day everyday weekend weekends lounging lounge errands".split()),
    "travel": frozenset("travel travelling traveling travels trip trips holiday holidays vacation journey".split()),
    "ethnic": frozenset("festival festivals festive traditional puja diwali eid ethnic".split()),
}
# The words a catalog's value for each occasion may be written with, and the occasions to fall
# back on, in order, when the catalog has none for it (an office shirt in a shop without a
# "business" value is its formal one).
_OCCASION_VALUE_WORDS: dict[str, frozenset[str]] = {
    "sport": frozenset("sport sports sporty athletic athleisure active activewear sportswear gym".split()),
    "formal": frozenset("formal evening dressy".split()),
    "business": frozenset("business office work workwear corporate".split()),
    "party": frozenset("party partywear cocktail".split()),
    "smart": frozenset("smart".split()),
    "casual": frozenset("casual everyday leisure".split()),
    "travel": frozenset("travel".split()),
    "ethnic": frozenset("ethnic traditional festive".split()),
}
_OCCASION_FALLBACK: dict[str, tuple[str, ...]] = {"business": ("formal",), "formal": ("party",), "smart": ("formal",),
                                                  "party": ("formal",), "ethnic": ("traditional",)}
_GRADED_BEFORE = frozenset({"more", "less", "too", "so", "not"})


def _compounds_joined(text: str, schema: CatalogSchema) -> str:
    """Hyphenated compounds that are no catalog value written as one word, for the value
    finder: "black-tie" is an occasion, not the colour black; "polka-dot" (a value), "navy-blue"
    and "black-and-white" (colours) stay apart."""
    protected: frozenset[str] = schema.memo("protected_words", _protected_words)

    def join(m: "re.Match[str]") -> str:
        first, second = m.group(1), m.group(2)
        if second in protected or second in P._COLOURS or second in P._COLOUR_MODIFIERS or second == "and" \
                or first not in protected:
            return m.group(0)
        return first + second

    return re.sub(r"\b([a-z]+)-([a-z]+)\b", join, text)


def _occasion_column(schema: CatalogSchema) -> str | None:
    column, numeric = topic_column(schema, "style")
    return None if numeric else column


def _word_stem(word: str) -> str:
    w = word.lower()
    for suffix in ("ing", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            w = w[:-len(suffix)]
            break
    return w[:-1] if len(w) > 4 and w[-1] == w[-2] else w  # travell -> travel


def _occasion_named(tokens: list[str], item: Item, schema: CatalogSchema) -> tuple[str, str, str] | None:
    """(column, value, words said) when the message names a value of the catalog's occasion-like
    column (usage / occasion / style) outright ("something ethnic", "for a formal dinner", "a bit
    smart casual"), or by what the item is for ("one for the gym", "something for the office",
    "for a wedding"): the purpose's occasion, grounded on the column's own values by their words.
    A value said as a comparative ("more formal") is left to the graded step."""
    column = _occasion_column(schema)
    attribute = schema.attribute(column) if column else None
    if attribute is None or len(attribute.values) < 2:
        return None
    values = [v for v in attribute.values if v]
    plain = [i for i, t in enumerate(tokens) if not (i > 0 and tokens[i - 1] in _GRADED_BEFORE)
             and not _negated(tokens, i)]
    # a value named whole, longest first ("smart casual" before "casual"); one graded word alone
    # ("formal", a typo of "more formal") only with a cue ("a formal one", "for a formal dinner")
    for value in sorted(values, key=lambda v: -len(_value_words(v))):
        words = [_word_stem(w) for w in _value_words(value)]
        n = len(words)
        graded = n == 1 and _value_words(value)[0] in P._LEXICON
        for i in plain:
            if graded and not _cued(tokens, i):
                continue
            if [_word_stem(t) for t in tokens[i:i + n]] == words:
                return column, value, " ".join(tokens[i:i + n])  # type: ignore[return-value]
    # a purpose, then the catalog's value for its occasion
    joined = set()
    for i in plain:
        joined.add(tokens[i])
        if i + 1 < len(tokens):
            joined.add(f"{tokens[i]}_{tokens[i + 1]}")
    for occasion, purposes in _PURPOSES.items():
        said = next((p for p in sorted(purposes, key=len, reverse=True)
                     if p in joined or p.replace("_", "") in joined), None)  # "black-tie" is one token
        if said is None:
            continue
        for wanted in (occasion, *_OCCASION_FALLBACK.get(occasion, ())):
            value_words = {_word_stem(w) for w in _OCCASION_VALUE_WORDS.get(wanted, frozenset({wanted}))}
            scored = [(len(value_words & {_word_stem(w) for w in _value_words(v)}) / len(_value_words(v)), v)
                      for v in values]
            best = max(scored, key=lambda sv: sv[0])
            if best[0] > 0:
                return column, best[1], re.sub(r"^(?:to|for|at)_", "", said).replace("_", " ")  # type: ignore[return-value]
        return None
    return None


def _between_poles(critiques: list[P.Critique], schema: CatalogSchema) -> tuple[str, str, str] | None:
    """"smart but relaxed", "dressy yet casual": both ends of the formality scale in one sentence
    ask for the value between them, the occasion value whose words name both ("smart casual")."""
    senses = [(c, P._LEXICON.get(c.lemma)) for c in critiques if not c.absolute]
    poles = {(s.pole, c.polarity) for c, s in senses if s is not None and s.dimension == "formality"}
    if len({p == P._DIMENSIONS["formality"][0][0] if pol > 0 else p != P._DIMENSIONS["formality"][0][0]
            for p, pol in poles}) < 2:
        return None
    column = _occasion_column(schema)
    attribute = schema.attribute(column) if column else None
    if attribute is None:
        return None
    formal, casual = ({_word_stem(w) for w in side} for side in P._DIMENSIONS["formality"])
    for value in attribute.values:
        words = {_word_stem(w) for w in _value_words(value)}
        if words & formal and words & casual:
            return column, value, value.lower()  # type: ignore[return-value]
    return None


def _on_occasion_scale(op: Op) -> bool:
    """A graded step the occasion's value replaces: formality, or a comparative/kind change
    whose pole is an occasion word ("sportier")."""
    if isinstance(op, Comparative) and op.dimension == "formality":
        return True
    pole = getattr(op, "pole", ())
    words = {_word_stem(w) for ws in _OCCASION_VALUE_WORDS.values() for w in ws}
    return bool(pole) and any(_word_stem(w) in words for w in pole)


_SAME_BRAND_RE = re.compile(r"\b(same|this|that)\s+(brand|make|label|maker)\b")
# words that tie a sentence to the item shown: with them a named kind is a change of this item
_REFERS_TO_CURRENT = frozenset("this it that these those same similar like instead rather one ones such "
                               "matching match".split())


def _brand_pattern(schema: CatalogSchema) -> "re.Pattern[str] | None":
    attribute = schema.attribute(schema.brand_column) if schema.brand_column else None
    if attribute is None or not attribute.values:
        return None
    names = sorted({v.lower() for v in attribute.values}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")


# a capitalised name after "by" / "from" ("anything from Norrow?", "by Peter England")
_NAME_JOINERS = frozenset("of and & de du la le the".split())
_NAME_AFTER_RE = re.compile(r"\b(?:[Bb]y|[Ff]rom)\s+([A-Z][\w&'+.-]*"
                            r"(?:\s+(?:(?:" + "|".join(_NAME_JOINERS) + r")\s+)?[A-Z][\w&'+.-]*){0,4})")
_NOT_NAMES = frozenset("i monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight "
                       "january february march april may june july august september october november "
                       "december christmas easter".split())


def _unknown_brand(text: str, schema: CatalogSchema, known: Collection[str]) -> str:
    """A capitalised name said after "by" or "from" in a shop with a brand column, none of whose
    words is a brand, a value of another column or a kind (`known`): the shopper asked for a
    brand the shop does not have, said back instead of "how should it change?". '' otherwise
    (lower-case words are not taken for names: "from work", "by the sea")."""
    if schema.memo("brand_pattern", _brand_pattern) is None:
        return ""
    for m in _NAME_AFTER_RE.finditer(text):
        name = m.group(1).rstrip(".")
        words = [w for w in _tokens(name) if w not in _NAME_JOINERS]
        if not words or words[0] in _NOT_NAMES or any(w in known for w in words):
            continue
        if _without_brands(name.lower(), schema).split() != name.lower().split():
            continue  # one of the shop's brands, or part of one
        return name
    return ""


def _without_brands(lowered: str, schema: CatalogSchema) -> str:
    pattern = schema.memo("brand_pattern", _brand_pattern)
    return pattern.sub(" ", lowered) if pattern is not None else lowered


def _kind_key(word: str) -> str:
    """Singular/plural tolerant key of a kind word: 'Backpacks' -> 'backpack', 'dresses' ->
    'dress', 'T-shirts' -> 'tshirt'."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def _kind_tokens(text: str) -> list[str]:
    return [_kind_key(w) for w in re.findall(r"[a-z0-9]+", text.lower().replace("-", "").replace("'", ""))]


def _kinds_by_key(schema: CatalogSchema) -> list[tuple[tuple[str, ...], str]]:
    return sorted(((tuple(_kind_tokens(k)), k) for k in schema.kinds if _kind_tokens(k)),
                  key=lambda kv: -len(kv[0]))


def _kind_mentions(text: str, schema: CatalogSchema) -> list[str]:
    """The kinds (as the catalog writes them) a message names, matched on the schema's kind
    values, singular or plural: a kind named whole ("sports shoes", "backpacks") wins; else
    every kind whose head word is named ("shoes": casual, sports and formal shoes)."""
    if not schema.kinds:
        return []
    tokens = _kind_tokens(text)
    kinds: list[tuple[tuple[str, ...], str]] = schema.memo("kind_keys", _kinds_by_key)
    whole: list[str] = []
    taken = [False] * len(tokens)
    for key, kind in kinds:
        n = len(key)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i:i + n]) == key and not any(taken[i:i + n]):
                whole.append(kind)
                taken[i:i + n] = [True] * n
    if whole:
        return list(dict.fromkeys(whole))
    heads = [kind for key, kind in kinds if key[-1] in tokens]
    return heads


def _describes_new_item(text: str, subs: list["_Substitution"], schema: CatalogSchema) -> bool:
    """A sentence that names a kind and two or more other values of the catalog, with no word
    tying it to the item shown ("show me Puma Women Casual Beige Heels"), describes a whole
    new item: a new search, not a change of this one."""
    if set(_tokens(text)) & _REFERS_TO_CURRENT:
        return False
    return len({s.column for s in subs if s.column is not None}) >= 2


def _kinds_named_by(op: Comparative, item: Item, schema: CatalogSchema) -> tuple[str, ...]:
    """Sibling kinds (same group, or the same head noun) that name the end a comparative asks
    for while the current kind does not: "sportier" casual shoes -> sports shoes, "flatter"
    heels -> flats, "more formal" casual shoes -> formal shoes. The kind itself is the change."""
    current = (item.category or "").strip()
    if not current or not schema.kinds or not op.pole:
        return ()
    stems = {_stem_word(w) for w in op.pole}
    mine = {_stem_word(w) for w in _kind_tokens(current)}
    if mine & stems:
        return ()
    group = schema.kind_groups.get(current.lower())
    head = _kind_tokens(current)[-1]
    found = []
    for kind in schema.kinds:
        if kind.lower() == current.lower():
            continue
        keys = _kind_tokens(kind)
        sibling = (group is not None and schema.kind_groups.get(kind.lower()) == group) or (keys and keys[-1] == head)
        if sibling and {_stem_word(w) for w in keys} & stems:
            found.append(kind)
    return tuple(found)


def _stem_word(word: str) -> str:
    w = _kind_key(word)
    return w[:-1] if len(w) > 4 and w.endswith("y") else w


def _as_written(schema: CatalogSchema, column: str, value: str) -> str:
    attribute = schema.attribute(column)
    return next((v for v in (attribute.values if attribute else ()) if v.lower() == value), value)


_OPEN_SUB_RE = re.compile(
    r"\b(?:come|comes|available|have it|have one|got it|get it|one|it)?\s*(?:in|made of|made from)\s+"
    r"((?:[a-z][a-z'-]*\s*){1,3}?)\s*(?:one|ones|version|instead|please|too|as well)?\s*[?.!]*\s*$")
_NOT_VALUES = {"it", "this", "that", "the", "a", "an", "one", "stock", "store", "there", "my", "size", "general",
               "mind", "total", "between", "here", "any", "other", "another", "different"}


def _open_substitution(text: str, critique_words: set[str]) -> str:
    """A value no column holds, after a substitution cue at the end of the message: "in
    seersucker", "do you have it made of linen?" -> the words the item's text must contain."""
    m = _OPEN_SUB_RE.search(text.lower())
    if not m:
        return ""
    words = [w for w in m.group(1).split() if w]
    if not words or words[0] in _NOT_VALUES or set(words) & critique_words or any(w.isdigit() for w in words):
        return ""
    return " ".join(words)


_OPEN_FEATURE_RE = re.compile(
    r"\b(go|goes|pair|pairs|match|matches|wear|wore)?\s*\b(?:with|has|have|having|got)\s+"
    r"(?:(a|an|some|any|the|more)\s+)?"
    r"([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)\s*(?:on it|on them|please|too|as well|instead)?\s*[?.!]*\s*$")
_NOT_FEATURES = _NOT_VALUES | {"me", "you", "him", "her", "them", "us", "mine", "yours", "these", "those", "time",
                               "lot", "bit", "little", "thing", "things", "something", "anything", "nothing",
                               # the shop's service, not the item: "help me with sizing"
                               "sizing", "sizes", "fit", "shipping", "delivery", "returns", "return", "payment",
                               "order", "orders", "checkout", "discount", "discounts", "help", "question"}


def _open_feature(text: str, critique_words: set[str]) -> tuple[str, str]:
    """A part no column holds, after "with" / "has" at the end of the message ("one with
    pockets", "has a collar", "with a v-neck"): (the words the item's text must say, as said
    with the shopper's article: "a collar"); ('', '') for pronouns and fillers ("happy with
    it"), what an item is worn with ("does it go with jeans?") and critique words."""
    m = _OPEN_FEATURE_RE.search(text.lower())
    if not m or m.group(1):
        return "", ""
    words = m.group(3).split()
    if not words or set(words) & _NOT_FEATURES or set(words) & critique_words or any(w.isdigit() for w in words):
        return "", ""
    article = m.group(2) if m.group(2) in ("a", "an") else ""
    return " ".join(words), f"{article} {' '.join(words)}".strip()


def _is_part(said: str) -> bool:
    return any(w.rstrip("s") in {"sleeve", "heel", "collar", "neck", "strap", "pocket", "hood"}
               for w in said.split())


def _question_topic(lowered: str) -> str | None:
    tokens = set(_tokens(lowered))
    if "how much" in lowered or "expensive" in tokens or "price" in tokens or "cost" in tokens:
        return "price"
    if "made" in tokens and ("of" in tokens or "from" in tokens):
        return "material"
    for topic, words in _TOPIC_WORDS.items():
        if tokens & set(words):
            return topic
    if "options" in tokens or "come in" in lowered:
        return "colour"
    return None


def _substitute(phrase: str, value: str) -> str:
    """The item's phrase with the value put in: 'white sneakers' + black -> 'black sneakers'."""
    words = phrase.split()
    span = P._colour_span(words, 0)
    if span and P._colour_span(value.split(), 0):
        return " ".join([value] + words[span:])
    return f"{value} {phrase}"


def _comparative_op(c: P.Critique, item: Item, phrase: str, schema: CatalogSchema) -> tuple[Op, str]:
    sense = P._LEXICON.get(c.lemma)
    pair = P.prompts_for(c, phrase, item.category)
    if sense is not None and sense.dimension == "price" and schema.price is not None:
        up = (sense.pole == P._DIMENSIONS["price"][0][0]) == (c.polarity > 0)
        return NumericComparative(schema.price.name, 1 if up else -1, c.intensity,
                                  "expensive" if up else "cheap"), pair.phrase
    neutral, exemplar = pair.oriented()
    opposite = ""
    if not pair.reverse:
        flipped = P.prompts_for(dataclasses.replace(c, polarity=-c.polarity), phrase, item.category)
        opposite = "" if flipped.reverse else flipped.exemplar
    if neutral == exemplar:
        exemplar = f"very {exemplar}"
    noun = ""
    words = c.attribute.split()
    if len(words) > 1 and words[-1] in P._SUFFIX_NOUNS:
        noun = words[-1].rstrip("s")
    if sense is not None:
        side_a, side_b = P._DIMENSIONS[sense.dimension]
        toward_a = (sense.pole == side_a[0]) == (c.polarity > 0)
        pole, counter = (side_a, side_b) if toward_a else (side_b, side_a)
        dimension = sense.dimension
    else:
        pole, counter = ((c.lemma,), ()) if c.polarity > 0 else ((), (c.lemma,))
        dimension = c.lemma
    return Comparative(neutral, exemplar, opposite, c.intensity, pair.attribute, dimension,
                       tuple(pole), tuple(counter), noun), pair.phrase
