"""Generate a deterministic sample fashion catalog with ground truth and rendered images.

Usage::

    python data/catalog/generate.py --out data/catalog/sample [--seed 20221] [--no-images]
                                    [--limit N] [--workers N]

Writes ``<out>/items.csv`` and ``<out>/images/<id>.png`` (224x224 RGB, white background, a flat
silhouette of the item filled with its colour). The same seed gives byte-identical output: every
random choice comes from one seeded ``random.Random``, nothing depends on time, dict order of
external data or set order, and files are written atomically (temporary file, then rename).

The catalog holds ~3,400 items over 12 kinds (the ``kind`` column): polo shirt, t-shirt, shirt,
dress, skirt, trousers, shorts, heels, flats, sneakers, jacket, coat. Names and descriptions use
varied wording and synonyms (``KIND_SYNONYMS``) so that a query cannot be answered by string
matching alone, but everything they say is true to the ground-truth columns.

Ground-truth columns and their scales (empty string where a column does not apply):

``color_name``, ``color_hex``, ``color_r/g/b``
    A colour from matplotlib's XKCD list (``colour_vocabulary()``), with names a shop would never
    print removed (puke, poo, snot, ugly, ...), misspellings and slash names removed, and names whose
    own tone word contradicts their lightness removed (e.g. "dark cream", "light navy").
``lightness``
    CIELAB L* (D65 white, sRGB transfer curve), 0 (black) .. 100 (white), one decimal.
``hue_family``
    One of red, orange, yellow, green, teal, blue, purple, pink, brown, beige, grey, black, white,
    from HSV hue, CIELAB chroma C* and L* (achromatic families by low chroma / extreme L*); when the
    colour name's head noun names a neighbouring family ("blue grey", "reddish brown") that wins.
``length`` / ``length_name`` (dresses, skirts, trousers, shorts)
    Dresses and skirts: 1 mini, 2 above-knee, 3 knee-length, 4 midi, 5 maxi.
    Trousers and shorts share one leg-length scale: 1 short shorts, 2 mid-thigh, 3 bermuda
    (shorts), 4 cropped, 5 full-length (trousers).
``sleeve_length`` / ``sleeve_name`` (t-shirts, polo shirts, shirts, dresses, jackets, coats)
    0 sleeveless, 1 short, 2 three-quarter, 3 long.
``heel_cm`` (heels 3..12, flats 0..2, sneakers 2..5; one decimal)
    Heel height (for sneakers the sole height at the heel).
``formality`` / ``formality_name``
    1 athleisure, 2 casual, 3 smart casual, 4 business, 5 formal.
``fit``, ``material``, ``pattern`` (plain, striped, checked, floral, polka-dot), ``price``.

Description tone words: about half of the items get a tone word in front of the colour, chosen
from the ground truth: "deep" / "dark" / "rich" only when L* < 35, "pale" / "light" / "soft pastel"
only when L* > 75 (never for black/white). Apart from colour names, descriptions never use the
words light, dark, deep, rich, pale, pastel or soft.

The module is importable without side effects (``importlib`` by path): it exposes
``KIND_SYNONYMS``, ``colour_vocabulary()``, ``colour_table()``, ``generate(seed)``,
``render_image(row)`` and ``write_catalog(out, ...)``.
"""

import argparse
import colorsys
import csv
import functools
import io
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from gradrec_core.critique import vocabulary

DEFAULT_SEED = 20221
IMAGE_SIZE = 224
WHITE = (255, 255, 255)

CSV_COLUMNS: list[str] = [
    "id", "name", "description", "kind", "color_name", "color_hex", "color_r", "color_g",
    "color_b", "lightness", "hue_family", "length", "length_name", "sleeve_length",
    "sleeve_name", "heel_cm", "formality", "formality_name", "fit", "material", "pattern",
    "price", "image",
]

KINDS: list[str] = [
    "polo shirt", "t-shirt", "shirt", "dress", "skirt", "trousers", "shorts", "heels", "flats",
    "sneakers", "jacket", "coat",
]
KIND_PREFIX: dict[str, str] = {
    "polo shirt": "polo", "t-shirt": "tee", "shirt": "shirt", "dress": "dress", "skirt": "skirt",
    "trousers": "trousers", "shorts": "shorts", "heels": "heels", "flats": "flats",
    "sneakers": "sneakers", "jacket": "jacket", "coat": "coat",
}
KIND_COUNTS: dict[str, int] = {
    "polo shirt": 440, "t-shirt": 320, "shirt": 320, "dress": 320, "skirt": 320, "trousers": 320,
    "shorts": 200, "heels": 320, "flats": 200, "sneakers": 260, "jacket": 220, "coat": 160,
}

HUE_FAMILIES: list[str] = [
    "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "beige", "grey",
    "black", "white",
]
LENGTH_NAMES: dict[int, str] = {1: "mini", 2: "above-knee", 3: "knee-length", 4: "midi", 5: "maxi"}
LEG_LENGTH_NAMES: dict[int, str] = {
    1: "short shorts", 2: "mid-thigh", 3: "bermuda", 4: "cropped", 5: "full-length",
}
SLEEVE_NAMES: dict[int, str] = {0: "sleeveless", 1: "short", 2: "three-quarter", 3: "long"}
FORMALITY_NAMES: dict[int, str] = {
    1: "athleisure", 2: "casual", 3: "smart casual", 4: "business", 5: "formal",
}
PATTERNS: list[str] = list(vocabulary.PATTERNS)  # the one vocabulary source (gradrec_core/critique/vocabulary.json)

#: L* thresholds for tone words in descriptions (tests use looser bounds).
DARK_TONE_MAX_L = 35.0
LIGHT_TONE_MIN_L = 75.0
DARK_TONE_WORDS: list[str] = ["deep", "dark", "rich"]
LIGHT_TONE_WORDS: list[str] = ["pale", "light", "soft pastel"]

# --------------------------------------------------------------------------------------------
# Colours
# --------------------------------------------------------------------------------------------

#: Substrings that make an XKCD name unprintable in a shop (or just not a colour name).
_BANNED_SUBSTRINGS: tuple[str, ...] = (
    "puke", "vomit", "poo", "barf", "snot", "booger", "shit", "diarrhea", "ugly", "sick",
    "dirty", "bile", "piss", "icky", "gross", "nasty", "weird", "boring", "blood", "bruise",
    "pig ", "mud", "dirt", "swamp", "slime", "toxic", "poison", "radioactive", "hospital",
    "kermit", "barney", "urple", "hint of", "macaroni", "pea soup", "windows", "nice ", "bland",
    "drab", "dull", "murky", "/", "fluro", "camo",
)
#: Whole names dropped: bare modifiers, misspellings, run-together duplicates and oddities.
_BANNED_NAMES: frozenset[str] = frozenset({
    "dark", "pale", "bluish", "greenish", "greyish", "pinkish", "purplish", "purpleish", "reddish",
    "brownish", "orangish", "orangeish", "yellowish", "purpley", "purply", "pinky", "tealish",
    "forrest green", "liliac", "light lavendar", "perrywinkle", "terracota", "toupe", "ocre",
    "burnt siena", "kelley green", "robin egg blue", "egg shell", "aqua marine", "darkblue",
    "darkgreen", "lightblue", "lightgreen", "bluegreen", "bluegrey", "greyblue", "greenblue",
    "yellowgreen", "orangered", "creme", "blue blue", "light light blue", "light light green",
    "rosa", "azul", "earth", "dust", "ocher", "lichen", "algae", "algae green", "bluey green",
    "bluey grey", "bluey purple", "greeny blue", "greeny brown", "greeny grey", "greeny yellow",
    "browny green", "browny orange", "reddy brown", "pea", "off blue", "off green", "off yellow",
    "flat blue", "flat green", "leaf", "sea", "ice", "tea", "pea", "pear", "pine", "apple",
    "kiwi", "banana", "butter", "canary", "velvet", "leather", "denim", "heather", "squash",
})
_DARK_NAME_WORDS = ("dark", "deep", "darkish", "midnight", "night")
_LIGHT_NAME_WORDS = ("light", "pale", "pastel", "lightish", "baby", "powder")
#: Words that already carry a tone: no extra tone word is put in front of such a colour.
_TONE_CARRYING_WORDS = frozenset({
    "dark", "deep", "darkish", "light", "lightish", "pale", "pastel", "very", "soft", "rich",
    "bright", "baby", "powder", "midnight", "night", "dusky", "dusty", "faded", "neon",
    "electric", "vivid", "vibrant", "hot", "fluorescent", "highlighter", "almost", "off",
    "muted", "washed",
})

