"""The engine's critique operations: what one shopper turn asks of the next item.

A turn is a list of operations applied together in one step (a compound critique, "darker
and cheaper", is one step that satisfies every part). The critique planner
(`gradrec_core.critique`) builds them from what the shopper said; `Engine.apply` executes them.

- `Comparative`: move along an attribute, from the neutral toward the exemplar prompt
  (GradREC's direction), by a graded amount ("a bit" < plain < "much"). `pole` / `counter`
  are the lexicon words of the two ends ("dark" / "light") and `noun` the part it applies to
  ("sleeve"): they let the engine ground the direction on a catalog column when one fits.
- `NumericComparative`: move along a numeric catalog column ("cheaper": price, down).
- `Require`: the item must have one of `values` in a categorical column ("in black").
- `RequireText`: the same when no column holds the value: the item's text must say it.
- `Range`: a numeric column within bounds ("under 50", "between 40 and 60").
- `Exclude`: the item must NOT have any of `values` in a categorical column ("not leather",
  "anything but black"); it persists like `Require`.
- `Different`: an item of another style ("something completely different"): the unseen item of
  the kind least like the current one; earlier comparatives and substitutions are let go, a
  budget is kept.
- `ChangeKind`: the same style as another kind ("show me sandals instead", "sportier" on casual
  shoes -> sports shoes): the step leaves the current kind for one of `kinds` (the one whose
  items are most like the current item), holding every other attribute.

`Require` and `Range` persist for later steps (a budget, a colour asked for) until a later
operation on the same column replaces them; comparatives persist as floors (after "darker",
"shorter" is still dark).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Comparative:
    neutral: str
    exemplar: str
    opposite: str = ""
    intensity: float = 1.0
    attribute: str = ""  # a stable label: "dark", "long sleeve", "green"
    dimension: str = ""  # lexicon dimension ("shade", "length") or the open-vocabulary lemma
    pole: tuple[str, ...] = ()  # words of the end asked for ("dark", "deep")
    counter: tuple[str, ...] = ()  # words of the other end ("light", "pale")
    noun: str = ""  # the part the attribute applies to: "sleeve", "heel"
    op: str = "comparative"

    @property
    def prompts(self) -> tuple[str, str, str]:
        return (self.neutral, self.exemplar, self.opposite)


@dataclass(frozen=True)
class NumericComparative:
    column: str
    sign: int  # +1 larger ("more expensive"), -1 smaller ("cheaper")
    intensity: float = 1.0
    attribute: str = ""
    op: str = "numeric_comparative"


@dataclass(frozen=True)
class Require:
    column: str
    values: tuple[str, ...]  # lower-cased catalog values, any of which satisfies
    attribute: str = ""  # as said: "black", "leather"
    op: str = "require"


@dataclass(frozen=True)
class RequireText:
    neutral: str
    exemplar: str
    words: tuple[str, ...]  # the item text must contain these words (singular or plural)
    attribute: str = ""
    op: str = "require_text"

    @property
    def prompts(self) -> tuple[str, str, str]:
        return (self.neutral, self.exemplar, "")

    def holds(self, text: str) -> bool:
        """Whether an item's text says every word, as written or in its other number ("pocket"
        for "pockets", "ruffles" for "ruffle"); hyphens and punctuation split words."""
        tokens = set(text.lower().replace("-", " ").replace(",", " ").replace(".", " ").split())
        return all(_word_forms(w.lower()) & tokens for w in self.words)


def _word_forms(word: str) -> set[str]:
    """A word and its other number: "pocket" <-> "pockets", "dress" <-> "dresses"."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
    return forms


@dataclass(frozen=True)
class Range:
    column: str
    low: float | None = None
    high: float | None = None
    attribute: str = ""
    op: str = "range"


@dataclass(frozen=True)
class Exclude:
    column: str
    values: tuple[str, ...]  # lower-cased catalog values, none of which may be the item's
    attribute: str = ""  # as said: "leather"
    op: str = "exclude"


@dataclass(frozen=True)
class Different:
    attribute: str = "different"
    op: str = "different"


@dataclass(frozen=True)
class ChangeKind:
    kinds: tuple[str, ...]  # the kind column's values as the catalog writes them, any of which will do
    attribute: str = ""  # as said: "sandals", "sportier"
    # from a comparative ("sportier"): its pole words. The plan then holds the comparative too,
    # and the engine keeps the one that fits: the comparative when the current kind's own items
    # have a value naming the end (formal heels exist), else the kind change
    pole: tuple[str, ...] = ()
    # set by the engine when it left the kind to keep earlier wishes the kind has nowhere together
    # with this turn's value ("in linen" after "in green": green linen shorts): those wishes, as said
    keeps: tuple[str, ...] = ()
    op: str = "change_kind"


Op = Union[Comparative, NumericComparative, Require, RequireText, Range, Exclude, Different, ChangeKind]

_TYPES: dict[str, type] = {
    "comparative": Comparative, "numeric_comparative": NumericComparative, "require": Require,
    "require_text": RequireText, "range": Range, "exclude": Exclude, "different": Different,
    "change_kind": ChangeKind,
}


def op_to_dict(op: Op) -> dict[str, Any]:
    return asdict(op)


def op_from_dict(d: dict[str, Any]) -> Op:
    kind = _TYPES[d["op"]]
    fields = dict(d)
    for key in ("pole", "counter", "values", "words", "kinds", "keeps"):
        if key in fields:
            fields[key] = tuple(fields[key])
    return kind(**fields)  # type: ignore[no-any-return]


def direction_prompts(ops: list[Op]) -> list[tuple[str, str, str]]:
    """The prompt triples whose directions the operations need."""
    return [op.prompts for op in ops if isinstance(op, (Comparative, RequireText))]


_WORD_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def prompt_comparative(neutral: str, exemplar: str, opposite: str = "", intensity: float = 1.0,
                       attribute: str = "") -> Comparative:
    """A comparative given by its prompts (`Engine.refine`, `gradrec walk`), with the pole words
    the graded step grounds on a column: a word the exemplar adds to the neutral prompt that
    the critique lexicon knows ("dark blue polo shirt": shade, dark / light; "long-sleeved":
    length, of the sleeve), or, for one other added word, that word as the open-vocabulary pole
    ("green polo shirt"); the words the opposite prompt adds as the other end. Anything else
    stays on the text direction."""
    from .critique.vocabulary import DIMENSIONS  # lazily: the critique package imports the engine
    from .graded import _PART_NOUNS

    def added(prompt: str) -> list[str]:
        base = set(_WORD_RE.findall(neutral.lower()))
        return [w for w in _WORD_RE.findall(prompt.lower()) if w not in base]

    toward, away = added(exemplar), added(opposite) if opposite else []
    parts = [p for w in toward + away for p in w.split("-")]  # "long-sleeved": long, of the sleeve
    noun = next((n for p in parts for n in (p[:-1], p[:-2]) if p.endswith("ed") and n in _PART_NOUNS), "")
    split = lambda words: [p for w in words for p in w.split("-")]  # noqa: E731
    for dimension, (side_a, side_b) in DIMENSIONS.items():
        for pole, counter in ((side_a, side_b), (side_b, side_a)):
            if any(w in pole for w in split(toward)) or any(w in counter for w in split(away)):
                return Comparative(neutral, exemplar, opposite, intensity, attribute, dimension, pole, counter, noun)
    if len(toward) == 1 and len(away) <= 1:
        return Comparative(neutral, exemplar, opposite, intensity, attribute, toward[0], tuple(toward), tuple(away))
    return Comparative(neutral, exemplar, opposite, intensity, attribute)
