"""What the shopper said -> the prompts GradREC walks between.

The ONE place that turns a critique ("something darker", "a bit shorter", "not so high",
"much more formal", "less boxy") into a NEUTRAL prompt ("blue polo shirt") and an EXEMPLAR
prompt ("dark blue polo shirt"): the engine builds its traversal direction from the pair.

Pure Python plus spaCy (only for words the lexicon does not know); no Rasa, no engine import.

    >>> [c] = parse_critiques("much more formal")
    >>> (c.lemma, c.polarity, c.intensity)
    ('formal', 1, 2.0)
    >>> prompts_for(c, "blue polo shirt").exemplar
    'formal blue polo shirt'

Conventions
-----------
* ``polarity`` is +1 for "more X" / "Xer" and -1 for "less X", "not so X", "not as X",
  "too X" ("it's too long" asks for less long).  "not X enough" is +1.
* A "less X" critique on a lexicon attribute becomes "more opposite(X)": "less formal" ->
  exemplar "casual ...", "not so high" -> "low ...".  An open-vocabulary attribute with no
  known opposite ("less boxy") keeps the exemplar "boxy ..." and sets ``PromptPair.reverse``:
  the caller must walk AWAY from the exemplar (``PromptPair.oriented()`` does the swap).
* Intensity: "a bit"/"slightly"/"a little"/"a tad" -> 0.5, plain -> 1.0,
  "much"/"way"/"a lot"/"far" -> 2.0.  "even darker" is 1.0: "even" says the previous step
  already went darker and asks for one more step of the same kind, not a bigger one (a
  shopper who says "even darker" three times should not get three double-size jumps);
  "even much darker" is still 2.0.
* Modifiers are not shared across conjuncts: in "a bit darker and shorter" only "darker"
  is 0.5.
* "in black", "does it come in navy blue" are *absolute* colour critiques: the exemplar
  swaps the colour ("black polo shirt") when the caller passes the item's ``kind``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from . import vocabulary

__all__ = [
    "Critique",
    "PromptPair",
    "parse_critiques",
    "prompts_for",
    "item_phrase",
    "normalise_intensity",
    "normalise_direction",
    "lemmatise",
    "correct_spelling",
]

log = logging.getLogger(__name__)

A_BIT, PLAIN, MUCH = 0.5, 1.0, 2.0


@dataclass(frozen=True)
class Critique:
    """One comparative the shopper asked for."""

    attribute: str  # the attribute word(s) as said: "darker", "high", "shorter sleeves"
    lemma: str  # its base form: "dark", "high", "short", "green", "light blue"
    polarity: int  # +1 more, -1 less
    intensity: float  # 0.5 a bit, 1.0 plain, 2.0 much
    text: str  # the whole critique as said, normalised: "not so high", "a bit shorter"
    absolute: bool = False  # a value rather than a comparison: "in black"


@dataclass(frozen=True)
class PromptPair:
    """The two prompts of one critique; the walk goes from ``neutral`` toward ``exemplar``
    unless ``reverse`` is set, in which case it must go from ``exemplar`` toward ``neutral``."""

    neutral: str
    exemplar: str
    attribute: str  # a stable label: the critique's lemma ("formal" for "less formal")
    intensity: float
    phrase: str  # reads well aloud: "darker", "less formal", "a bit shorter", "in black"
    reverse: bool = False
    dimension: str = ""  # "shade", "length", "formality", ... or the lemma when unknown

    def oriented(self) -> tuple[str, str]:
        """(from, toward): the prompts in walking order, ``reverse`` applied."""
        return (self.exemplar, self.neutral) if self.reverse else (self.neutral, self.exemplar)


# --------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sense:
    dimension: str
    pole: str  # canonical word of this word's side of the dimension
    opposite: str  # canonical word of the other side (used in "less X" exemplars)


# dimension -> (pole A, pole B, words on side A, words on side B); the first word of a side
# is its canonical pole word.
_DIMENSIONS = vocabulary.DIMENSIONS

_LEXICON: dict[str, _Sense] = {}
for _dim, (_side_a, _side_b) in _DIMENSIONS.items():
    for _side, _other in ((_side_a, _side_b), (_side_b, _side_a)):
        for _w in _side:
            _LEXICON[_w] = _Sense(_dim, _side[0], _other[0])

# Synthetic comparatives of lexicon words; anything else reads "more X".
_COMPARATIVE = vocabulary.COMPARATIVES
_FROM_COMPARATIVE: dict[str, str] = {v: k for k, v in _COMPARATIVE.items() if " " not in v}
# Words said for a lexicon word: "taller heels" are "higher heels".
_ALIASES = vocabulary.ALIASES

# Nouns that turn "shorter sleeves" into the compound adjective "short-sleeved".
_PATTERN_NOUNS: frozenset[str] = frozenset({"print", "prints", "pattern", "patterns", "stripes"})
_SUFFIX_NOUNS: dict[str, str] = {
    "sleeve": "sleeved", "sleeves": "sleeved",
    "heel": "heeled", "heels": "heeled",
    "waist": "waisted", "waistline": "waisted",
    "neck": "necked", "neckline": "necked",
    "leg": "legged", "legs": "legged",
    "hem": "hemmed", "hemline": "hemmed",
    "collar": "collared",
}

# Basic colour words and the modifiers that may precede them ("navy blue", "light pink").
_COLOURS = vocabulary.COLOURS
_COLOUR_MODIFIERS = vocabulary.COLOUR_MODIFIERS

# Multi-word phrases, longest first when matched.
_INTENSITY_PHRASES: dict[str, float] = {
    "a little bit": A_BIT, "a lil bit": A_BIT, "a wee bit": A_BIT, "just a bit": A_BIT,
    "just a little": A_BIT, "a tiny bit": A_BIT, "a teeny bit": A_BIT,
    "a bit": A_BIT, "a little": A_BIT, "a lil": A_BIT, "a tad": A_BIT, "a touch": A_BIT,
    "a smidge": A_BIT, "little bit": A_BIT, "lil bit": A_BIT, "kind of": A_BIT,
    "sort of": A_BIT, "slightly": A_BIT, "slighty": A_BIT, "slightley": A_BIT,
    "somewhat": A_BIT, "marginally": A_BIT, "kinda": A_BIT, "abit": A_BIT, "bit": A_BIT,
    "tad": A_BIT, "a_bit": A_BIT,
    "a whole lot": MUCH, "a great deal": MUCH, "a good deal": MUCH, "quite a bit": MUCH,
    "quite a lot": MUCH, "very much": MUCH, "so much": MUCH, "a lot": MUCH, "alot": MUCH,
    "lots": MUCH, "loads": MUCH, "heaps": MUCH, "tons": MUCH, "much": MUCH, "way": MUCH,
    "far": MUCH, "significantly": MUCH, "considerably": MUCH, "substantially": MUCH,
    "dramatically": MUCH, "waaay": MUCH, "waay": MUCH, "wayyy": MUCH, "wayy": MUCH,
    "even": PLAIN,
}
_INTENSITY_NAMES: dict[float, str] = {A_BIT: "a bit", MUCH: "much"}

_LESS_PHRASES: tuple[str, ...] = (
    "not quite so", "not quite as", "not so", "not as", "not that", "not too", "nothing so",
    "no so", "not soo", "less", "les", "lesss", "fewer", "too", "overly",
)
_MORE_PHRASES: tuple[str, ...] = ("more", "mroe", "moar", "more of a", "extra")
_NEGATIONS: frozenset[str] = frozenset(
    {"not", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "ain't", "never", "nt"}
)

_BOUNDARIES: frozenset[str] = frozenset(
    {"and", "but", "plus", "also", "though", "although", "while", "whereas", "n", "&",
     "with", "yet", "or", ","}
)
# Words skipped while looking for the attribute after "more"/"less"/an intensity.
_FILLERS: frozenset[str] = frozenset(
    "a an the of it its one ones thing something anything some any bit little in on".split()
)
# Words that end an attribute ("a darker shade please", "more formal looking").
_TRAILING: frozenset[str] = frozenset(
    "one ones thing things version option options look looks looking style styled fit cut "
    "vibe feel shade shades colour colours color colors tone tones hue please pls plz thx "
    "thanks than this that it them pair item piece then instead overall".split()
)
# Words never taken as an open-vocabulary attribute.
_NOT_ATTRIBUTES: frozenset[str] = frozenset(
    "better worse other another rather over after under ever never whatever however either "
    "neither together her their other sooner later earlier faster number order offer "
    "paper super dinner summer winter water power letter member corner cover silver leather "
    "sweater trainer jumper blazer sneaker slipper loafer liner boxer sticker poster "
    "i you me we they he she my your can could would will want get show give have has do "
    "does is are was were be been am something anything everything nothing same similar "
    "like just so very really quite pretty too also again still please pls plz thanks ok "
    "okay yes yeah no nope maybe go back next previous what how why when where which who "
    "there here now then than this that these those".split()
)

_TYPOS: dict[str, str] = {
    "darkr": "darker", "drker": "darker", "darkee": "darker", "dakrer": "darker",
    "lite": "light", "liter": "lighter", "lightr": "lighter", "ligher": "lighter",
    "shortr": "shorter", "shoter": "shorter", "shorer": "shorter",
    "longr": "longer", "loger": "longer", "highr": "higher", "hiher": "higher",
    "lowr": "lower", "formall": "formal", "fromal": "formal", "casul": "casual",
    "casuall": "casual", "flashyer": "flashier", "loser": "looser", "tigher": "tighter",
    "brigher": "brighter", "colr": "colour", "smth": "something",
    "sth": "something", "somethin": "something", "u": "you", "ur": "your",
}




def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of two neighbours counts one), or `limit + 1`
    as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _spelling_targets() -> frozenset[str]:
    """The words a misspelling is corrected to: the lexicon's words, their comparatives, aliases
    and colour words (the words a critique turns on)."""
    words = set(_LEXICON) | set(_ALIASES) | set(_COLOURS)
    words |= {v for v in _COMPARATIVE.values() if " " not in v}
    return frozenset(w for w in words if len(w) >= 4)


def _known_words() -> frozenset[str]:
    """Words never corrected: the parser's own function words, and every target."""
    return (_spelling_targets() | _NOT_ATTRIBUTES | _FILLERS | _TRAILING | _BOUNDARIES | _NEGATIONS
            | frozenset(w for p in _INTENSITY_PHRASES for w in p.split())
            | frozenset(w for p in _LESS_PHRASES + _MORE_PHRASES for w in p.split()))


