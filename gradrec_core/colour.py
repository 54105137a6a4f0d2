"""Colour from a catalog's swatch column (hex values such as `#1f3a93`), in CIELAB.

A text encoder is the weak point of colour critiques: MiniLM barely orders colour names by
lightness (docs/RESULTS.md). Where the shop's catalog gives each item's colour swatch, shade
and colour critiques are measured on it instead, with the standard colour-science quantities:

- "darker" / "lighter": CIELAB lightness L*;
- "more muted": chroma C* falls; "brighter", "more vivid": perceived brightness rises, L* with
  the chroma term of Fairchild & Pirrotta (1991) (a saturated colour looks brighter than a
  grey of the same L*), and L* never falls (`colour_guard`: brighter is lighter and/or more
  vivid, never darker);
- "greener", "redder", "bluer", "yellower": CIELAB's opponent axes (-a*, +a*, -b*, +b*);
  other hue words ("pinker", "more orange", "more purple"): the chroma toward that hue angle.

Nothing here names a catalog's columns: the swatch column is declared (`gradrec index
--swatch-column`) or recognised by its values (every value a hex colour).
"""

from __future__ import annotations

import math
import re
from typing import Callable, Iterable

import numpy as np

JND = 2.0  # a just-noticeable colour difference, in CIELAB units (Sharma, Digital Color Imaging, 2003: about 2.3)
HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")

# hue angles (degrees, CIELAB h_ab) of colour words that are not opponent axes: the CSS colours
# of those names (orange #ffa500, purple #800080, pink #ffc0cb, violet #ee82ee, brown #a52a2a,
# turquoise #40e0d0), measured with `srgb_to_lab`
_HUE_WORDS: dict[str, float] = {}
_HUE_REFERENCE = {"orange": "#ffa500", "purple": "#800080", "pink": "#ffc0cb", "violet": "#ee82ee",
                  "brown": "#a52a2a", "turquoise": "#40e0d0"}
_OPPONENT = {"green": (1, -1.0), "red": (1, 1.0), "blue": (2, -1.0), "yellow": (2, 1.0)}


def parse_hex(value: object) -> tuple[int, int, int] | None:
    """'#1f3a93' or '1F3A93' -> (31, 58, 147); anything else -> None."""
    m = HEX_RE.match(str(value).strip()) if value is not None else None
    if not m:
        return None
    h = m.group(1)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..255, shape (n, 3) -> CIELAB (D65), shape (n, 3)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def lab_of_values(values: np.ndarray) -> np.ndarray:
    """Hex strings -> CIELAB rows (NaN where a value is not a hex colour)."""
    out = np.full((len(values), 3), np.nan)
    parsed = [(i, parse_hex(v)) for i, v in enumerate(values)]
    ok = [(i, p) for i, p in parsed if p is not None]
    if ok:
        rows, rgb = zip(*ok)
        out[list(rows)] = srgb_to_lab(np.array(rgb, dtype=np.float64))
    return out


def _hue(word: str) -> float | None:
    if not _HUE_WORDS:
        for name, hx in _HUE_REFERENCE.items():
            rgb = parse_hex(hx)
            assert rgb is not None
            _, a, b = srgb_to_lab(np.array([rgb], dtype=np.float64))[0]
            _HUE_WORDS[name] = math.degrees(math.atan2(b, a))
    return _HUE_WORDS.get(word)


def _brightness(lab: np.ndarray) -> np.ndarray:
    """Fairchild & Pirrotta's (1991) L**: lightness raised by chroma, the more so for hues away
    from yellow (the Helmholtz-Kohlrausch effect)."""
    L, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    C = np.hypot(a, b)
    h = np.degrees(np.arctan2(b, a))
    return L + (2.5 - 0.025 * L) * (0.116 * np.abs(np.sin(np.radians((h - 90) / 2))) + 0.085) * C


_MUTED = ("muted", "subtle", "dull", "understated", "toned-down", "subdued", "quiet")