_HEAD_NOUN_FAMILY: dict[str, str] = {
    "red": "red", "orange": "orange", "yellow": "yellow", "green": "green", "teal": "teal",
    "blue": "blue", "purple": "purple", "pink": "pink", "brown": "brown", "beige": "beige",
    "grey": "grey", "black": "black", "white": "white", "navy": "blue", "violet": "purple",
    "lavender": "purple", "lilac": "purple", "maroon": "red", "burgundy": "red",
    "turquoise": "teal", "aqua": "teal", "cyan": "teal", "magenta": "pink", "fuchsia": "pink",
    "tan": "beige", "khaki": "beige", "cream": "beige", "olive": "green", "mint": "green",
    "lime": "green", "gold": "yellow",
}
_HUE_RING: list[str] = ["red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]
_EXTRA_NEIGHBOURS: dict[str, set[str]] = {
    "brown": {"red", "orange", "yellow", "beige", "green"},
    "beige": {"brown", "yellow", "orange", "white", "grey", "pink"},
}


@dataclass(frozen=True)
class Colour:
    """One named colour with its measured ground truth."""

    name: str
    hex: str
    rgb: tuple[int, int, int]
    lightness: float  # CIELAB L*
    chroma: float  # CIELAB C*
    hsv_hue: float  # degrees
    family: str


def _srgb_to_linear(c: float) -> float:
    c /= 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def rgb_to_lab(rgb: Sequence[int]) -> tuple[float, float, float]:
    """sRGB (0..255) to CIELAB (D65)."""
    r, g, b = (_srgb_to_linear(float(v)) for v in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1.0 / 3.0) if t > 216.0 / 24389.0 else (24389.0 / 27.0 * t + 16.0) / 116.0

    fx, fy, fz = f(x), f(y), f(z)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def _neighbours(family: str) -> set[str]:
    out = set(_EXTRA_NEIGHBOURS.get(family, set()))
    if family in _HUE_RING:
        i = _HUE_RING.index(family)
        out |= {_HUE_RING[(i - 1) % len(_HUE_RING)], _HUE_RING[(i + 1) % len(_HUE_RING)]}
    for fam, extra in _EXTRA_NEIGHBOURS.items():
        if family in extra:
            out.add(fam)
    return out


def hue_family(name: str, rgb: Sequence[int]) -> str:
    """Hue family of a colour from its HSV hue, CIELAB L* and C*, refined by the name's head noun."""
    lum, a, b = rgb_to_lab(rgb)
    chroma = math.hypot(a, b)
    hue = colorsys.rgb_to_hsv(*(v / 255.0 for v in rgb))[0] * 360.0
    fam = _measured_family(lum, chroma, hue)
    head = _HEAD_NOUN_FAMILY.get(name.split()[-1])
    if head is None or head == fam:
        return fam
    if fam == "grey" or (head == "grey" and chroma < 20):
        return head
    if fam == "white" and lum > 88 or fam == "black" and lum < 20:
        return head
    if head in _neighbours(fam):
        if head in _HUE_RANGES and fam in _HUE_RANGES and _hue_distance(hue, _HUE_RANGES[head]) > 20:
            return fam  # e.g. "green blue" is measurably teal, not blue
        return head
    return fam


#: HSV hue ranges (degrees, start inclusive, end exclusive, may wrap) of the chromatic families.
_HUE_RANGES: dict[str, tuple[float, float]] = {
    "red": (330, 12), "orange": (12, 40), "yellow": (40, 62), "green": (62, 160),
    "teal": (160, 195), "blue": (195, 262), "purple": (262, 292), "pink": (292, 20),
}


def _hue_distance(hue: float, rng: tuple[float, float]) -> float:
    lo, hi = rng
    inside = lo <= hue < hi if lo < hi else (hue >= lo or hue < hi)
    if inside:
        return 0.0
    return min(min(abs(hue - e), 360 - abs(hue - e)) for e in (lo, hi))


def _measured_family(lum: float, chroma: float, hue: float) -> str:
    if chroma < 16 and lum < 18:
        return "black"
    if lum >= 93 and chroma < 16:
        return "white"
    if chroma < 12:
        return "grey"
    if 12 <= hue < 65:
        if lum >= 62 and chroma < 46 and (hue >= 28 or chroma < 22):
            return "beige"
        if lum < 45 or (lum < 62 and chroma < 40):
            return "brown"
    if hue < 12 or hue >= 345:
        return "pink" if lum >= 68 else "red"
    if hue < 40:
        return "orange"
    if hue < 62:
        return "yellow"
    if hue < 160:
        return "green"
    if hue < 195:
        return "teal"
    if hue < 262:
        return "blue"
    if hue < 292:
        return "purple"
    if lum < 45:
        return "red" if hue >= 330 else "purple"
    return "pink"


def _name_ok(name: str, lum: float) -> bool:
    if name in _BANNED_NAMES or any(s in name for s in _BANNED_SUBSTRINGS):
        return False
    words = name.split()
    if any(w in _DARK_NAME_WORDS for w in words) and lum >= 55:
        return False
    if any(w in _LIGHT_NAME_WORDS for w in words) and lum <= 50:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _colour_table() -> tuple[Colour, ...]:
    from matplotlib._color_data import XKCD_COLORS  # lazy: keep import cheap

    out: list[Colour] = []
    for key in sorted(XKCD_COLORS):
        name = key[len("xkcd:"):] if key.startswith("xkcd:") else key
        hx = XKCD_COLORS[key].lower()
        rgb = (int(hx[1:3], 16), int(hx[3:5], 16), int(hx[5:7], 16))
        lum, a, b = rgb_to_lab(rgb)
        if not _name_ok(name, lum):
            continue
        hue = colorsys.rgb_to_hsv(*(v / 255.0 for v in rgb))[0] * 360.0
        out.append(Colour(name, hx, rgb, round(lum, 1), math.hypot(a, b), hue,
                          hue_family(name, rgb)))
    return tuple(out)


def colour_table() -> list[Colour]:
    """The filtered XKCD colours with L*, chroma and hue family, sorted by name."""
    return list(_colour_table())


def colour_vocabulary() -> list[str]:
    """The filtered XKCD colour names (no ``xkcd:`` prefix), sorted."""
    return sorted(c.name for c in _colour_table())


def _title(text: str) -> str:
    """Title-case words without breaking apostrophes or hyphens ("robin's egg" -> "Robin's Egg")."""
    def cap(w: str) -> str:
        return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
    return " ".join(cap(w) for w in text.split())


# --------------------------------------------------------------------------------------------
# Styles (sub-types of each kind)
# --------------------------------------------------------------------------------------------

Weights = dict  # {value: weight}


@dataclass(frozen=True)
class Style:
    """A sub-type of a kind: what it may be made of, how it is cut, and what it may be called."""

    key: str
    weight: float
    title: str  # product-title noun, e.g. "Piqué Polo Shirt"
    nouns: tuple[str, ...]  # description synonyms, all true for every item of the style
    materials: Weights
    fits: Weights
    formality: Weights
    price: float  # base price
    patterns: Weights = field(default_factory=lambda: {"plain": 1})
    sleeves: Weights | None = None
    lengths: Weights | None = None
    heel: tuple[float, float] | None = None
    details: tuple[str, ...] = ()
    plural: bool = False  # "a pair of" items


def _s(key: str, weight: float, title: str, nouns: Iterable[str], materials: Weights,
       fits: Weights, formality: Weights, price: float, **kw: object) -> Style:
    return Style(key, weight, title, tuple(nouns), materials, fits, formality, price, **kw)  # type: ignore[arg-type]


_TOP_PATTERNS = {"plain": 14, "striped": 3, "checked": 0, "floral": 1, "polka-dot": 1}

STYLES: dict[str, list[Style]] = {
    "polo shirt": [
        _s("pique", 5, "Piqué Polo Shirt", ["polo", "polo shirt", "piqué polo"],
           {"cotton piqué": 1}, {"slim": 3, "regular": 4, "relaxed": 1}, {2: 5, 3: 4}, 39,
           patterns={"plain": 8, "striped": 2}, sleeves={1: 8, 3: 2},
           details=("a ribbed collar", "a two-button placket", "a split hem", "ribbed cuffs")),
        _s("jersey", 3, "Jersey Polo Shirt", ["polo", "polo shirt", "jersey polo"],
           {"cotton jersey": 1}, {"slim": 2, "regular": 4, "relaxed": 2}, {2: 7, 3: 2}, 29,
           patterns={"plain": 8, "striped": 2, "polka-dot": 1}, sleeves={1: 7, 3: 3},
           details=("a three-button placket", "a fold-down collar", "a curved hem")),
        _s("knit", 2, "Knitted Polo", ["polo", "knitted polo", "polo shirt", "knit polo"],
           {"merino wool": 2, "cotton knit": 2}, {"slim": 3, "regular": 2}, {3: 6, 4: 2}, 69,
           patterns={"plain": 9, "striped": 1}, sleeves={1: 5, 3: 5},
           details=("an open collar", "a buttonless placket", "ribbed trims")),
        _s("sport", 2, "Performance Polo", ["polo", "golf polo", "sports polo", "polo shirt"],
           {"technical jersey": 1}, {"slim": 3, "regular": 3}, {1: 6, 2: 3}, 35,
           patterns={"plain": 9, "striped": 1}, sleeves={1: 9, 3: 1},
           details=("sweat-wicking fabric", "a stretch collar", "a drop-tail hem")),
    ],
    "t-shirt": [
        _s("crew", 5, "Crew-Neck Tee", ["tee", "t-shirt", "crew-neck tee", "crewneck t-shirt"],
           {"cotton jersey": 4, "organic cotton": 2, "slub jersey": 1},
           {"slim": 2, "regular": 4, "relaxed": 2}, {1: 3, 2: 7}, 19, patterns=_TOP_PATTERNS,
           sleeves={1: 1}, details=("a ribbed crew neck", "taped shoulder seams", "a straight hem")),
        _s("vneck", 2, "V-Neck Tee", ["tee", "t-shirt", "v-neck tee", "v-neck t-shirt"],
           {"cotton jersey": 3, "modal jersey": 1}, {"slim": 3, "regular": 3}, {1: 2, 2: 6}, 19,
           patterns={"plain": 10, "striped": 2}, sleeves={1: 1},
           details=("a clean v-neck", "a curved hem", "a fine rib trim")),
        _s("longsleeve", 2, "Long-Sleeve Tee",
           ["tee", "long-sleeve tee", "long-sleeved t-shirt", "t-shirt"],
           {"cotton jersey": 3, "waffle knit": 1}, {"slim": 2, "regular": 3, "relaxed": 1},
           {1: 3, 2: 6}, 25, patterns={"plain": 10, "striped": 3}, sleeves={3: 1},
           details=("ribbed cuffs", "a crew neck", "thumb-friendly cuffs")),
        _s("oversized", 2, "Oversized Tee", ["tee", "oversized tee", "boxy t-shirt", "t-shirt"],
           {"heavyweight cotton": 3, "cotton jersey": 1}, {"oversized": 1}, {1: 4, 2: 6}, 29,
           patterns={"plain": 10, "polka-dot": 1, "floral": 1}, sleeves={1: 3, 2: 1},
           details=("dropped shoulders", "a thick ribbed neckband", "a boxy body")),
        _s("tank", 2, "Tank Top", ["tank top", "sleeveless tee", "vest top", "tank"],
           {"cotton jersey": 2, "rib jersey": 2}, {"slim": 3, "regular": 2, "relaxed": 1},
           {1: 6, 2: 4}, 15, patterns={"plain": 10, "striped": 2}, sleeves={0: 1},
           details=("a scoop neck", "racer-back straps", "bound armholes")),
        _s("breton", 1, "Breton Top", ["breton top", "striped tee", "breton t-shirt", "tee"],
           {"cotton jersey": 2, "heavyweight cotton": 1}, {"regular": 2, "relaxed": 1},
           {2: 7, 3: 2}, 35, patterns={"striped": 1}, sleeves={3: 3, 2: 2},
           details=("a boat neck", "classic nautical stripes", "a straight hem")),
    ],
    "shirt": [
        _s("oxford", 4, "Oxford Shirt", ["oxford shirt", "button-down shirt", "shirt", "button-down"],
           {"cotton oxford": 1}, {"slim": 3, "regular": 4, "relaxed": 1}, {2: 3, 3: 6, 4: 2}, 45,
           patterns={"plain": 7, "striped": 3, "checked": 2}, sleeves={3: 8, 1: 2},
           details=("a button-down collar", "a chest pocket", "a box-pleat back")),
        _s("dress", 3, "Poplin Dress Shirt", ["dress shirt", "formal shirt", "shirt", "poplin shirt"],
           {"cotton poplin": 3, "cotton twill": 1}, {"slim": 4, "regular": 3}, {4: 6, 5: 3}, 55,
           patterns={"plain": 8, "striped": 2, "checked": 1}, sleeves={3: 1},
           details=("a cutaway collar", "double cuffs", "a spread collar", "mother-of-pearl buttons")),
        _s("linen", 3, "Linen Shirt", ["linen shirt", "shirt", "button-up shirt", "button-up"],
           {"linen": 3, "linen-cotton blend": 1}, {"regular": 3, "relaxed": 3, "slim": 1},
           {2: 5, 3: 4}, 49, patterns={"plain": 8, "striped": 2}, sleeves={3: 6, 1: 3, 2: 1},
           details=("a camp collar", "a breezy, airy weave", "a curved hem", "a patch pocket")),
        _s("denim", 2, "Denim Shirt", ["denim shirt", "western shirt", "shirt"], {"denim": 1},
           {"regular": 3, "slim": 2, "relaxed": 1}, {2: 1}, 49, sleeves={3: 1},
           details=("pearl snap buttons", "twin chest pockets", "a yoke back")),
        _s("flannel", 2, "Flannel Shirt", ["flannel shirt", "flannel", "check shirt", "shirt"],
           {"brushed cotton flannel": 1}, {"regular": 3, "relaxed": 2}, {2: 1}, 42,
           patterns={"checked": 1}, sleeves={3: 1},
           details=("a brushed finish", "twin flap pockets", "a button-down collar")),
        _s("blouse", 3, "Silk Blouse", ["blouse", "silk shirt", "shirt", "silk blouse"],
           {"silk": 3, "silk crepe de chine": 1}, {"relaxed": 3, "regular": 2, "slim": 1},
           {3: 4, 4: 4, 5: 2}, 89, patterns={"plain": 8, "floral": 2, "polka-dot": 2},
           sleeves={3: 5, 2: 2, 1: 2, 0: 1},
           details=("a pussy-bow neck", "covered buttons", "a fluid drape", "a concealed placket")),
        _s("camp", 2, "Camp-Collar Shirt",
           ["camp-collar shirt", "bowling shirt", "short-sleeve shirt", "shirt"],
           {"viscose": 3, "cotton poplin": 1}, {"relaxed": 3, "regular": 2}, {2: 7, 3: 2}, 39,
           patterns={"plain": 5, "floral": 3, "striped": 2}, sleeves={1: 1},
           details=("a revere collar", "a boxy cut", "a straight hem with side vents")),
    ],
    "dress": [
        _s("shift", 3, "Shift Dress", ["dress", "shift dress", "shift"],
           {"crepe": 3, "cotton": 2, "linen": 1}, {"shift": 1}, {3: 5, 4: 4}, 59,
           patterns={"plain": 8, "polka-dot": 1, "checked": 1},
           sleeves={0: 3, 1: 3, 2: 2, 3: 2}, lengths={1: 2, 2: 4, 3: 4},
           details=("a round neck", "a concealed back zip", "side pockets")),
        _s("wrap", 3, "Wrap Dress", ["dress", "wrap dress", "frock"],
           {"jersey": 3, "viscose": 2, "silk": 1}, {"wrap": 1}, {2: 3, 3: 5, 4: 2}, 69,
           patterns={"plain": 6, "floral": 3, "polka-dot": 2},
           sleeves={1: 3, 2: 3, 3: 3}, lengths={3: 3, 4: 4, 5: 2},
           details=("a tie waist", "a v-neckline", "a flutter hem")),
        _s("slip", 2, "Slip Dress", ["dress", "slip dress", "cami dress"],
           {"satin": 3, "silk": 2}, {"slim": 2, "relaxed": 1}, {3: 3, 4: 1, 5: 4}, 79,
           sleeves={0: 1}, lengths={2: 2, 3: 2, 4: 4, 5: 3},
           details=("adjustable straps", "a cowl neck", "a bias cut")),
        _s("shirtdress", 2, "Shirt Dress", ["dress", "shirt dress", "shirtdress"],
           {"cotton poplin": 3, "linen": 2, "denim": 1}, {"relaxed": 2, "regular": 2},
           {2: 5, 3: 4}, 65, patterns={"plain": 7, "striped": 3, "checked": 2},
           sleeves={1: 3, 2: 2, 3: 3}, lengths={2: 2, 3: 4, 4: 3},
           details=("a belted waist", "a button-through front", "a point collar")),
        _s("tshirt", 2, "T-Shirt Dress", ["dress", "t-shirt dress", "tee dress", "jersey dress"],
           {"cotton jersey": 1}, {"relaxed": 3, "oversized": 1}, {1: 4, 2: 6}, 35,
           patterns={"plain": 8, "striped": 3}, sleeves={1: 1}, lengths={1: 3, 2: 3, 3: 2, 4: 2},
           details=("a crew neck", "side-seam pockets", "a straight hem")),
        _s("sundress", 3, "Sundress", ["dress", "sundress", "summer dress"],
           {"cotton": 3, "linen": 2}, {"a-line": 2, "fit-and-flare": 2}, {2: 1}, 49,
           patterns={"plain": 4, "floral": 5, "polka-dot": 2, "checked": 1},
           sleeves={0: 1}, lengths={1: 2, 2: 2, 3: 2, 4: 3, 5: 2},
           details=("thin shoulder straps", "a smocked back", "a tiered skirt")),
        _s("gown", 2, "Evening Gown", ["dress", "gown", "evening gown", "evening dress"],
           {"silk": 2, "satin": 3, "chiffon": 2, "velvet": 2}, {"fit-and-flare": 2, "a-line": 2, "slim": 1},
           {5: 1}, 169, sleeves={0: 4, 1: 1, 3: 2}, lengths={5: 1},
           details=("a fitted bodice", "a thigh-high split", "a sweeping train", "a corset back")),
        _s("cocktail", 2, "Cocktail Dress", ["dress", "cocktail dress", "party dress"],
           {"satin": 2, "crepe": 2, "velvet": 1, "sequinned tulle": 1},
           {"bodycon": 2, "fit-and-flare": 3}, {4: 2, 5: 5}, 99,
           sleeves={0: 3, 1: 2, 2: 1}, lengths={1: 3, 2: 3, 3: 2},
           details=("a sweetheart neckline", "a structured bodice", "a full skirt")),
        _s("knit", 2, "Knitted Dress", ["dress", "knit dress", "jumper dress", "sweater dress"],
           {"wool blend": 2, "ribbed knit": 2, "cashmere blend": 1}, {"bodycon": 2, "relaxed": 2},
           {2: 4, 3: 4}, 75, patterns={"plain": 8, "striped": 2},
           sleeves={3: 4, 2: 1}, lengths={3: 2, 4: 3, 5: 2},
           details=("a roll neck", "ribbed trims", "a crew neck")),
    ],
    "skirt": [
        _s("pencil", 3, "Pencil Skirt", ["skirt", "pencil skirt"],
           {"crepe": 3, "wool blend": 2, "leather": 1}, {"pencil": 1}, {3: 4, 4: 6}, 55,
           patterns={"plain": 9, "checked": 2, "striped": 1}, lengths={2: 2, 3: 5, 4: 3},
           details=("a back vent", "a high waist", "a concealed zip")),
        _s("aline", 3, "A-Line Skirt", ["skirt", "a-line skirt"],
           {"cotton": 3, "suede": 1, "corduroy": 1}, {"a-line": 1}, {2: 5, 3: 4}, 45,
           patterns={"plain": 7, "checked": 2, "floral": 2, "polka-dot": 1},
           lengths={1: 3, 2: 3, 3: 3, 4: 2}, details=("front buttons", "patch pockets", "a high waist")),
        _s("pleated", 3, "Pleated Skirt", ["skirt", "pleated skirt", "plissé skirt"],
           {"chiffon": 2, "satin": 2, "crepe": 1}, {"flared": 1}, {3: 6, 4: 2, 5: 1}, 59,
           patterns={"plain": 8, "polka-dot": 2}, lengths={3: 2, 4: 5, 5: 3},
           details=("sunray pleats", "an elasticated waist", "a fluid drape")),
        _s("wrap", 2, "Wrap Skirt", ["skirt", "wrap skirt", "sarong skirt"],
           {"viscose": 3, "linen": 2}, {"wrap": 1}, {2: 6, 3: 4}, 45,
           patterns={"plain": 6, "floral": 4, "polka-dot": 1}, lengths={1: 2, 2: 2, 3: 2, 4: 4, 5: 2},
           details=("a tie side", "a ruffled hem", "an asymmetric hem")),
        _s("denim", 2, "Denim Skirt", ["skirt", "denim skirt", "jean skirt"], {"denim": 1},
           {"a-line": 2, "straight": 2}, {2: 1}, 39, lengths={1: 4, 2: 3, 3: 2, 4: 1},
           details=("five pockets", "a front split", "a raw hem")),
        _s("slip", 2, "Satin Slip Skirt", ["skirt", "slip skirt", "satin skirt"], {"satin": 1},
           {"slim": 1}, {3: 5, 5: 2}, 49, lengths={4: 3, 5: 2},
           details=("a bias cut", "an elasticated waist", "a fluid drape")),
        _s("tiered", 2, "Tiered Skirt", ["skirt", "tiered skirt", "prairie skirt", "peasant skirt"],
           {"cotton": 3, "cotton voile": 1}, {"flared": 1}, {2: 1}, 49,
           patterns={"plain": 5, "floral": 4, "polka-dot": 1}, lengths={4: 2, 5: 3},
           details=("gathered tiers", "an elasticated waist", "a broderie trim")),
        _s("skater", 2, "Skater Skirt", ["skirt", "skater skirt", "tennis skirt"],
           {"jersey": 2, "scuba": 1}, {"flared": 1}, {1: 5, 2: 4}, 25,
           patterns={"plain": 8, "checked": 2, "striped": 1}, lengths={1: 3, 2: 2},
           details=("a flippy hem", "built-in shorts", "a wide waistband")),
    ],
    "trousers": [
        _s("chinos", 4, "Chinos", ["chinos", "trousers", "pants", "chino trousers"],
           {"cotton twill": 3, "stretch cotton": 1}, {"slim": 3, "straight": 3, "tapered": 2},
           {2: 4, 3: 6}, 45, lengths={4: 3, 5: 6},
           details=("slanted front pockets", "a button fly", "a turn-up hem"), plural=True),
        _s("tailored", 3, "Tailored Trousers", ["trousers", "slacks", "tailored pants", "dress pants"],
           {"wool blend": 3, "crepe": 2, "wool": 1}, {"slim": 3, "straight": 3, "wide-leg": 2},
           {3: 2, 4: 7, 5: 1}, 69, patterns={"plain": 8, "striped": 2, "checked": 1},
           lengths={4: 3, 5: 7}, details=("pressed creases", "a hook-and-bar waist", "side adjusters"),
           plural=True),
        _s("jeans", 4, "Jeans", ["jeans", "denim jeans", "five-pocket jeans"], {"denim": 4, "stretch denim": 2},
           {"slim": 3, "straight": 3, "wide-leg": 2, "relaxed": 2, "tapered": 1}, {2: 1}, 59,
           lengths={4: 4, 5: 6}, details=("five pockets", "a button fly", "a raw hem", "a zip fly"),
           plural=True),
        _s("wideleg", 3, "Wide-Leg Trousers", ["trousers", "wide-leg trousers", "wide-leg pants", "pants"],
           {"linen": 3, "viscose": 2, "crepe": 2}, {"wide-leg": 1}, {2: 3, 3: 5, 4: 2}, 55,
           patterns={"plain": 8, "striped": 2, "checked": 1}, lengths={4: 4, 5: 6},
           details=("a high waist", "a drawstring waist", "front pleats"), plural=True),
        _s("joggers", 2, "Joggers", ["joggers", "sweatpants", "track pants", "pants"],
           {"cotton jersey": 2, "fleece-back jersey": 2, "technical jersey": 1},
           {"tapered": 3, "relaxed": 2}, {1: 1}, 35, patterns={"plain": 9, "striped": 1},
           lengths={4: 2, 5: 6}, details=("ribbed cuffs", "an elasticated drawstring waist", "zip pockets"),
           plural=True),
        _s("cargo", 2, "Cargo Trousers", ["cargo trousers", "cargo pants", "cargos", "trousers"],
           {"cotton canvas": 2, "ripstop": 2}, {"relaxed": 2, "straight": 2, "tapered": 1}, {2: 1}, 55,
           lengths={4: 2, 5: 5}, details=("bellowed cargo pockets", "a belted waist", "toggle hems"),
           plural=True),
    ],
    "shorts": [
        _s("denim", 3, "Denim Shorts", ["shorts", "denim shorts", "jean shorts", "cut-offs"],
           {"denim": 1}, {"relaxed": 2, "slim": 2}, {2: 1}, 35, lengths={1: 4, 2: 3},
           details=("frayed hems", "five pockets", "a high waist"), plural=True),
        _s("chino", 3, "Chino Shorts", ["shorts", "chino shorts"],
           {"cotton twill": 3, "stretch cotton": 1}, {"slim": 2, "regular": 3}, {2: 5, 3: 3}, 35,
           patterns={"plain": 8, "checked": 1, "striped": 1}, lengths={2: 5, 3: 4},
           details=("turn-up hems", "slanted front pockets", "a button fly"), plural=True),
        _s("bermuda", 2, "Bermuda Shorts", ["shorts", "bermuda shorts", "bermudas"],
           {"linen": 2, "cotton twill": 2, "wool blend": 1}, {"regular": 2, "relaxed": 2},
           {2: 4, 3: 5}, 42, patterns={"plain": 8, "checked": 2}, lengths={3: 1},
           details=("pressed creases", "a high waist", "side pockets"), plural=True),
        _s("running", 2, "Running Shorts", ["shorts", "running shorts", "gym shorts", "sports shorts"],
           {"technical jersey": 2, "ripstop": 1}, {"regular": 2, "relaxed": 1}, {1: 1}, 25,
           lengths={1: 4, 2: 3}, details=("a built-in brief", "a zip pocket", "split hems"),
           plural=True),
        _s("linen", 2, "Linen Shorts", ["shorts", "linen shorts"], {"linen": 1},
           {"relaxed": 3, "regular": 1}, {2: 6, 3: 2}, 39,
           patterns={"plain": 7, "striped": 2}, lengths={1: 1, 2: 4, 3: 3},
           details=("a drawstring waist", "side pockets", "an airy weave"), plural=True),
        _s("sweat", 2, "Sweat Shorts", ["shorts", "sweat shorts", "jersey shorts", "lounge shorts"],
           {"cotton jersey": 2, "fleece-back jersey": 1}, {"relaxed": 2, "regular": 1}, {1: 1}, 29,
           lengths={1: 2, 2: 4, 3: 2}, details=("a drawstring waist", "raw-edge hems", "side pockets"),
           plural=True),
    ],
    "heels": [
        _s("stiletto", 4, "Stiletto Pumps", ["stilettos", "pumps", "court shoes", "heels"],
           {"patent leather": 3, "leather": 3, "suede": 2, "satin": 1}, {"regular": 4, "narrow": 1},
           {3: 2, 4: 4, 5: 5}, 89, heel=(8.0, 12.0), plural=True,
           details=("a pointed toe", "a cushioned footbed", "a leather lining")),
        _s("kitten", 3, "Kitten-Heel Pumps", ["kitten heels", "pumps", "court shoes", "heels"],
           {"leather": 3, "suede": 2, "patent leather": 1}, {"regular": 4, "wide fit": 1},
           {3: 4, 4: 5, 5: 1}, 69, heel=(3.0, 4.5), plural=True,
           details=("a pointed toe", "a slingback strap", "an almond toe")),
        _s("block", 4, "Block-Heel Pumps", ["block heels", "pumps", "heels", "court shoes"],
           {"leather": 3, "suede": 3, "patent leather": 1}, {"regular": 4, "wide fit": 2},
           {2: 2, 3: 5, 4: 3}, 75, heel=(4.0, 9.0), plural=True,
           details=("a round toe", "an ankle strap", "a square toe", "a padded insole")),
        _s("mid", 2, "Mid-Heel Court Shoes", ["court shoes", "pumps", "mid-heels", "heels"],
           {"leather": 3, "patent leather": 2}, {"regular": 4, "wide fit": 1}, {3: 3, 4: 6, 5: 1},
           79, heel=(5.0, 7.5), plural=True,
           details=("an almond toe", "a cushioned footbed", "a low-cut vamp")),
        _s("platform", 2, "Platform Heels", ["platform heels", "platforms", "heels"],
           {"suede": 2, "patent leather": 2, "satin": 1}, {"regular": 1}, {3: 3, 5: 4, 4: 1}, 95,
           heel=(9.0, 12.0), plural=True,
           details=("a chunky front platform", "an ankle strap", "a peep toe")),
        _s("sandal", 2, "Strappy Heeled Sandals", ["heeled sandals", "strappy heels", "heels"],
           {"leather": 2, "satin": 2, "metallic leather": 1}, {"regular": 3, "narrow": 1},
           {3: 3, 5: 5}, 85, heel=(6.0, 11.0), plural=True,
           details=("delicate straps", "a buckled ankle strap", "an open toe")),
    ],
    "flats": [
        _s("ballet", 4, "Ballet Flats", ["ballet flats", "ballerinas", "ballet pumps", "flats"],
           {"leather": 3, "suede": 2, "patent leather": 1, "satin": 1}, {"regular": 4, "wide fit": 1},
           {2: 5, 3: 4, 4: 1}, 49, heel=(0.0, 1.0), plural=True,
           details=("a bow trim", "an elasticated topline", "a round toe", "a pointed toe")),
        _s("loafer", 4, "Loafers", ["loafers", "penny loafers", "slip-ons", "flats"],
           {"leather": 4, "suede": 2, "patent leather": 1}, {"regular": 4, "wide fit": 1},
           {2: 3, 3: 5, 4: 3}, 79, heel=(1.0, 2.0), plural=True,
           details=("a penny strap", "a horsebit trim", "a stacked sole", "tassel detail")),
        _s("espadrille", 2, "Espadrilles", ["espadrilles", "flats", "slip-ons"],
           {"canvas": 3, "linen": 1}, {"regular": 1}, {2: 1}, 35, heel=(1.0, 2.0), plural=True,
           patterns={"plain": 6, "striped": 2}, details=("a braided jute sole", "a round toe")),
        _s("sandal", 3, "Flat Sandals", ["flat sandals", "sandals", "slides", "flats"],
           {"leather": 3, "suede": 1}, {"regular": 4, "wide fit": 1}, {2: 1}, 39, heel=(0.0, 1.0),
           plural=True, details=("crossover straps", "a moulded footbed", "a toe post")),
        _s("mule", 2, "Flat Mules", ["mules", "backless loafers", "flats"],
           {"leather": 2, "suede": 2, "velvet": 1}, {"regular": 1}, {2: 3, 3: 5, 4: 1}, 65,
           heel=(0.5, 2.0), plural=True, details=("a square toe", "a backless design", "a slim sole")),
    ],
    "sneakers": [
        _s("lowtop", 5, "Low-Top Sneakers", ["sneakers", "trainers", "kicks", "low-tops"],
           {"leather": 4, "canvas": 2, "suede": 2}, {"regular": 4, "wide fit": 1}, {1: 3, 2: 6, 3: 2},
           69, heel=(2.0, 3.5), plural=True,
           details=("a padded collar", "tonal laces", "a perforated toe", "a cupsole")),
        _s("hightop", 2, "High-Top Sneakers", ["sneakers", "trainers", "high-tops", "kicks"],
           {"canvas": 3, "leather": 2}, {"regular": 1}, {1: 2, 2: 6}, 59, heel=(2.5, 4.0),
           plural=True, details=("a rubber toe cap", "metal eyelets", "an ankle patch")),
        _s("chunky", 2, "Chunky Sneakers", ["sneakers", "trainers", "dad sneakers", "kicks"],
           {"mesh and suede": 2, "leather": 2}, {"regular": 1}, {1: 4, 2: 5}, 99, heel=(4.0, 5.0),
           plural=True, details=("a layered upper", "a sculpted midsole", "padded tongue")),
        _s("running", 3, "Running Shoes", ["running shoes", "trainers", "runners", "sneakers"],
           {"mesh": 3, "knit": 2}, {"regular": 3, "wide fit": 1}, {1: 1}, 89, heel=(3.0, 4.5),
           plural=True, details=("a breathable upper", "a responsive foam midsole", "reflective trims")),
        _s("slipon", 2, "Slip-On Sneakers", ["slip-on sneakers", "slip-ons", "sneakers", "trainers"],
           {"canvas": 3, "knit": 1}, {"regular": 1}, {1: 2, 2: 5}, 45, heel=(2.0, 3.0), plural=True,
           patterns={"plain": 8, "checked": 2}, details=("elasticated side gores", "a vulcanised sole")),
    ],
    "jacket": [
        _s("blazer", 4, "Blazer", ["blazer", "tailored jacket", "sports jacket", "jacket"],
           {"wool blend": 3, "linen": 2, "velvet": 1}, {"slim": 3, "regular": 3, "oversized": 1},
           {3: 5, 4: 5}, 119, patterns={"plain": 7, "checked": 2, "striped": 1},
           sleeves={3: 9, 2: 1}, details=("notch lapels", "a single-button front", "flap pockets")),
        _s("bomber", 3, "Bomber Jacket", ["bomber", "bomber jacket", "jacket"],
           {"nylon": 3, "satin": 1, "suede": 1}, {"regular": 3, "relaxed": 2}, {2: 1}, 89,
           sleeves={3: 1}, details=("ribbed cuffs and hem", "a zip front", "a utility sleeve pocket")),
        _s("denim", 3, "Denim Jacket", ["denim jacket", "jean jacket", "trucker jacket", "jacket"],
           {"denim": 1}, {"regular": 3, "relaxed": 2, "oversized": 1}, {2: 1}, 69,
           sleeves={3: 9, 0: 1}, details=("chest flap pockets", "a button front", "a pointed collar")),
        _s("leather", 2, "Leather Biker Jacket", ["biker jacket", "leather jacket", "jacket"],
           {"leather": 1}, {"slim": 3, "regular": 1}, {2: 3, 3: 2}, 199, sleeves={3: 1},
           details=("an asymmetric zip", "notched lapels", "a belted hem")),
        _s("suede", 1, "Suede Jacket", ["suede jacket", "jacket", "trucker jacket"], {"suede": 1},
           {"regular": 1}, {2: 2, 3: 3}, 179, sleeves={3: 1},
           details=("a shirt collar", "a button front", "patch pockets")),
        _s("quilted", 2, "Quilted Jacket", ["quilted jacket", "puffer jacket", "jacket"],
           {"nylon": 1}, {"regular": 2, "relaxed": 1}, {1: 2, 2: 5}, 79, sleeves={3: 1},
           details=("diamond quilting", "a stand collar", "snap pockets")),
        _s("gilet", 1, "Quilted Gilet", ["gilet", "body warmer", "vest"], {"nylon": 1},
           {"regular": 1}, {1: 2, 2: 5}, 59, sleeves={0: 1},
           details=("a stand collar", "zip pockets", "a padded lining")),
        _s("field", 2, "Field Jacket", ["field jacket", "utility jacket", "jacket"],
           {"cotton canvas": 2, "waxed cotton": 1}, {"regular": 2, "relaxed": 2}, {2: 1}, 99,
           patterns={"plain": 1}, sleeves={3: 1},
           details=("four flap pockets", "a drawstring waist", "a corduroy collar")),
    ],
    "coat": [
        _s("trench", 4, "Trench Coat", ["trench coat", "trench", "mac", "coat"],
           {"cotton gabardine": 1}, {"regular": 3, "relaxed": 1}, {3: 5, 4: 4}, 149, sleeves={3: 1},
           details=("a double-breasted front", "a storm flap", "a self-tie belt")),
        _s("overcoat", 4, "Wool Overcoat", ["overcoat", "topcoat", "coat", "wool coat"],
           {"wool": 2, "wool blend": 3, "cashmere blend": 1}, {"tailored": 3, "regular": 2, "oversized": 1},
           {3: 3, 4: 6, 5: 2}, 189, patterns={"plain": 8, "checked": 2}, sleeves={3: 1},
           details=("notch lapels", "a single-breasted front", "a back vent")),
        _s("peacoat", 2, "Peacoat", ["peacoat", "pea coat", "reefer coat", "coat"],
           {"wool": 1}, {"tailored": 2, "regular": 1}, {3: 1}, 159, sleeves={3: 1},
           details=("a double-breasted front", "anchor buttons", "broad lapels")),
        _s("parka", 3, "Parka", ["parka", "hooded coat", "coat"], {"technical nylon": 2, "cotton blend": 1},
           {"regular": 2, "relaxed": 2}, {2: 1}, 139, sleeves={3: 1},
           details=("a faux-fur-trimmed hood", "a two-way zip", "storm cuffs")),
        _s("puffer", 2, "Puffer Coat", ["puffer coat", "down coat", "padded coat", "coat"],
           {"nylon": 1}, {"relaxed": 2, "oversized": 1}, {2: 1}, 129, sleeves={3: 1},
           details=("channel quilting", "a high funnel neck", "a detachable hood")),
        _s("duffle", 1, "Duffle Coat", ["duffle coat", "toggle coat", "coat"], {"wool blend": 1},
           {"regular": 1}, {2: 3, 3: 3}, 149, patterns={"plain": 4, "checked": 1}, sleeves={3: 1},
           details=("horn toggles", "a hood", "patch pockets")),
        _s("swing", 1, "Swing Coat", ["swing coat", "coat"], {"wool blend": 1}, {"a-line": 1},
           {3: 2, 4: 3}, 169, sleeves={2: 2, 3: 1},
           details=("a collarless neckline", "a flared back", "hidden press studs")),
    ],
}


def _build_synonyms() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        seen: list[str] = [kind]
        for st in STYLES[kind]:
            for n in st.nouns:
                if n not in seen:
                    seen.append(n)
        out[kind] = seen
    return out


#: Each kind and the synonyms used for it in names and descriptions (first entry: the kind itself).
KIND_SYNONYMS: dict[str, list[str]] = _build_synonyms()

# --------------------------------------------------------------------------------------------
# Hue-family sampling weights
# --------------------------------------------------------------------------------------------

_BASE_FAMILY_WEIGHTS: dict[str, float] = {
    "blue": 17, "black": 10, "white": 6, "grey": 8, "beige": 7, "brown": 6, "red": 7, "pink": 7,
    "green": 8, "purple": 5, "teal": 4, "orange": 4, "yellow": 4,
}
_KIND_FAMILY_FACTORS: dict[str, dict[str, float]] = {
    "polo shirt": {"blue": 1.5, "white": 1.3, "pink": 0.7, "brown": 0.5},
    "t-shirt": {"white": 1.6, "black": 1.3},
    "shirt": {"white": 1.8, "blue": 1.3, "brown": 0.5, "orange": 0.5},
    "dress": {"black": 1.3, "red": 1.4, "pink": 1.3, "brown": 0.6},
    "skirt": {"black": 1.3, "pink": 1.2, "brown": 0.8},
    "trousers": {"black": 1.6, "grey": 1.5, "beige": 1.8, "brown": 1.3, "pink": 0.4,
                 "yellow": 0.3, "orange": 0.3, "purple": 0.5, "teal": 0.5},
    "shorts": {"beige": 1.6, "blue": 1.2, "purple": 0.5},
    "heels": {"black": 2.0, "red": 1.6, "beige": 1.6, "pink": 1.3, "green": 0.5, "teal": 0.5},
    "flats": {"black": 1.8, "beige": 1.6, "brown": 1.6, "teal": 0.5},
    "sneakers": {"white": 3.0, "black": 1.5, "grey": 1.4, "brown": 0.5},
    "jacket": {"black": 1.5, "brown": 1.6, "beige": 1.3, "pink": 0.5, "yellow": 0.5},
    "coat": {"black": 1.6, "grey": 1.6, "beige": 2.0, "brown": 1.6, "pink": 0.4, "yellow": 0.4,
             "orange": 0.5, "teal": 0.5},
}

# --------------------------------------------------------------------------------------------
# Wording
# --------------------------------------------------------------------------------------------

_OCCASION: dict[int, tuple[str, ...]] = {
    1: ("made for lounging and the gym", "an athleisure staple for lazy days",
        "built for workouts and downtime", "ready for the gym or a lie-in",
        "sporty and comfortable for off-duty days"),
    2: ("an easy everyday piece", "made for relaxed weekends", "a casual everyday staple",
        "perfect for weekend errands", "laid-back enough for every day"),
    3: ("smart enough for dinner out", "a smart-casual go-to", "easy to dress up or down",
        "polished but relaxed", "smart without trying too hard"),
    4: ("office-ready", "sharp enough for the office", "made for the working week",
        "a boardroom-ready staple", "smart enough for client meetings"),
    5: ("made for evening occasions", "an evening-ready statement", "ready for black-tie events",
        "for weddings, galas and formal evenings", "dressed up for evening"),
}
_SLEEVE_NP: dict[int, tuple[str, ...]] = {
    0: ("a sleeveless cut", "no sleeves", "a sleeveless body"),
    1: ("short sleeves", "short sleeves", "short set-in sleeves"),
    2: ("three-quarter sleeves", "elbow-length sleeves", "3/4-length sleeves"),
    3: ("long sleeves", "long sleeves", "full-length sleeves"),
}
_SLEEVE_ADJ: dict[int, tuple[str, ...]] = {
    0: ("sleeveless",), 1: ("short-sleeved", "short-sleeve"),
    2: ("three-quarter-sleeve", "elbow-sleeve"), 3: ("long-sleeved", "long-sleeve"),
}
_SLEEVE_TITLE: dict[int, str] = {0: "Sleeveless", 1: "Short-Sleeve", 2: "Three-Quarter-Sleeve",
                                 3: "Long-Sleeve"}
_DRESS_LENGTH_ADJ: dict[int, tuple[str, ...]] = {
    1: ("mini", "short", "thigh-skimming"), 2: ("above-the-knee", "above-knee", "short"),
    3: ("knee-length", "knee-grazing"), 4: ("midi", "calf-length", "mid-calf"),
    5: ("maxi", "floor-length", "ankle-length"),
}
_DRESS_LENGTH_FALL: dict[int, tuple[str, ...]] = {
    1: ("upper thigh", "high on the thigh"), 2: ("just above the knee",),
    3: ("the knee",), 4: ("mid-calf", "the calf"), 5: ("the ankle", "the floor"),
}
_DRESS_LENGTH_TITLE: dict[int, str] = {1: "Mini", 2: "Above-Knee", 3: "Knee-Length", 4: "Midi",
                                       5: "Maxi"}
_LEG_LENGTH_ADJ: dict[int, tuple[str, ...]] = {
    1: ("short", "mini", "high-cut"), 2: ("mid-thigh", "mid-length"),
    3: ("knee-length", "bermuda-length", "longline"),
    4: ("cropped", "ankle-length", "ankle-grazing", "7/8-length"), 5: ("full-length",),
}
_LEG_LENGTH_SENTENCE: dict[int, tuple[str, ...]] = {
    1: ("The leg is cut short, high on the thigh.", "A short inseam shows plenty of leg."),
    2: ("The hem falls to mid-thigh.", "A mid-length leg hits mid-thigh."),
    3: ("The hem sits just above the knee.", "A longer, knee-length leg."),
    4: ("The hem is cropped to sit above the ankle.", "Cropped to show a flash of ankle."),
    5: ("The leg runs full length to the shoe.", "A full-length leg breaks over the shoe."),
}
_LEG_LENGTH_TITLE: dict[int, str] = {1: "Short", 2: "Mid-Thigh", 3: "Knee-Length", 4: "Cropped",
                                     5: ""}
_FIT_ADJ: dict[str, tuple[str, ...]] = {
    "slim": ("slim-fit", "slim"), "regular": ("regular-fit", "classic-fit"),
    "relaxed": ("relaxed", "relaxed-fit", "loose"), "oversized": ("oversized", "boxy"),
    "a-line": ("A-line",), "straight": ("straight-leg", "straight"), "wide-leg": ("wide-leg",),
    "tapered": ("tapered",), "flared": ("flared",), "bodycon": ("bodycon", "figure-hugging"),
    "pencil": ("pencil",), "fit-and-flare": ("fit-and-flare",), "shift": ("shift",),
    "wrap": ("wrap",), "tailored": ("tailored",), "narrow": ("narrow-fit",),
    "wide fit": ("wide-fit",),
}
_FIT_NOUN: dict[str, tuple[str, ...]] = {
    "slim": ("slim", "close"), "regular": ("regular", "classic"), "relaxed": ("relaxed", "loose"),
    "oversized": ("oversized", "boxy"), "tailored": ("tailored",), "a-line": ("A-line",),
}
_FIT_SENTENCE: dict[str, tuple[str, ...]] = {
    "slim": ("Cut slim through the body.", "A slim, close fit."),
    "regular": ("A regular fit that is neither tight nor loose.", "Classic regular fit."),
    "relaxed": ("A relaxed fit with room to move.", "Cut loose and relaxed."),
    "oversized": ("An oversized, boxy fit.", "Deliberately oversized."),
    "a-line": ("An A-line shape skims the hips.", "Cut in a flattering A-line."),
    "straight": ("A straight cut from hip to hem.", "Straight through the leg."),
    "wide-leg": ("A wide, swishy leg.", "Cut with a generous wide leg."),
    "tapered": ("Tapered towards the hem.", "A tapered leg narrows at the ankle."),
    "flared": ("Flares out from the waist.", "A flared, swingy shape."),
    "bodycon": ("A figure-hugging bodycon fit.", "Close-fitting and bodycon."),
    "pencil": ("A slim pencil shape.", "Cut in a sleek pencil silhouette."),
    "fit-and-flare": ("Fitted at the waist, flared below.", "A fit-and-flare silhouette."),
    "shift": ("A simple shift shape that skims the body.", "Cut in an easy shift shape."),
    "wrap": ("A wrap design ties at the waist.", "Wraps and ties for an adjustable fit."),
    "tailored": ("Sharply tailored.", "A tailored, structured fit."),
    "narrow": ("A narrow fitting.", "Runs narrow."),
    "wide fit": ("A wide fitting for comfort.", "Available in a wide fit."),
}
_PATTERN_ADJ: dict[str, tuple[str, ...]] = {
    "plain": ("",), "striped": ("striped ", "stripe "), "checked": ("checked ", "check "),
    "floral": ("floral ", "floral-print "), "polka-dot": ("polka-dot ", "spotted "),
}
_PATTERN_SENTENCE: dict[str, tuple[str, ...]] = {
    "plain": ("",), "striped": ("Finished with tonal stripes.", "Woven with stripes."),
    "checked": ("In a tonal check.", "A classic check pattern."),
    "floral": ("Printed with small flowers.", "Covered in a floral print."),
    "polka-dot": ("Dotted with polka dots.", "Scattered with spots."),
}


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt_cm(h: float) -> str:
    return f"{h:.1f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: Weights) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys], k=1)[0]


class _ColourSampler:
    """Hue family first (weighted per kind), then a colour from a lightness tercile of the family,
    cycling through terciles per (kind, family) so every kind spans each family's lightness range."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        by_family: dict[str, list[Colour]] = {f: [] for f in HUE_FAMILIES}
        for c in _colour_table():
            by_family[c.family].append(c)
        self.terciles: dict[str, list[list[Colour]]] = {}
        for fam, cols in by_family.items():
            cols = sorted(cols, key=lambda c: (c.lightness, c.name))
            n = len(cols)
            if n >= 6:
                self.terciles[fam] = [cols[: n // 3], cols[n // 3: 2 * n // 3], cols[2 * n // 3:]]
            elif n:
                self.terciles[fam] = [cols]
        self.counter: dict[tuple[str, str], int] = {}
        self.offset: dict[tuple[str, str], int] = {}

    def sample(self, kind: str) -> Colour:
        factors = _KIND_FAMILY_FACTORS.get(kind, {})
        fams = [f for f in HUE_FAMILIES if f in self.terciles]
        weights = [_BASE_FAMILY_WEIGHTS[f] * factors.get(f, 1.0) for f in fams]
        fam = self.rng.choices(fams, weights=weights, k=1)[0]
        bins = self.terciles[fam]
        key = (kind, fam)
        if key not in self.offset:
            self.offset[key] = self.rng.randrange(len(bins))
        i = (self.offset[key] + self.counter.get(key, 0)) % len(bins)
        self.counter[key] = self.counter.get(key, 0) + 1
        return self.rng.choice(bins[i])


def _tone_word(rng: random.Random, c: Colour) -> str:
    if rng.random() >= 0.5 or c.family in ("black", "white"):
        return ""
    if any(w in _TONE_CARRYING_WORDS for w in c.name.split()):
        return ""
    if c.lightness < DARK_TONE_MAX_L:
        return rng.choice(DARK_TONE_WORDS)
    if c.lightness > LIGHT_TONE_MIN_L:
        words = list(LIGHT_TONE_WORDS) if c.chroma < 50 and c.family != "grey" else ["pale", "light"]
        return rng.choice(words)
    return ""


def _price(rng: random.Random, st: Style, material: str, formality: int) -> str:
    mult = 1.0
    for word, m in (("silk", 1.6), ("cashmere", 1.8), ("leather", 1.5), ("suede", 1.4),
                    ("merino", 1.3), ("wool", 1.2), ("linen", 1.15), ("velvet", 1.3),
                    ("satin", 1.2), ("organic", 1.15), ("jersey", 0.9)):
        if word in material:
            mult *= m
            break
    p = st.price * mult * (1.0 + 0.08 * (formality - 3)) * rng.uniform(0.8, 1.3)
    step = 5.0 if p >= 30 else 1.0
    value = max(step, round(p / step) * step) - 0.01
    return f"{value:.2f}"


@dataclass
class _Item:
    kind: str
    style: Style
    colour: Colour
    tone: str
    fit: str
    material: str
    pattern: str
    formality: int
    sleeve: int | None
    length: int | None
    heel: float | None


def _describe(rng: random.Random, it: _Item) -> tuple[str, str]:
    """Return (name, description) for an item; every phrase is true to the ground truth."""
    st, c = it.style, it.colour
    col = f"{it.tone} {c.name}" if it.tone else c.name
    noun = rng.choice(st.nouns)
    mat = it.material
    fit_adj = rng.choice(_FIT_ADJ[it.fit])
    fit_noun = rng.choice(_FIT_NOUN.get(it.fit, (it.fit,)))
    fit_sent = rng.choice(_FIT_SENTENCE[it.fit])
    pat_adj = rng.choice(_PATTERN_ADJ[it.pattern])
    pat_sent = rng.choice(_PATTERN_SENTENCE[it.pattern])
    fit_or_pat = pat_sent or fit_sent  # keeps descriptions to at most three sentences
    occ = rng.choice(_OCCASION[it.formality])
    detail = rng.choice(st.details) if st.details else "clean lines"
    kind = it.kind

    # ---- name
    parts = [_title(c.name)]
    if it.pattern != "plain":
        parts.append(_title(it.pattern.replace("polka-dot", "Polka-Dot")))
    if kind in ("dress", "skirt") and it.length is not None:
        parts.append(_DRESS_LENGTH_TITLE[it.length])
    elif kind in ("trousers", "shorts") and it.length is not None and _LEG_LENGTH_TITLE[it.length]:
        parts.append(_LEG_LENGTH_TITLE[it.length])
    if it.heel is not None and kind == "heels":
        parts.append(f"{_fmt_cm(it.heel)} cm")
    if it.sleeve is not None and kind in ("polo shirt", "shirt", "dress", "t-shirt"):
        default = max(st.sleeves, key=lambda k: (st.sleeves[k], -k)) if st.sleeves else None  # type: ignore[union-attr]
        if it.sleeve != default and st.sleeves and len(st.sleeves) > 1:
            parts.append(_SLEEVE_TITLE[it.sleeve])
    if it.fit in ("slim", "relaxed", "regular") and kind in ("polo shirt", "shirt", "t-shirt",
                                                            "trousers", "jacket") and rng.random() < 0.6:
        parts.append({"slim": "Slim-Fit", "relaxed": "Relaxed-Fit", "regular": "Regular-Fit"}[it.fit])
    elif it.fit in ("wide-leg", "tapered", "straight", "oversized", "bodycon") and it.fit.lower() not in st.title.lower():
        parts.append(_title(_FIT_ADJ[it.fit][0]))
    if rng.random() < 0.4 and not any(w in st.title.lower() for w in mat.lower().split()):
        parts.append(_title(mat))
    parts.append(st.title)
    name = " ".join(p for p in parts if p)

    # ---- description
    A = _article
    if kind in ("polo shirt", "t-shirt", "shirt"):
        sl = it.sleeve if it.sleeve is not None else 1
        sleeve_np = rng.choice(_SLEEVE_NP[sl])
        sleeve_adj = rng.choice(_SLEEVE_ADJ[sl])
        templates: list[Callable[[], str]] = [
            lambda: f"{_cap(A(col))} {pat_adj}{noun} in {mat}, with {sleeve_np} and {A(fit_noun)} cut. {_cap(occ)}.",
            lambda: f"Our {fit_adj} {pat_adj}{noun} comes in {col}. Made from {mat} with {detail}; {occ}.",
            lambda: f"{_cap(col)} {mat} {noun} with {sleeve_np}. {fit_or_pat} {_cap(occ)}.",
            lambda: f"{_cap(A(sleeve_adj))} {pat_adj}{noun} cut from {mat} in {col}. {fit_sent} Finished with {detail}.",
            lambda: f"This {col} {noun} is {occ}. {_cap(sleeve_np)}, {detail} and {A(fit_noun)} fit, in {mat}. {pat_sent}",
        ]
    elif kind == "dress":
        sl = it.sleeve if it.sleeve is not None else 1
        sleeve_np = rng.choice(_SLEEVE_NP[sl])
        ln = rng.choice(_DRESS_LENGTH_ADJ[it.length or 3])
        fall = rng.choice(_DRESS_LENGTH_FALL[it.length or 3])
        templates = [
            lambda: f"{_cap(A(ln))} {pat_adj}{noun} in {col} {mat}, with {sleeve_np} and {detail}. {_cap(occ)}.",
            lambda: f"This {col} {noun} falls to {fall}. {fit_sent} {_cap(sleeve_np)}, {mat}; {occ}.",
            lambda: f"{_cap(col)} {ln} {noun} cut from {mat}. {fit_or_pat} {_cap(occ)}.",
            lambda: f"Meet your new {ln} {noun}: {mat} in {col}, {detail}, {sleeve_np}. {_cap(occ)}.",
        ]
    elif kind == "skirt":
        ln = rng.choice(_DRESS_LENGTH_ADJ[it.length or 3])
        fall = rng.choice(_DRESS_LENGTH_FALL[it.length or 3])
        templates = [
            lambda: f"{_cap(A(ln))} {pat_adj}{noun} in {col} {mat} with {detail}. {_cap(occ)}.",
            lambda: f"A {fit_adj} {noun} in {col}, falling to {fall}. Made in {mat}; {occ}.",
            lambda: f"{_cap(col)} {ln} {noun}. {fit_or_pat} Cut from {mat} with {detail}.",
            lambda: f"This {mat} {noun} in {col} hits {fall}. {_cap(occ)}.",
        ]
    elif kind in ("trousers", "shorts"):
        ln = rng.choice(_LEG_LENGTH_ADJ[it.length or 5])
        ls = rng.choice(_LEG_LENGTH_SENTENCE[it.length or 5])
        fit_pre = "" if fit_adj.split("-")[0].lower() in noun.lower() else f"{fit_adj} "
        fit_sent = fit_sent.replace("through the body", "through the leg")
        templates = [
            lambda: f"{_cap(ln)} {fit_adj} {pat_adj}{noun} in {col} {mat}. {_cap(occ)}, with {detail}.",
            lambda: f"These {col} {fit_pre}{noun} are cut from {mat}. {ls} {_cap(occ)}.",
            lambda: f"A pair of {ln} {noun} in {col}, made from {mat} with {detail}. {fit_sent}",
            lambda: f"{_cap(col)} {pat_adj}{noun}, {fit_adj} and {ln}. {_cap(occ)}.",
        ]
    elif kind in ("heels", "flats", "sneakers"):
        h = it.heel or 0.0
        hs = _fmt_cm(h)
        if kind == "heels":
            if st.key == "stiletto":
                heel_opts = [f"{hs} cm stiletto heel", f"slender {hs} cm stiletto", "skyscraper stiletto heel" if h >= 10 else f"{hs} cm stiletto heel"]
            elif st.key == "kitten":
                heel_opts = ["kitten heel", f"{hs} cm kitten heel", "low kitten heel"]
            elif st.key == "block":
                level = "low" if h <= 5.5 else "mid-height" if h <= 7.5 else "high"
                heel_opts = [f"{level} block heel", f"{hs} cm block heel"]
            elif st.key == "mid":
                heel_opts = [f"{hs} cm mid heel", "mid-height heel"]
            elif st.key == "platform":
                heel_opts = [f"{hs} cm heel with a platform front", "towering platform heel"]
            else:
                heel_opts = [f"{hs} cm heel", f"slim {hs} cm heel"]
        elif kind == "flats":
            heel_opts = ["flat sole", f"barely-there {hs} cm heel" if h > 0 else "completely flat sole"]
            if h >= 1.0:
                heel_opts.append(f"low {hs} cm stacked heel")
        else:
            heel_opts = [f"{hs} cm cushioned sole"]
            heel_opts.append("chunky platform sole" if h >= 4.0 else "low-profile sole" if h <= 3.0 else "mid-height rubber sole")
        heel = rng.choice(heel_opts)
        templates = [
            lambda: f"{_cap(col)} {mat} {pat_adj}{noun} on {A(heel)}. {_cap(occ)}.",
            lambda: f"A pair of {noun} in {col} {mat}, with {detail} and {A(heel)}. {_cap(occ)}.",
            lambda: f"These {col} {noun} sit on {A(heel)}. Crafted from {mat} with {detail}; {occ}.",
            lambda: f"{_cap(noun)} in {col}: {mat}, {detail}, {heel}. {fit_sent} {_cap(occ)}.",
        ]
    else:  # jacket, coat
        sl = it.sleeve if it.sleeve is not None else 3
        sleeve_np = rng.choice(_SLEEVE_NP[sl])
        templates = [
            lambda: f"{_cap(A(col))} {pat_adj}{noun} in {mat} with {detail}. {fit_sent} {_cap(occ)}.",
            lambda: f"Our {fit_adj} {noun} comes in {col} {mat}, with {sleeve_np} and {detail}. {_cap(occ)}.",
            lambda: f"This {mat} {noun} in {col} is {occ}. {fit_or_pat}",
            lambda: f"{_cap(col)} {noun}, {fit_adj}, with {sleeve_np}. Made from {mat}; {occ}.",
        ]
    text = rng.choice(templates)()
    text = " ".join(text.split())  # collapse blanks left by empty phrases
    text = text.replace(" .", ".").replace(" ;", ";").replace(" ,", ",")
    return name, text


def generate(seed: int = DEFAULT_SEED) -> list[dict[str, str]]:
    """The catalog rows (all values are strings, columns as in ``CSV_COLUMNS``)."""
    rng = random.Random(seed)
    sampler = _ColourSampler(rng)
    rows: list[dict[str, str]] = []
    for kind in KINDS:
        styles = STYLES[kind]
        prefix = KIND_PREFIX[kind]
        for n in range(1, KIND_COUNTS[kind] + 1):
            st = rng.choices(styles, weights=[s.weight for s in styles], k=1)[0]
            colour = sampler.sample(kind)
            it = _Item(
                kind=kind, style=st, colour=colour, tone=_tone_word(rng, colour),
                fit=str(_pick(rng, st.fits)), material=str(_pick(rng, st.materials)),
                pattern=str(_pick(rng, st.patterns)), formality=int(_pick(rng, st.formality)),  # type: ignore[call-overload]
                sleeve=int(_pick(rng, st.sleeves)) if st.sleeves else None,  # type: ignore[call-overload]
                length=int(_pick(rng, st.lengths)) if st.lengths else None,  # type: ignore[call-overload]
                heel=round(rng.uniform(*st.heel), 1) if st.heel else None,
            )
            name, desc = _describe(rng, it)
            item_id = f"{prefix}-{n:04d}"
            length_name = ""
            if it.length is not None:
                length_name = (LENGTH_NAMES if kind in ("dress", "skirt") else LEG_LENGTH_NAMES)[it.length]
            rows.append({
                "id": item_id,
                "name": name,
                "description": desc,
                "kind": kind,
                "color_name": colour.name,
                "color_hex": colour.hex,
                "color_r": str(colour.rgb[0]),
                "color_g": str(colour.rgb[1]),
                "color_b": str(colour.rgb[2]),
                "lightness": f"{colour.lightness:.1f}",
                "hue_family": colour.family,
                "length": "" if it.length is None else str(it.length),
                "length_name": length_name,
                "sleeve_length": "" if it.sleeve is None else str(it.sleeve),
                "sleeve_name": "" if it.sleeve is None else SLEEVE_NAMES[it.sleeve],
                "heel_cm": "" if it.heel is None else f"{it.heel:.1f}",
                "formality": str(it.formality),
                "formality_name": FORMALITY_NAMES[it.formality],
                "fit": it.fit,
                "material": it.material,
                "pattern": it.pattern,
                "price": _price(rng, st, it.material, it.formality),
                "image": f"images/{item_id}.png",
            })
    return rows


def limit_rows(rows: Sequence[dict[str, str]], per_kind: int) -> list[dict[str, str]]:
    """The first ``per_kind`` rows of every kind (a quick preview of the same catalog)."""
    seen: dict[str, int] = {}
    out: list[dict[str, str]] = []
    for r in rows:
        k = seen.get(r["kind"], 0)
        if k < per_kind:
            out.append(r)
        seen[r["kind"]] = k + 1
    return out


def rows_to_csv(rows: Sequence[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in CSV_COLUMNS})
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

Point = tuple[float, float]


def _shade(rgb: Sequence[int], f: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(round(v * f)))) for v in rgb)  # type: ignore[return-value]


def _tint(rgb: Sequence[int], f: float) -> tuple[int, int, int]:
    return tuple(int(round(v + (255 - v) * f)) for v in rgb)  # type: ignore[return-value]


def _mirror(pts: Sequence[Point]) -> list[Point]:
    return [(IMAGE_SIZE - 1 - x, y) for x, y in pts]


class _Canvas:
    """Draws filled shapes on the image and on a mask (for pattern overlays), outlines after."""

    def __init__(self, rgb: tuple[int, int, int], lightness: float) -> None:
        from PIL import Image, ImageDraw

        self.rgb = rgb
        self.img = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), WHITE)
        self.mask = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
        self.d = ImageDraw.Draw(self.img)
        self.m = ImageDraw.Draw(self.mask)
        if lightness > 85:
            self.line, self.line_w = (150, 150, 150), 1
        else:
            self.line, self.line_w = _shade(rgb, 0.7), 2
        self.pattern_rgb = _shade(rgb, 0.6) if lightness > 55 else _tint(rgb, 0.45)
        self.shapes: list[tuple[str, object]] = []

    def poly(self, pts: Sequence[Point], fill: tuple[int, int, int] | None = None,
             pattern: bool = True) -> None:
        self.d.polygon(list(pts), fill=fill or self.rgb)
        if pattern and fill is None:
            self.m.polygon(list(pts), fill=255)
        self.shapes.append(("poly", list(pts)))

    def ellipse(self, box: Sequence[float], fill: tuple[int, int, int] | None = None,
                pattern: bool = True) -> None:
        self.d.ellipse(list(box), fill=fill or self.rgb)
        if pattern and fill is None:
            self.m.ellipse(list(box), fill=255)
        self.shapes.append(("ellipse", list(box)))

    def cut(self, pts: Sequence[Point]) -> None:
        """White cut-out (neckline), no outline of its own."""
        self.d.polygon(list(pts), fill=WHITE)
        self.m.polygon(list(pts), fill=0)

    def cut_ellipse(self, box: Sequence[float]) -> None:
        self.d.ellipse(list(box), fill=WHITE)
        self.m.ellipse(list(box), fill=0)

    def apply_pattern(self, pattern: str, vertical: bool = False) -> None:
        from PIL import Image, ImageChops, ImageDraw

        if pattern == "plain":
            return
        pm = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
        pd = ImageDraw.Draw(pm)
        s = IMAGE_SIZE
        if pattern == "striped":
            for p in range(4, s, 16):
                if vertical:
                    pd.rectangle([p, 0, p + 3, s], fill=255)
                else:
                    pd.rectangle([0, p, s, p + 4], fill=255)
        elif pattern == "checked":
            for p in range(6, s, 22):
                pd.rectangle([p, 0, p + 3, s], fill=255)
                pd.rectangle([0, p, s, p + 3], fill=255)
        elif pattern == "polka-dot":
            for j, y in enumerate(range(6, s, 18)):
                for x in range(6 + (9 if j % 2 else 0), s, 18):
                    pd.ellipse([x - 3, y - 3, x + 3, y + 3], fill=255)
        elif pattern == "floral":
            for j, y in enumerate(range(10, s, 28)):
                for x in range(10 + (14 if j % 2 else 0), s, 28):
                    for k in range(5):
                        a = 2 * math.pi * k / 5
                        px, py = x + 4 * math.cos(a), y + 4 * math.sin(a)
                        pd.ellipse([px - 2.5, py - 2.5, px + 2.5, py + 2.5], fill=255)
        pm = ImageChops.multiply(pm, self.mask)
        layer = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), self.pattern_rgb)
        self.img.paste(layer, (0, 0), pm)

    def outline(self) -> None:
        for kind, geom in self.shapes:
            if kind == "poly":
                self.d.polygon(geom, outline=self.line, width=self.line_w)  # type: ignore[arg-type]
            else:
                self.d.ellipse(geom, outline=self.line, width=self.line_w)  # type: ignore[arg-type]

    def line_(self, pts: Sequence[Point], width: int | None = None) -> None:
        self.d.line(list(pts), fill=self.line, width=width or self.line_w)

    def dot(self, x: float, y: float, r: float = 2.5) -> None:
        self.d.ellipse([x - r, y - r, x + r, y + r], fill=self.line)


_FIT_HALF_WIDTH = {"slim": 42, "regular": 46, "relaxed": 50, "oversized": 56, "tailored": 46,
                   "a-line": 46}


def _sleeve_poly(shoulder: Point, armpit: Point, length: int, scale: float = 1.0) -> list[Point]:
    """A left sleeve from the shoulder/armpit line; length 1 short, 2 three-quarter, 3 long."""
    sx, sy = shoulder
    ax, ay = armpit
    # cuff (outer, inner) offsets relative to the shoulder point, scaled
    cuffs = {1: ((-30, 32), (-16, 54)), 2: ((-40, 96), (-18, 100)), 3: ((-44, 146), (-22, 150))}
    (ox, oy), (ix, iy) = cuffs[length]
    return [(sx, sy), (sx + ox * scale, sy + oy * scale), (sx + ix * scale, sy + iy * scale),
            (ax, ay)]


def _draw_top(cv: _Canvas, row: dict[str, str], style_key: str) -> None:
    kind = row["kind"]
    sleeve = int(row["sleeve_length"] or 1)
    hw = _FIT_HALF_WIDTH.get(row["fit"], 46)
    outer = kind in ("jacket", "coat")
    top, hem = 40, 196
    if kind == "jacket":
        hem = 178 if style_key in ("bomber", "leather", "denim", "suede") else 190
    if kind == "coat":
        top, hem = 22, 218
        hw -= 2
    cx = IMAGE_SIZE // 2
    left, right = cx - hw, cx + hw
    flare = 10 if row["fit"] in ("a-line",) or kind == "coat" else 0
    neck_w = 20
    body = [(left, top + 4), (cx - neck_w, top - 8), (cx + neck_w, top - 8), (right, top + 4),
            (right + flare, hem), (left - flare, hem)]
    if sleeve == 0:
        body = [(left + 12, top), (cx - neck_w, top - 8), (cx + neck_w, top - 8), (right - 12, top),
                (right - 6, top + 30), (right, top + 46), (right + flare, hem), (left - flare, hem),
                (left, top + 46), (left + 6, top + 30)]
    else:
        sl = _sleeve_poly((left + 2, top + 4), (left + 2, top + 48), sleeve,
                          scale=min(1.12, (hem - top) / 156) if outer else 1.0)
        cv.poly(sl)
        cv.poly(_mirror(sl))
    cv.poly(body)
    # neckline
    if kind == "t-shirt" and style_key == "vneck":
        cv.cut([(cx - neck_w + 4, top - 9), (cx + neck_w - 4, top - 9), (cx, top + 24)])
    elif kind in ("t-shirt",) or (kind == "shirt" and style_key == "blouse"):
        cv.cut_ellipse([cx - neck_w + 2, top - 22, cx + neck_w - 2, top + 10])
    elif outer and style_key not in ("bomber", "quilted", "gilet", "parka", "puffer", "swing"):
        cv.cut([(cx - neck_w + 2, top - 9), (cx + neck_w - 2, top - 9), (cx, top + 58)])
    else:
        cv.cut_ellipse([cx - neck_w + 4, top - 20, cx + neck_w - 4, top + 4])
    cv.apply_pattern(row["pattern"])
    cv.outline()
    # details: collar, placket, buttons
    if kind in ("polo shirt", "shirt") and style_key != "blouse":
        collar_l = [(cx - neck_w + 2, top - 10), (cx - 2, top + 8), (cx - 14, top + 20),
                    (cx - neck_w - 8, top + 6)]
        for pts in (collar_l, _mirror(collar_l)):
            cv.d.polygon(pts, fill=cv.rgb, outline=cv.line, width=cv.line_w)
        plack_end = top + 44 if kind == "polo shirt" else hem - 4
        cv.line_([(cx, top + 10), (cx, plack_end)])
        step = 14 if kind == "polo shirt" else 24
        for y in range(top + 18, plack_end - 4, step):
            cv.dot(cx + 4, y, 2)
    elif outer:
        cv.line_([(cx, top + 56 if style_key not in ("bomber", "quilted", "gilet", "parka", "puffer", "swing") else top + 2), (cx, hem)])
        if style_key in ("bomber", "quilted", "puffer", "gilet"):
            cv.line_([(left - flare + 1, hem - 12), (right + flare - 1, hem - 12)])
            if style_key in ("quilted", "puffer", "gilet"):
                inset = 8 if sleeve == 0 else 0
                for y in range(top + 30, hem - 12, 24):
                    cv.line_([(left + inset, y), (right - inset, y)], width=1)
        else:
            for y in range(top + 70, hem - 20, 30):
                cv.dot(cx + 6, y, 3)
            lapel = [(cx - neck_w + 2, top - 8), (cx - 2, top + 56), (cx - 22, top + 30)]
            cv.d.polygon(lapel, outline=cv.line, width=cv.line_w)
            cv.d.polygon(_mirror(lapel), outline=cv.line, width=cv.line_w)


def _draw_dress(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 3)
    sleeve = int(row["sleeve_length"] or 0)
    cx = IMAGE_SIZE // 2
    top, waist = 14, 80
    hem = {1: 112, 2: 138, 3: 164, 4: 190, 5: 216}[length]
    fit = row["fit"]
    bw = 30  # bodice half width
    hem_hw = {"bodycon": 30, "slim": 34, "shift": 38, "wrap": 48, "relaxed": 44, "regular": 42,
              "oversized": 50, "a-line": 52, "fit-and-flare": 60}.get(fit, 46)
    hem_hw = hem_hw + (length - 1) * (6 if hem_hw > 40 else 1)
    if sleeve:
        sl = _sleeve_poly((cx - bw - 4, top + 6), (cx - bw, top + 36), sleeve, scale=0.8)
        cv.poly(sl)
        cv.poly(_mirror(sl))
        shoulder = [(cx - bw - 4, top + 6), (cx - 12, top), (cx + 12, top), (cx + bw + 4, top + 6)]
    else:
        shoulder = [(cx - bw + 6, top + 6), (cx - 16, top), (cx - 10, top + 14), (cx + 10, top + 14),
                    (cx + 16, top), (cx + bw - 6, top + 6)]
    waist_hw = bw - 6 if fit not in ("shift", "relaxed", "oversized") else bw
    body = shoulder + [(cx + bw, top + 36), (cx + waist_hw, waist), (cx + hem_hw, hem),
                       (cx - hem_hw, hem), (cx - waist_hw, waist), (cx - bw, top + 36)]
    cv.poly(body)
    if sleeve:
        cv.cut_ellipse([cx - 14, top - 12, cx + 14, top + 12])
    cv.apply_pattern(row["pattern"])
    cv.outline()
    if fit in ("wrap",):
        cv.line_([(cx - waist_hw, waist), (cx + hem_hw * 0.6, hem)])
    if fit not in ("shift", "relaxed", "oversized", "bodycon"):
        cv.line_([(cx - waist_hw, waist), (cx + waist_hw, waist)])


def _draw_skirt(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 3)
    fit = row["fit"]
    cx = IMAGE_SIZE // 2
    top = 20
    hem = {1: 80, 2: 110, 3: 140, 4: 172, 5: 210}[length]
    wh = 36
    spread = {"pencil": 0.06, "slim": 0.12, "straight": 0.15, "wrap": 0.3, "a-line": 0.34,
              "flared": 0.42}.get(fit, 0.3)
    hem_hw = min(104.0, wh + (hem - top) * spread)
    if fit == "pencil":
        body = [(cx - wh, top), (cx + wh, top), (cx + wh + 6, (top + hem) / 2), (cx + hem_hw, hem),
                (cx - hem_hw, hem), (cx - wh - 6, (top + hem) / 2)]
    else:
        body = [(cx - wh, top), (cx + wh, top), (cx + hem_hw, hem), (cx - hem_hw, hem)]
    cv.poly(body)
    cv.apply_pattern(row["pattern"])
    cv.outline()
    cv.line_([(cx - wh, top + 10), (cx + wh, top + 10)])
    if row["material"] in ("chiffon",) or "Pleated" in row["name"]:
        for k in range(-3, 4):
            cv.line_([(cx + k * 9, top + 12), (cx + k * hem_hw / 4, hem - 2)], width=1)
    if fit == "wrap":
        cv.line_([(cx + wh * 0.5, top + 10), (cx - hem_hw * 0.3, hem)])


def _draw_legwear(cv: _Canvas, row: dict[str, str]) -> None:
    length = int(row["length"] or 5)
    fit = row["fit"]
    cx = IMAGE_SIZE // 2
    top = 10
    hem = {1: 80, 2: 104, 3: 134, 4: 182, 5: 214}[length]
    wh = 40  # half waist
    crotch = 70
    leg_hw = {"slim": 15, "tapered": 13, "straight": 19, "regular": 20, "relaxed": 23,
              "wide-leg": 30}.get(fit, 19)
    if length <= 3:
        leg_hw = {"slim": 19, "regular": 22, "relaxed": 25}.get(fit, 22) + (3 - length) * 2
    gap = 3
    inner_x = cx - gap - (4 if length >= 4 else 0)
    outer_x = inner_x - 2 * leg_hw
    left_leg = [(cx - wh, top), (cx, top), (cx, crotch - 2), (cx - gap, crotch + 4),
                (inner_x, hem), (outer_x, hem), (cx - wh - (4 if length <= 3 else 0), crotch)]
    cv.poly(left_leg)
    cv.poly(_mirror(left_leg))
    cv.apply_pattern(row["pattern"], vertical=True)
    cv.outline()
    cv.line_([(cx - wh, top + 10), (IMAGE_SIZE - 1 - (cx - wh), top + 10)])
    cv.line_([(cx, top + 10), (cx, crotch - 16)], width=1)
    if "cargo" in row["name"].lower():
        for pts in ([(outer_x + 4, crotch + 30), (outer_x + 24, crotch + 30)],):
            cv.d.rectangle([pts[0][0], pts[0][1], pts[1][0], pts[1][1] + 22], outline=cv.line, width=cv.line_w)


_GROUND = 194
_PX_PER_CM = 9.0


def _smoothstep(t: float) -> float:
    t = max(0.0, min(1.0, t))
    return t * t * (3 - 2 * t)


def _draw_shoe(cv: _Canvas, row: dict[str, str], style_key: str) -> None:
    """Side view, toe to the right. The heel (or sole, for sneakers) is heel_cm * 9 px tall."""
    kind = row["kind"]
    h = float(row["heel_cm"] or 0.0)
    hp = h * _PX_PER_CM
    g = _GROUND
    back, toe = 30, 200
    if kind == "heels":
        seat = g - hp  # underside of the heel seat
        platform = 14.0 if style_key == "platform" else 0.0
        ball_x = 150.0
        front = g - platform

        def sole_y(x: float) -> float:  # underside of the shoe body
            return seat + (front - seat) * _smoothstep((x - (back + 14)) / (ball_x - back - 14))

        heel_top, heel_bot, heel_off = {
            "stiletto": (16, 5, 4), "kitten": (14, 6, 8), "block": (24, 20, 2), "mid": (16, 9, 4),
            "platform": (24, 18, 2), "sandal": (16, 7, 4)}.get(style_key, (16, 8, 4))
        cv.poly([(back + 2, seat - 2), (back + 2 + heel_top, seat - 2),
                 (back + heel_off + heel_bot, g), (back + heel_off, g)])
        if platform:
            cv.poly([(ball_x - 24, front), (toe - 2, front), (toe - 6, g), (ball_x - 18, g)])
        top = [(back - 2, seat - 34), (back + 14, seat - 32)]
        for x in (back + 34.0, back + 60.0, ball_x - 40):
            top.append((x, sole_y(x) - (22 if x < ball_x - 45 else 18)))
        top += [(ball_x - 14, front - 26), (ball_x + 16, front - 24), (toe - 14, front - 16),
                (toe, front - 6), (toe - 2, front)]
        bottom = [(x, sole_y(x)) for x in (ball_x, ball_x - 20, ball_x - 40, ball_x - 60,
                                           ball_x - 80, back + 30, back + 14, back)]
        cv.poly(top + bottom)
        if style_key == "sandal":
            for k in range(3):
                x0 = back + 44 + k * 30
                y0 = sole_y(x0)
                cv.cut([(x0, y0 - 16), (x0 + 16, sole_y(x0 + 16) - 14), (x0 + 16, sole_y(x0 + 16) - 4),
                        (x0, y0 - 5)])
        cv.apply_pattern(row["pattern"])
        cv.outline()
        return
    if kind == "flats":
        sole_t = 4.0
        heel_px = max(hp, sole_t)
        sole_col = (222, 196, 150) if style_key == "espadrille" else _shade(cv.rgb, 0.78)
        if style_key == "espadrille":
            sole_t = heel_px = max(hp, 8.0)
        base = g - sole_t
        back_h = {"ballet": 28, "loafer": 38, "espadrille": 32, "sandal": 16, "mule": 0}.get(style_key, 28)
        vamp_h = {"ballet": 18, "loafer": 38, "espadrille": 30, "sandal": 22, "mule": 34}.get(style_key, 24)
        if style_key == "mule":
            top = [(back + 56, base - 12), (back + 80, base - vamp_h)]
        else:
            top = [(back, base - back_h - (heel_px - sole_t)), (back + 30, base - back_h + 6),
                   (back + 70, base - vamp_h + 2)]
        top += [(toe - 40, base - vamp_h), (toe - 14, base - 18), (toe, base - 6), (toe, base)]
        heel_end = back + 30
        bottom = [(heel_end + 14, base), (heel_end, g - heel_px), (back, g - heel_px)]
        if style_key == "mule":
            bottom = [(back, base), (back, base - 4)]
        cv.poly(top + bottom)
        if style_key == "sandal":
            cv.cut([(back + 40, base - 12), (back + 76, base - 14), (back + 76, base - 4),
                    (back + 40, base - 3)])
        cv.poly([(back, g - heel_px), (heel_end, g - heel_px), (heel_end + 14, base),
                 (toe, base), (toe - 2, g), (back + 1, g)], fill=sole_col, pattern=False)
        cv.apply_pattern(row["pattern"])
        cv.outline()
        if style_key == "loafer":
            cv.line_([(toe - 82, base - vamp_h + 2), (toe - 60, base - vamp_h + 6)])
        if style_key == "ballet":
            cv.dot(back + 84, base - vamp_h + 2, 4)
        return
    # sneakers: the sole is heel_cm * 9 px thick at the heel, the upper sits on top
    sole_back = hp
    sole_toe = max(7.0, hp * 0.45)
    upper_h = 78 if style_key == "hightop" else 56
    base_back = g - sole_back
    base_toe = g - sole_toe
    sole = [(back, base_back), (back + 70, base_back + (base_toe - base_back) * 0.15),
            (toe - 16, base_toe), (toe, base_toe + 2), (toe - 3, g), (back + 4, g)]
    upper = [(back + 2, base_back - upper_h), (back + 26, base_back - upper_h + 8),
             (back + 52, base_back - upper_h + 2), (back + 92, base_back - 34),
             (toe - 34, base_toe - 30), (toe - 10, base_toe - 20), (toe, base_toe - 6),
             (toe, base_toe + 1), (back + 70, base_back + (base_toe - base_back) * 0.15),
             (back, base_back)]
    cv.poly(upper)
    sole_col = (238, 238, 238) if float(row["lightness"]) < 90 else (200, 200, 200)
    cv.poly(sole, fill=sole_col, pattern=False)
    cv.apply_pattern(row["pattern"])
    cv.outline()
    if style_key != "slipon":
        for k in range(4):
            x = back + 62 + k * 12
            y = base_back - upper_h + 16 + k * 8
            cv.line_([(x, y), (x + 9, y + 5)], width=2)


def _style_key(row: dict[str, str]) -> str:
    kind, name = row["kind"], row["name"]
    for st in STYLES[kind]:
        if name.endswith(st.title):
            return st.key
    return STYLES[kind][0].key


def render_image(row: dict[str, str]) -> bytes:
    """PNG bytes of the item's 224x224 silhouette (deterministic for a given row)."""
    rgb = (int(row["color_r"]), int(row["color_g"]), int(row["color_b"]))
    cv = _Canvas(rgb, float(row["lightness"]))
    kind = row["kind"]
    key = _style_key(row)
    if kind in ("polo shirt", "t-shirt", "shirt", "jacket", "coat"):
        _draw_top(cv, row, key)
    elif kind == "dress":
        _draw_dress(cv, row)
    elif kind == "skirt":
        _draw_skirt(cv, row)
    elif kind in ("trousers", "shorts"):
        _draw_legwear(cv, row)
    else:
        _draw_shoe(cv, row, key)
    buf = io.BytesIO()
    cv.img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _render_rows(rows: Sequence[dict[str, str]], out: Path, report: Callable[[object], None]) -> None:
    for r in rows:
        _atomic_write(out / r["image"], render_image(r))
        report(1)


def _render_worker(rows: Sequence[dict[str, str]], out: Path, q: "object") -> None:
    try:
        _render_rows(rows, out, q.put)  # type: ignore[attr-defined]
    except BaseException as e:  # report, then let the process fail
        q.put(f"{type(e).__name__}: {e}")  # type: ignore[attr-defined]
        raise


def _render_parallel(rows: Sequence[dict[str, str]], out: Path, workers: int, bar: "object") -> None:
    """Render with forked worker processes (nothing is pickled but progress ticks, so this works
    even when the module was loaded by path). Output does not depend on the number of workers."""
    import multiprocessing as mp
    import queue

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_render_worker, args=(rows[i::workers], out, q), daemon=True)
             for i in range(workers)]
    for p in procs:
        p.start()
    try:
        done = 0
        while done < len(rows):
            try:
                msg = q.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("an image worker exited unexpectedly") from None
                continue
            if isinstance(msg, str):
                raise RuntimeError(f"rendering failed: {msg}")
            done += 1
            bar.update(1)  # type: ignore[attr-defined]
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()