_TARGETS: frozenset[str] = frozenset()
_KNOWN: frozenset[str] = frozenset()


def correct_spelling(word: str, protected: frozenset[str] | set[str] = frozenset()) -> str:
    """A misspelt critique word as the word meant: "cheeper" -> "cheaper", "fromal" -> "formal".
    Only words that are not known (the lexicon, the parser's function words, `protected`: the
    shop's own value and kind words), within edit distance 1 (2 from 9 letters) of exactly one
    target word at the smallest distance; a word of 5 letters only by swapping two letters
    ("balck": "shirt" is not "short", "dress" not "dressy"); a plural of a known word ("shorts")
    is not a typo. Anything else is returned as it is."""
    global _TARGETS, _KNOWN
    w = word.lower()
    if w in _TYPOS:
        return _TYPOS[w]
    if not _TARGETS:
        _TARGETS, _KNOWN = _spelling_targets(), _known_words()
    if len(w) < 5 or not w.isalpha() or w in _KNOWN or w in protected:
        return word
    if w.endswith("s") and (w[:-1] in _KNOWN or w[:-1] in protected):
        return word
    limit = 2 if len(w) >= 9 else 1
    best: list[str] = []
    best_d = limit + 1
    for t in _TARGETS:
        if len(w) == 5 and sorted(w) != sorted(t):
            continue
        d = _edit_distance(w, t, min(limit, best_d))
        if d < best_d:
            best, best_d = [t], d
        elif d == best_d and d <= limit:
            best.append(t)
    return best[0] if len(best) == 1 else word