# dimension or colour word, pole word -> a measure that rises toward the pole
def colour_measure(dimension: str, pole: tuple[str, ...], counter: tuple[str, ...]
                   ) -> tuple[str, Callable[[np.ndarray], np.ndarray]] | None:
    """The CIELAB measure a comparative means, rising the way it asks, with its name; None when
    it is not about colour. `dimension` is the lexicon's ("shade", "brightness") or, for an
    open-vocabulary word, the word's lemma ("green")."""
    toward = pole[0] if pole else ""
    away = counter[0] if counter else ""
    if dimension == "shade":
        if toward in ("dark", "deep") or away in ("light", "pale"):
            return "-L*", lambda lab: -lab[:, 0]
        return "L*", lambda lab: lab[:, 0]
    if dimension == "brightness":
        if toward and toward not in _MUTED:
            return "brightness L**", _brightness
        return "-C*", lambda lab: -np.hypot(lab[:, 1], lab[:, 2])
    word = toward or away
    sign = 1.0 if toward else -1.0
    if word in _OPPONENT:
        axis, s = _OPPONENT[word]
        name = ("+" if s * sign > 0 else "-") + ("a*" if axis == 1 else "b*")
        return name, lambda lab: sign * s * lab[:, axis]
    if word in ("grey", "gray"):
        return ("-C*" if sign > 0 else "C*"), lambda lab: -sign * np.hypot(lab[:, 1], lab[:, 2])
    hue = _hue(word)
    if hue is not None:
        u = np.array([math.cos(math.radians(hue)), math.sin(math.radians(hue))])
        return f"chroma toward {word}", lambda lab: sign * (lab[:, 1:3] @ u)
    return None


def colour_guard(dimension: str, pole: tuple[str, ...], counter: tuple[str, ...]
                 ) -> tuple[str, Callable[[np.ndarray], np.ndarray]] | None:
    """A second CIELAB measure that a step along `colour_measure`'s must not lower, with its
    name; None when there is none. "Brighter" is lighter and/or more vivid, never darker: its
    measure (L**) also rises with chroma, so a saturated blue (L* 32) is "brighter" than a grey
    (L* 54) by it, which a shopper asking for a brighter one does not mean. Its guard is L*."""
    toward = pole[0] if pole else ""
    if dimension == "brightness" and toward and toward not in _MUTED:
        return "L*", lambda lab: lab[:, 0]
    return None


# ------------------------------------------------------------------ colour names -> CIELAB
#
# Most shops write colour names ("Navy Blue", "Charcoal", "Grey Melange"), not hex swatches.
# A name is grounded in CIELAB through the standard colour-name dictionaries matplotlib ships:
# CSS4/X11 first (the web's names: "navy" #000080), then the XKCD colour survey (954 names as
# people use them: "charcoal", "mustard", "navy blue"). Modifiers shift the base colour in
# CIELAB; a name made of two colour words ("coffee brown") is a blend weighted to its last
# word, the head noun. A value no dictionary holds ("Multi", "Nude" when absent) stays
# ungrounded: the caller logs it.

# modifier -> (lightness target or None, lightness pull 0..1, chroma factor)
_MODIFIERS: dict[str, tuple[float | None, float, float]] = {
    "light": (100.0, 0.35, 0.8), "pale": (100.0, 0.45, 0.55), "pastel": (100.0, 0.45, 0.5),
    "dark": (0.0, 0.35, 1.0), "deep": (0.0, 0.25, 1.1),
    "neon": (None, 0.0, 1.5), "fluorescent": (None, 0.0, 1.5), "bright": (None, 0.0, 1.3),
    "vivid": (None, 0.0, 1.3),
    "dusty": (None, 0.0, 0.6), "muted": (None, 0.0, 0.6), "faded": (70.0, 0.2, 0.6),
    "washed": (70.0, 0.2, 0.6),
    # melange / heather / marl: fibres of the colour mixed with grey: desaturated toward mid grey
    "melange": (60.0, 0.2, 0.4), "heather": (60.0, 0.2, 0.4), "marl": (60.0, 0.2, 0.4),
    "mélange": (60.0, 0.2, 0.4),
}
_NAME_SPLIT_RE = re.compile(r"\s*(?:/|&|,|\+|\band\b|\bwith\b)\s*")
_NAME_LAB: dict[str, np.ndarray] = {}


def _dictionaries() -> tuple[dict[str, str], dict[str, str]]:
    from matplotlib import colors as mcolors  # a dependency already; imported only when names are grounded

    css = {k.lower(): v for k, v in mcolors.CSS4_COLORS.items()}
    xkcd = {k.removeprefix("xkcd:").lower(): v for k, v in mcolors.XKCD_COLORS.items()}
    return css, xkcd


_DICTS: tuple[dict[str, str], dict[str, str]] | None = None