def write_catalog(out: str | Path, seed: int = DEFAULT_SEED, images: bool = True,
                  limit: int | None = None, workers: int = 1, progress: bool = True) -> list[dict[str, str]]:
    """Generate the catalog and write ``items.csv`` (and images) under ``out``; returns the rows."""
    out = Path(out)
    rows = generate(seed)
    if limit is not None:
        rows = limit_rows(rows, limit)
    out.mkdir(parents=True, exist_ok=True)
    if images:
        from tqdm import tqdm

        (out / "images").mkdir(parents=True, exist_ok=True)
        with tqdm(total=len(rows), desc="rendering images", unit="img", disable=not progress) as bar:
            n = min(workers, len(rows))
            if n > 1 and hasattr(os, "fork"):
                _render_parallel(rows, out, n, bar)
            else:
                _render_rows(rows, out, bar.update)
    _atomic_write(out / "items.csv", rows_to_csv(rows))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Generate the deterministic sample fashion catalog.")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "sample"),
                   help="output folder (default: data/catalog/sample)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--no-images", action="store_true", help="write items.csv only")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="keep only the first N items of each kind (a quick preview)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                   help="processes used to render images (output is identical for any value)")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    rows = write_catalog(a.out, seed=a.seed, images=not a.no_images, limit=a.limit,
                         workers=max(1, a.workers))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    summary = ", ".join(f"{k}: {counts[k]}" for k in KINDS if k in counts)
    print(f"wrote {len(rows)} items to {a.out} in {time.perf_counter() - t0:.1f}s ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
