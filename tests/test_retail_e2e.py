"""Issue 18's table, end to end on the second catalog (`make retail`): the served assistant (action
server + `rasa run`, Rasa's NLU included) on the retail index, talking through the REST channel as
a shop's own client would. An item is opened as the widget opens one (`/search_item{"item_id": ...}`)
and the shown item's id is read from the reply's custom payload; every claim ("a backpack", "by
<brand>", "more formal", "darker", "in black") is checked against the retail CSV's columns. The
seeds are chosen by their CSV attributes (and only where the expected target exists in the CSV).
"Darker" is judged by CIELAB L* of the colour names, computed here from matplotlib's CSS4 / XKCD
colour dictionaries independently of the project's colour grounding. One server pair serves the
whole module."""

from __future__ import annotations

import functools
import random
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from benchmarks.shopper import Catalog, shown_id
from conftest import ROOT, building

RETAIL_CSV = ROOT / "data" / "catalog" / "retail" / "items.csv"
RETAIL_INDEX = ROOT / "var" / "index" / "retail"
SEEDS = 2  # conversations per row, each from another seed item


def ensure_retail_index() -> Path:
    """The retail catalog and its index, exactly as `make retail` builds them (when missing or stale)."""
    with building(RETAIL_INDEX):
        if not RETAIL_CSV.is_file():
            subprocess.run([sys.executable, str(ROOT / "data" / "catalog" / "retail.py"),
                            "--out", str(RETAIL_CSV.parent)], check=True)
        manifest = RETAIL_INDEX / "manifest.json"
        if not manifest.is_file() or manifest.stat().st_mtime < RETAIL_CSV.stat().st_mtime:
            gradrec = Path(sys.executable).with_name("gradrec")
            subprocess.run([str(gradrec), "index", str(RETAIL_CSV), "--out", str(RETAIL_INDEX),
                            "--text-columns", "productDisplayName", "--category-column", "articleType",
                            "--name-column", "productDisplayName", "--backend", "torch"], check=True)
            manifest.touch()
    return RETAIL_INDEX


# --------------------------------------------------------------------------- ground truth

CATALOG = Catalog.load("retail") if RETAIL_CSV.is_file() else None


def _catalog() -> Catalog:
    global CATALOG
    if CATALOG is None:
        ensure_retail_index()
        CATALOG = Catalog.load("retail")
    return CATALOG


def rows() -> list[dict[str, str]]:
    return sorted(_catalog().rows.values(), key=lambda r: r["id"])


def brand(row: dict[str, str]) -> str:
    """The brand: the name's words before the gender (as the shopper simulation reads it)."""
    return _catalog().value(row, "brand")


def seeds(row: str, ok: Callable[[dict[str, str]], bool], n: int = SEEDS) -> list[dict[str, str]]:
    """`n` of the CSV rows that qualify as seeds of a row of the table, the same every run."""
    found = [r for r in rows() if ok(r)]
    assert found, f"{row}: no seed in the retail CSV qualifies"
    return random.Random(row).sample(found, min(n, len(found)))


def exists(**columns: str) -> Callable[[dict[str, str]], bool]:
    return lambda r: all(r[c] == v for c, v in columns.items())


@functools.lru_cache(maxsize=None)
def _values(columns: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(r[c] for c in columns) for r in rows())


def any_row(**columns: str) -> bool:
    """Whether some item of the CSV has these values."""
    return tuple(columns.values()) in _values(tuple(columns))