def _lookup(words: list[str]) -> np.ndarray | None:
    """The Lab of a name a dictionary holds as it is (CSS without spaces, XKCD with), grey or gray."""
    global _DICTS
    if not words:
        return None
    if _DICTS is None:
        _DICTS = _dictionaries()
    css, xkcd = _DICTS
    name = " ".join(words)
    for variant in (name, name.replace("gray", "grey"), name.replace("grey", "gray")):
        hx = css.get(variant.replace(" ", "")) or xkcd.get(variant)
        if hx is not None:
            rgb = parse_hex(hx)
            assert rgb is not None
            return srgb_to_lab(np.array([rgb], dtype=np.float64))[0]
    return None


def _base_lab(words: list[str]) -> np.ndarray | None:
    """A name without modifiers: held whole, else its longest held span ending at the head
    (last) word, blended 2:1 with a colour word before it ("coffee brown", "bluish grey")."""
    whole = _lookup(words)
    if whole is not None:
        return whole
    words = [w[:-3] if w.endswith("ish") and len(w) > 5 and _lookup([w[:-3]]) is not None else w for w in words]
    n = len(words)
    for length in range(n - 1, 0, -1):
        for start in range(n - length, -1, -1):  # rightmost first: the head noun is last
            head = _lookup(words[start:start + length])
            if head is None:
                continue
            rest = words[:start] + words[start + length:]
            other = _lookup(rest) if rest else None
            if other is None and rest:
                other = next((lab for lab in (_lookup([w]) for w in rest) if lab is not None), None)
            return head if other is None else (2 * head + other) / 3.0
    return None


def name_to_lab(name: object) -> np.ndarray | None:
    """CIELAB (D65) of a colour name ('Navy Blue', 'light mustard', 'Grey Melange'), or None
    when no dictionary grounds it. Several colours ('Black/White') -> the first one."""
    key = " ".join(str(name or "").lower().replace("-", " ").replace("_", " ").split())
    if not key:
        return None
    if key in _NAME_LAB:
        return _NAME_LAB[key]
    first = _NAME_SPLIT_RE.split(key)[0].strip()
    words = first.split()
    lab = _lookup(words)  # "off white", "light blue", "dark green" are dictionary names themselves
    if lab is None:
        modifiers = [w for w in words if w in _MODIFIERS]
        base = _base_lab([w for w in words if w not in _MODIFIERS])
        if base is None and modifiers and len(modifiers) == len(words):
            base = _lookup(["grey"]) if any(m in ("melange", "heather", "marl", "mélange") for m in modifiers) else None
        if base is not None:
            lab = base.copy()
            for m in modifiers:
                target, pull, chroma = _MODIFIERS[m]
                if target is not None:
                    lab[0] += pull * (target - lab[0])
                lab[1:] *= chroma
    if len(_NAME_LAB) < 100_000:
        _NAME_LAB[key] = lab  # type: ignore[assignment]
    return lab


def ground_colour_names(values: Iterable[str]) -> tuple[dict[str, tuple[float, float, float]], list[str]]:
    """(lower-cased value -> CIELAB, the values not grounded) for a colour column's values."""
    grounded: dict[str, tuple[float, float, float]] = {}
    missing: list[str] = []
    for v in values:
        lab = name_to_lab(v)
        if lab is None:
            missing.append(str(v))
        else:
            grounded[str(v).strip().lower()] = (round(float(lab[0]), 2), round(float(lab[1]), 2),
                                                round(float(lab[2]), 2))
    return grounded, missing


def image_swatch(path: str) -> str | None:
    """The dominant foreground colour of a product image as hex, or None when unreadable: the
    background is the median colour of the image's border (a packshot's plain backdrop), and
    the swatch the per-channel median of the pixels unlike it (over 12 CIELAB units away)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB").resize((64, 64)), dtype=np.float64).reshape(64, 64, 3)
    except (OSError, ValueError):
        return None
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    pixels = rgb.reshape(-1, 3)
    lab = srgb_to_lab(pixels)
    distance = np.linalg.norm(lab - srgb_to_lab(background[None, :])[0], axis=1)
    foreground = pixels[distance > 12.0]
    if len(foreground) < 0.02 * len(pixels):  # nothing stands out: the item is the backdrop's colour
        foreground = pixels
    r, g, b = (int(round(x)) for x in np.median(foreground, axis=0))
    return f"#{r:02x}{g:02x}{b:02x}"