# --------------------------------------------------------------------------------------
# spaCy, loaded once and lazily
# --------------------------------------------------------------------------------------

_NLP_LOCK = threading.Lock()
_NLP: Any = None
_NLP_FAILED = False


def _nlp() -> Any:
    """The blank English pipeline with the lookup lemmatizer (``None`` if unavailable)."""
    global _NLP, _NLP_FAILED
    if _NLP is not None or _NLP_FAILED:
        return _NLP
    with _NLP_LOCK:
        if _NLP is None and not _NLP_FAILED:
            try:
                import spacy

                nlp = spacy.blank("en")
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
                _NLP = nlp
            except Exception as exc:  # spacy-lookups-data missing, ...
                log.warning("spaCy lookup lemmatizer unavailable (%s); using suffix rules", exc)
                _NLP_FAILED = True
    return _NLP


_LEMMA_CACHE: dict[str, str] = {}


def lemmatise(word: str) -> str:
    """Base form of one adjective-like word: darker -> dark, greener -> green, boxier -> boxy."""
    w = word.lower().strip()
    if w in _LEMMA_CACHE:
        return _LEMMA_CACHE[w]
    if w in _ALIASES:
        lemma = _ALIASES[w]
    elif w in _LEXICON or w in _COLOURS:
        lemma = w
    elif w in _FROM_COMPARATIVE:
        lemma = _FROM_COMPARATIVE[w]
    else:
        lemma = w
        nlp = _nlp()
        if nlp is not None and "-" not in w:
            with _NLP_LOCK:  # the Vocab's string store is not guaranteed thread-safe
                lemma = nlp(w)[0].lemma_.lower() or w
        if lemma == w:
            lemma = _strip_comparative(w)
    if len(_LEMMA_CACHE) < 10_000:  # user text is unbounded; the cache is not
        _LEMMA_CACHE[w] = lemma
    return lemma