def srgb_to_lab(hex_colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB hex colour, by the CIE formulas."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124564 * lin[0] + 0.3575761 * lin[1] + 0.1804375 * lin[2]) / 0.95047
    y = 0.2126729 * lin[0] + 0.7151522 * lin[1] + 0.0721750 * lin[2]
    z = (0.0193339 * lin[0] + 0.1191920 * lin[1] + 0.9503041 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def lightness(colour_name: str) -> float:
    """L* of a colour name from matplotlib's CSS4 (W3C/X11) names, else the XKCD survey's
    ("Navy Blue" is XKCD's "navy blue"; "Grey Melange" is grey: melange is a texture; a two-word
    name no dictionary holds is its last word, "Coffee Brown" brown)."""
    from matplotlib import colors

    words = [w for w in colour_name.lower().split() if w != "melange"]
    for name in (" ".join(words), words[-1] if words else ""):
        hex_colour = colors.CSS4_COLORS.get(name.replace(" ", "")) or colors.XKCD_COLORS.get(f"xkcd:{name}")
        if hex_colour:
            return srgb_to_lab(hex_colour)[0]
    raise AssertionError(f"the test cannot ground the colour name {colour_name!r}")


def test_the_lightness_of_colour_names_is_cielab() -> None:
    assert lightness("White") == pytest.approx(100.0, abs=0.01)
    assert lightness("Black") == pytest.approx(0.0, abs=0.01)
    assert lightness("Grey Melange") == lightness("Grey")
    assert lightness("Navy Blue") < lightness("Blue") < lightness("Off White")


# --------------------------------------------------------------------------- the served assistant

@pytest.fixture(scope="module")
def rest(server_pool: Any) -> Iterator[Callable[[str, str], dict[str, str] | None]]:
    """Both servers on the retail index (a pair of their own settings, tests/conftest.py); yields
    say(sender, text) -> the CSV row of the item the reply shows (None when it shows none)."""
    import httpx

    settings = server_pool.get(ensure_retail_index(), public_url=None).settings
    with httpx.Client(timeout=300.0) as http:
        def say(sender: str, text: str) -> dict[str, str] | None:
            r = http.post(settings.base_url + "/webhooks/rest/webhook", json={"sender": sender, "message": text})
            r.raise_for_status()
            replies = r.json()
            shown = shown_id(replies)
            if shown is None:
                return None
            assert shown in _catalog().rows, f"{text!r}: the reply shows {shown}, no item of the CSV"
            return _catalog().rows[shown]
        yield say


class Chat:
    """One shopper's conversation, started on a seed item."""

    def __init__(self, say: Callable[[str, str], dict[str, str] | None], seed: dict[str, str]) -> None:
        self.say, self.sender = say, f"retail-e2e-{uuid.uuid4().hex[:12]}"
        opened = say(self.sender, f'/search_item{{"item_id": "{seed["id"]}"}}')
        assert opened is not None and opened["id"] == seed["id"], f"opening {seed['id']} showed {opened}"
        self.shown = opened

    def __call__(self, text: str) -> dict[str, str]:
        before = self.shown
        shown = self.say(self.sender, text)
        assert shown is not None, f"{text!r} on {describe(before)}: no item shown"
        self.shown = shown
        return shown


def describe(row: dict[str, str]) -> str:
    return (f"{row['id']} {row['productDisplayName']!r} ({row['gender']}, {row['articleType']}, "
            f"{row['baseColour']}, {row['usage']})")


# --------------------------------------------------------------------------- issue 18's rows

def _backpack_seeds() -> list[dict[str, str]]:
    return seeds("backpacks", lambda r: r["articleType"] == "Wallets" and r["baseColour"] == "Pink"
                 and any_row(articleType="Backpacks", gender=r["gender"], baseColour="Pink"))


@pytest.mark.parametrize("n", range(SEEDS))
def test_rather_have_backpacks_on_a_pink_wallet(rest: Any, n: int) -> None:
    """"I'd rather have backpacks": a backpack for the same gender, keeping as many of the
    wallet's colour and brand as one backpack of that gender has."""
    seed = _backpack_seeds()[n]
    got = Chat(rest, seed)("I'd rather have backpacks")
    why = f"{describe(seed)} -> {describe(got)}"
    assert got["articleType"] == "Backpacks", why
    assert got["gender"] == seed["gender"], why
    kept = lambda r: (r["baseColour"] == seed["baseColour"]) + (brand(r) == brand(seed))  # noqa: E731
    best = max(kept(r) for r in rows() if r["articleType"] == "Backpacks" and r["gender"] == seed["gender"])
    assert kept(got) == best, f"{why}: keeps {kept(got)} of colour and brand, a backpack keeping {best} exists"


def _brand_seeds() -> list[tuple[dict[str, str], str]]:
    """Items whose kind another brand also makes for the same gender, and that brand."""
    by_kind: dict[tuple[str, str], set[str]] = {}
    for r in rows():
        by_kind.setdefault((r["articleType"], r["gender"]), set()).add(brand(r))
    picked = seeds("brand", lambda r: len(by_kind[(r["articleType"], r["gender"])] - {brand(r)}) >= 1, 2 * SEEDS)
    rng = random.Random("brand")
    return [(r, rng.choice(sorted(by_kind[(r["articleType"], r["gender"])] - {brand(r)}))) for r in picked]


BRAND_PHRASES = ["do you have this by {b}?", "anything from {b}?"]


@pytest.mark.parametrize("phrase", BRAND_PHRASES)
@pytest.mark.parametrize("n", range(SEEDS))
def test_the_same_kind_from_another_brand(rest: Any, phrase: str, n: int) -> None:
    seed, wanted = _brand_seeds()[BRAND_PHRASES.index(phrase) * SEEDS + n]
    text = phrase.format(b=wanted)
    got = Chat(rest, seed)(text)
    why = f"{describe(seed)}, {text!r} -> {describe(got)}"
    assert brand(got) == wanted, why
    assert got["articleType"] == seed["articleType"], why


@pytest.mark.parametrize("n", range(SEEDS))
def test_shirts_instead_of_a_mens_tshirt(rest: Any, n: int) -> None:
    seed = seeds("shirts", exists(articleType="Tshirts", gender="Men"))[n]
    got = Chat(rest, seed)("show me shirts instead")
    why = f"{describe(seed)} -> {describe(got)}"
    assert got["articleType"] == "Shirts" and got["gender"] == "Men", why


FORMALITY = {"Casual": 0, "Smart Casual": 1, "Formal": 2}  # the usage values' own order of formality


@pytest.mark.parametrize("n", range(SEEDS))
def test_a_more_formal_casual_mens_shirt(rest: Any, n: int) -> None:
    """"a more formal one" on a casual men's shirt: a men's shirt whose usage is more formal
    (Smart Casual or Formal); "even more formal" then reaches Formal."""
    seed = seeds("formal", exists(articleType="Shirts", gender="Men", usage="Casual"))[n]
    chat = Chat(rest, seed)
    first = chat("a more formal one")
    why = f"{describe(seed)} -> {describe(first)}"
    assert first["articleType"] == "Shirts" and first["gender"] == "Men", why
    assert FORMALITY.get(first["usage"], -1) > FORMALITY["Casual"], why
    if first["usage"] != "Formal":
        second = chat("even more formal")
        why += f" -> {describe(second)}"
        assert second["articleType"] == "Shirts" and second["gender"] == "Men", why
        assert second["usage"] == "Formal", why


@pytest.mark.parametrize("n", range(SEEDS))
def test_sportier_casual_shoes(rest: Any, n: int) -> None:
    seed = seeds("sportier", lambda r: r["articleType"] == "Casual Shoes"
                 and any_row(articleType="Sports Shoes", gender=r["gender"]))[n]
    got = Chat(rest, seed)("something sportier")
    why = f"{describe(seed)} -> {describe(got)}"
    assert got["articleType"] == "Sports Shoes" and got["gender"] == seed["gender"], why


@pytest.mark.parametrize("n", range(SEEDS))
def test_darker_blue_tshirt(rest: Any, n: int) -> None:
    """"something darker", "even darker", "darker still" on a blue t-shirt: each step a t-shirt of
    a darker colour name (CIELAB L*), for the same gender."""
    seed = seeds("darker", exists(articleType="Tshirts", baseColour="Blue"))[n]
    chat, shown, walk = Chat(rest, seed), seed, describe(seed)
    for text in ("something darker", "even darker", "darker still"):
        got = chat(text)
        walk += f" -{text}-> {describe(got)}"
        assert got["articleType"] == "Tshirts" and got["gender"] == seed["gender"], walk
        assert lightness(got["baseColour"]) < lightness(shown["baseColour"]), \
            f"{walk}: L* {lightness(shown['baseColour']):.1f} -> {lightness(got['baseColour']):.1f}"
        shown = got


@pytest.mark.parametrize("n", range(SEEDS))
def test_does_it_come_in_black(rest: Any, n: int) -> None:
    seed = seeds("black", lambda r: r["baseColour"] != "Black" and any_row(
        articleType=r["articleType"], gender=r["gender"], baseColour="Black"))[n]
    got = Chat(rest, seed)("does it come in black?")
    why = f"{describe(seed)} -> {describe(got)}"
    assert got["baseColour"] == "Black", why
    assert got["articleType"] == seed["articleType"] and got["gender"] == seed["gender"], why
