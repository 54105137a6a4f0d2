"""The sample catalog's colours: matplotlib's XKCD names a shop could print, with CIELAB L*, chroma
and a hue family measured from each colour (and refined by the name's head noun)."""

import colorsys
import functools
import math
from dataclasses import dataclass
from typing import Sequence


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
TONE_CARRYING_WORDS = frozenset({
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