def _strip_comparative(w: str) -> str:
    """Suffix rules for comparatives the lookup tables miss (boxier -> boxy)."""
    if len(w) > 5 and w.endswith("ier"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith("er"):
        stem = w[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
            candidate = stem[:-1]  # redder -> red, bigger -> big
        else:
            candidate = stem
        if candidate in _LEXICON or candidate in _COLOURS:
            return candidate
        if stem + "e" in _LEXICON:
            return stem + "e"
    return w


def _is_comparative(word: str) -> bool:
    """True for synthetic comparatives: darker, greener, boxier (not 'silver', 'sweater')."""
    if word in _FROM_COMPARATIVE or word in _ALIASES:
        return True
    if word in _NOT_ATTRIBUTES or not word.endswith("er") or len(word) < 5:
        return False
    return lemmatise(word) != word


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9_]+(?:[-'][a-z0-9]+)*|[,&?!.;]")


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("+", " and ")
    out: list[str] = []
    for tok in _TOKEN_RE.findall(text):
        if tok in "?!.;":
            out.append(",")
            continue
        tok = _TYPOS.get(tok, tok)
        out.extend(tok.split())
    return out


def _match(tokens: list[str], i: int, phrases: Any) -> tuple[str, int] | None:
    """The longest phrase among ``phrases`` starting at ``tokens[i]``: (phrase, length)."""
    best: tuple[str, int] | None = None
    for phrase in phrases:
        words = phrase.split()
        n = len(words)
        if tokens[i : i + n] == words and (best is None or n > best[1]):
            best = (phrase, n)
    return best


def _wa_y(tok: str) -> bool:
    return re.fullmatch(r"wa+y+", tok) is not None


def normalise_intensity(value: str | float | None) -> float:
    """'a_bit'/'slightly'/... -> 0.5, None/'' -> 1.0, 'much'/'way'/... -> 2.0."""
    if value is None or value == "":
        return PLAIN
    if isinstance(value, (int, float)):
        return float(value)
    v = " ".join(value.lower().replace("_", " ").split())
    if v in _INTENSITY_PHRASES:
        return _INTENSITY_PHRASES[v]
    if v.replace(" ", "_") in _INTENSITY_PHRASES:
        return _INTENSITY_PHRASES[v.replace(" ", "_")]
    if _wa_y(v):
        return MUCH
    try:
        return float(v)
    except ValueError:
        return PLAIN


def normalise_direction(value: str | None) -> int:
    """'less'/'not so'/'not as'/'fewer'/'too' -> -1; 'more'/None -> +1."""
    if not value:
        return 1
    v = " ".join(value.lower().split())
    return -1 if v in _LESS_PHRASES or v.startswith("not ") else 1


def _colour_span(tokens: list[str], i: int) -> int:
    """Length of a colour name starting at ``tokens[i]`` ('navy blue', 'black'), else 0."""
    j = i
    while j < len(tokens) and tokens[j] in _COLOUR_MODIFIERS and j - i < 2:
        j += 1
    k = j
    while k < len(tokens) and tokens[k] in _COLOURS and k - j < 2:
        k += 1
    if k > j:
        return k - i
    # "navy" alone is a colour even though it is also a modifier
    if j > i and tokens[j - 1] in _COLOURS:
        return j - i
    return 0


@dataclass
class _State:
    intensity: float | None = None
    intensity_words: list[str] | None = None
    polarity: int | None = None
    direction_words: list[str] | None = None
    negated: bool = False
    negation_words: list[str] | None = None

    def reset(self) -> None:
        self.intensity = None
        self.intensity_words = None
        self.polarity = None
        self.direction_words = None
        self.negated = False
        self.negation_words = None


@dataclass(frozen=True)
class _Parsed:
    critique: Critique
    explicit_intensity: bool
    explicit_direction: bool


def _parse(text: str) -> list[_Parsed]:
    tokens = _tokens(text)
    n = len(tokens)
    found: list[_Parsed] = []
    st = _State()
    seg_has_comparative = False  # a colour after "a lighter" qualifies it: "a lighter blue"
    i = 0
    while i < n:
        tok = tokens[i]
        if tok in _BOUNDARIES:
            st.reset()
            seg_has_comparative = False
            i += 1
            continue
        # intensity: "a bit", "much", "way", "even"
        m = _match(tokens, i, _INTENSITY_PHRASES)
        if m is None and _wa_y(tok):
            m = (tok, 1)
        if m is not None:
            phrase, length = m
            value = _INTENSITY_PHRASES.get(phrase, MUCH)
            if st.intensity is None or value != PLAIN:  # "even much darker" -> much
                st.intensity = value
            st.intensity_words = (st.intensity_words or []) + tokens[i : i + length]
            i += length
            continue
        # direction: "more", "less", "not so", "too"
        m = _match(tokens, i, _LESS_PHRASES + _MORE_PHRASES)
        if m is not None:
            phrase, length = m
            nxt = tokens[i + length] if i + length < n else None
            if phrase == "too" and (nxt is None or nxt in _BOUNDARIES):
                i += length  # "shorter too": 'also', not 'excessively'
                continue
            st.polarity = -1 if phrase in _LESS_PHRASES else 1
            st.direction_words = tokens[i : i + length]
            i += length
            continue
        if tok in _NEGATIONS:
            st.negated = True
            st.negation_words = (st.negation_words or []) + [tok]
            i += 1
            continue
        if tok in _FILLERS or tok in _TRAILING:
            i += 1
            continue
        # an absolute colour ("in black", "navy blue?")
        span = _colour_span(tokens, i)
        if span == 1 and tok in _LEXICON:  # "dark" alone is a shade, not a colour
            span = 0
        if span and st.polarity is None and not seg_has_comparative:
            words = tokens[i : i + span]
            name = " ".join(words)
            said = " ".join((st.intensity_words or []) + words)
            critique = Critique(name, name, 1, st.intensity or PLAIN, said, absolute=True)
            found.append(_Parsed(critique, st.intensity is not None, False))
            st.reset()
            i += span
            continue
        known = tok in _LEXICON or tok in _FROM_COMPARATIVE or tok in _ALIASES
        open_vocab = (
            st.polarity is not None and re.fullmatch(r"[a-z][a-z'-]*", tok) is not None
        ) or _is_comparative(tok)
        if tok in _NOT_ATTRIBUTES or not (known or open_vocab):
            if st.polarity is not None or st.negated:
                st.reset()  # "more like the first one": no attribute follows
            i += 1
            continue
        words = [tok]
        j = i + 1
        if j < n and tokens[j] in _SUFFIX_NOUNS:
            words.append(tokens[j])  # "shorter sleeves"
            j += 1
        elif not known and j < n and tokens[j] in _PATTERN_NOUNS:
            words.append(tokens[j])  # "more animal print"
            j += 1
        lemma = " ".join([lemmatise(tok)] + [w for w in words[1:] if w not in _SUFFIX_NOUNS])
        polarity = st.polarity if st.polarity is not None else 1
        explicit_direction = st.polarity is not None
        if j < n and tokens[j] == "enough":  # "not dark enough" -> +1
            polarity = 1 if st.negated else polarity
            explicit_direction = True
            j += 1
        elif st.negated and st.polarity is None:  # "not formal" -> -1
            polarity = -1
            explicit_direction = True
        said = ((st.negation_words or []) + (st.intensity_words or []) + (st.direction_words or [])
                + tokens[i:j])
        critique = Critique(" ".join(words), lemma, polarity, st.intensity or PLAIN, " ".join(said))
        found.append(_Parsed(critique, st.intensity is not None, explicit_direction))
        seg_has_comparative = True
        st.reset()
        i = j
    # one critique per lemma: the last one said wins
    by_lemma: dict[str, _Parsed] = {}
    for p in found:
        by_lemma.pop(p.critique.lemma, None)
        by_lemma[p.critique.lemma] = p
    return list(by_lemma.values())


def parse_critiques(
    text: str,
    attribute: str | None = None,
    direction: str | None = None,
    intensity: str | None = None,
) -> list[Critique]:
    """The critiques in ``text``; the NLU slots fill in what the text does not say.

    ``attribute``/``direction``/``intensity`` are the entity values Rasa extracted
    (``intensity`` may be the normalised synonym ``a_bit``/``much``/``even``).  The text is
    parsed first; when it yields a single critique, a slot fills a modifier the text parse
    did not see; when it yields none, the slots alone make the critique.
    """
    parsed = _parse(text or "")
    if not parsed and attribute:
        words: list[str] = []
        if intensity:
            words.append(intensity.replace("_", " "))
        if direction:
            words.append(direction)
        parsed = _parse(" ".join(words + [attribute]))
        if not parsed:
            # the attribute slot holds a word the parser would not take alone ("boxy")
            lemma = " ".join(lemmatise(w) for w in attribute.lower().split())
            c = Critique(
                attribute.lower(), lemma, normalise_direction(direction),
                normalise_intensity(intensity), " ".join(words + [attribute.lower()]),
            )
            return [c]
    if len(parsed) == 1:
        p = parsed[0]
        c = p.critique
        if not p.explicit_intensity and intensity:
            c = _replace(c, intensity=normalise_intensity(intensity))
        if not p.explicit_direction and direction and not c.absolute:
            c = _replace(c, polarity=normalise_direction(direction))
        return [c]
    return [p.critique for p in parsed]


def _replace(c: Critique, **changes: Any) -> Critique:
    return dataclasses.replace(c, **changes)


# --------------------------------------------------------------------------------------
# Prompts
# --------------------------------------------------------------------------------------


def _comparative(word: str) -> str:
    if word in _COMPARATIVE:
        return _COMPARATIVE[word]
    return f"more {word}"


def _join(words: list[str]) -> str:
    return " ".join(w for w in words if w)


def _with_adjective(phrase_words: list[str], adjective: str, dimension: str | None,
                    pole: str | None) -> list[str]:
    """Put ``adjective`` into the item phrase: replace a word of the opposite side of the
    same dimension ('dark blue' + light -> 'light blue'), intensify a word of the same side
    ('dark blue' + dark -> 'very dark blue'), else prepend ('dark blue polo shirt')."""
    if dimension is not None:
        for idx, w in enumerate(phrase_words):
            sense = _LEXICON.get(w)
            if sense is None or sense.dimension != dimension:
                continue
            if sense.pole == pole:
                if idx > 0 and phrase_words[idx - 1] == "very":
                    return phrase_words[:idx] + [adjective] + phrase_words[idx + 1 :]
                return phrase_words[:idx] + ["very", adjective] + phrase_words[idx + 1 :]
            return phrase_words[:idx] + [adjective] + phrase_words[idx + 1 :]
    if adjective in phrase_words:
        idx = phrase_words.index(adjective)
        if idx > 0 and phrase_words[idx - 1] == "very":
            return phrase_words
        return phrase_words[:idx] + ["very"] + phrase_words[idx:]
    return [adjective] + phrase_words


def prompts_for(critique: Critique, item_phrase: str, kind: str | None = None) -> PromptPair:
    """The neutral/exemplar prompts for one critique of the item described by ``item_phrase``.

    >>> c = parse_critiques("darker")[0]
    >>> prompts_for(c, "blue polo shirt")
    PromptPair(neutral='blue polo shirt', exemplar='dark blue polo shirt', attribute='dark', \
intensity=1.0, phrase='darker', reverse=False, dimension='shade')
    """
    neutral = _join(item_phrase.lower().split())
    words = neutral.split()
    kind_norm = _join((kind or "").lower().replace("_", " ").split())
    lemma = critique.lemma
    prefix = _INTENSITY_NAMES.get(critique.intensity)

    if critique.absolute:
        if kind_norm and neutral.endswith(kind_norm):
            exemplar = f"{lemma} {kind_norm}"
        elif _colour_span(words, 0):  # "blue polo shirt" -> "black polo shirt"
            exemplar = _join([lemma] + words[_colour_span(words, 0) :])
        else:
            exemplar = _join([lemma] + words)
        return PromptPair(neutral, exemplar, lemma, critique.intensity, f"in {lemma}",
                          False, "colour")

    attr_words = critique.attribute.split()
    noun = attr_words[-1] if len(attr_words) > 1 and attr_words[-1] in _SUFFIX_NOUNS else None
    suffix = _SUFFIX_NOUNS[noun] if noun else None
    if noun and (noun in words or noun.rstrip("s") in words or noun + "s" in words):
        suffix = None  # "lower heels" on "black heels": "low black heels", not "low-heeled ..."
    sense = _LEXICON.get(lemma)

    def compound(adj: str) -> str:
        return f"{adj}-{suffix}" if suffix else adj

    def spoken(words_: str) -> str:
        out = f"{words_} {noun}" if noun else words_
        return f"{prefix} {out}" if prefix else out

    if sense is not None:
        if critique.polarity > 0:
            adjective, pole = lemma, sense.pole
            phrase = spoken(_comparative(lemma))
        else:
            adjective, pole = sense.opposite, _LEXICON[sense.opposite].pole
            opp_cmp = _comparative(sense.opposite)
            # "not so high" reads "lower"; "less formal" stays "less formal"
            phrase = spoken(opp_cmp if " " not in opp_cmp else f"less {lemma}")
        if suffix:
            exemplar = _join([compound(adjective)] + words)
        else:
            exemplar = _join(_with_adjective(words, adjective, sense.dimension, pole))
        return PromptPair(neutral, exemplar, lemma, critique.intensity, phrase, False,
                          sense.dimension)

    # open vocabulary: "greener", "more floral", "less boxy"
    said = critique.attribute.split()[0] if critique.attribute else lemma
    # the adjective as said, not its lemma's verb: "more revealing", not "more reveal"
    adjective = said if said != lemma and " " not in lemma and not _is_comparative(said) else lemma
    if critique.polarity > 0:
        phrase = spoken(said if _is_comparative(said) and " " not in lemma else f"more {adjective}")
        exemplar = _join(_with_adjective(words, compound(adjective), None, None))
        return PromptPair(neutral, exemplar, lemma, critique.intensity, phrase, False, lemma)
    phrase = spoken(f"less {adjective}")
    lemma_words = adjective.split()
    n = len(lemma_words)
    for idx in range(len(words) - n + 1):
        if words[idx : idx + n] == lemma_words and len(words) > n:
            # the item already says it ("boxy blue jacket"): walk toward the phrase without it
            exemplar = _join(words[:idx] + words[idx + n :])
            return PromptPair(neutral, exemplar, lemma, critique.intensity, phrase, False, lemma)
    exemplar = _join([compound(adjective)] + words)
    return PromptPair(neutral, exemplar, lemma, critique.intensity, phrase, True, lemma)


# --------------------------------------------------------------------------------------
# Item phrase
# --------------------------------------------------------------------------------------

_ARTICLES = frozenset({"a", "an", "the", "this", "our", "my", "new"})
_CLAUSE_RE = re.compile(r"[.,;:|()\[\]\n]|\s[-–—]\s")
_MAX_WORDS = 6


def _clean(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("_", " ").strip().lower()
    return " ".join(text.split())


def item_phrase(metadata: dict[str, Any] | None, category: str | None, text: str) -> str:
    """A short noun phrase for an item: 'blue polo shirt' from ``color_name`` + ``kind``
    when the metadata has them, else the first clause of ``text`` (at most six words)."""
    md = metadata or {}
    colour = _clean(md.get("color_name") or md.get("colour_name") or md.get("color")
                    or md.get("colour"))
    kind = _clean(md.get("kind")) or _clean(category)
    if kind:
        if colour and not kind.startswith(colour + " ") and kind != colour:
            return f"{colour} {kind}"
        return kind
    first = _CLAUSE_RE.split(text or "", maxsplit=1)[0]
    words = [w for w in _clean(first).split() if w]
    while words and words[0] in _ARTICLES:
        words = words[1:]
    words = words[:_MAX_WORDS]
    phrase = " ".join(words)
    if colour and phrase and colour not in phrase:
        phrase = f"{colour} {phrase}"
    return phrase or colour or "item"

