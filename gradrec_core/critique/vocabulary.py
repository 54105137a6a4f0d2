"""The one vocabulary source: the critique lexicon and the shop words, loaded from
`vocabulary.json` (data, not code). The parser and the sample catalog generator
(`data/catalog/generate.py`) both read it, so a colour or pattern word added here reaches both.
(The NLU has no lookup tables: its examples come from scripts/nlu_vocabulary.py, many shops' words.)"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

_DATA = json.loads((Path(__file__).with_name("vocabulary.json")).read_text(encoding="utf-8"))

#: dimension -> (words of pole A, words of pole B); the first word of a side is its canonical pole
DIMENSIONS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType(
    {k: (tuple(a), tuple(b)) for k, (a, b) in _DATA["dimensions"].items()})
#: lexicon word -> its synthetic comparative ("dark" -> "darker")
COMPARATIVES: Mapping[str, str] = MappingProxyType(dict(_DATA["comparatives"]))
#: words said for a lexicon word ("taller" -> "high")
ALIASES: Mapping[str, str] = MappingProxyType(dict(_DATA["aliases"]))
#: basic colour words shoppers say, and the modifiers that may precede them ("navy blue")
COLOURS: frozenset[str] = frozenset(_DATA["colours"])
COLOUR_MODIFIERS: frozenset[str] = frozenset(_DATA["colour_modifiers"])
#: pattern words (the sample catalog's patterns, in its order)
PATTERNS: tuple[str, ...] = tuple(_DATA["patterns"])
