"""Checks for the sample catalog generator (data/catalog/generate.py).

The generator is a standalone script, so it is loaded by path. The CSV checks run on the full
catalog (generation takes well under a second); image checks render a subset, plus items picked
to compare garment lengths and heel heights.
"""

import csv
import hashlib
import importlib.util
import io
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "data" / "catalog" / "generate.py"

EXPECTED_COLUMNS = [
    "id", "name", "description", "kind", "color_name", "color_hex", "color_r", "color_g",
    "color_b", "lightness", "hue_family", "length", "length_name", "sleeve_length",
    "sleeve_name", "heel_cm", "formality", "formality_name", "fit", "material", "pattern",
    "price", "image",
]
#: The generator was split by concern (data/catalog/samplegen/) with the same output: sha256 of
#: items.csv (seed 20221, 3,400 rows) as the single-file generate.py wrote it before the split...
CSV_SHA256 = "493672fd13d08917252b8d255e891ad8f45c044304c53496f016c90b8f04ca3c"
#: ...and over (id, decoded RGB pixels) of the first two images of each kind (pixels, not PNG
#: bytes, so a zlib change cannot fail it; taken with Pillow 13.0).
PIXELS_SHA256 = "c0413cd4a15f0675cf3dfdb6837cd8d21052ea0a181e772e2789fb1b8c42d6da"
SLEEVED_KINDS = {"polo shirt", "t-shirt", "shirt", "dress", "jacket", "coat"}
LENGTH_KINDS = {"dress", "skirt", "trousers", "shorts"}
HEEL_RANGES = {"heels": (3.0, 12.0), "flats": (0.0, 2.0), "sneakers": (2.0, 5.0)}
DARK_WORDS = ("deep", "dark", "rich")
LIGHT_WORDS = ("pale", "light", "pastel", "soft")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_catalog_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load()


@pytest.fixture(scope="module")
def rows(gen: ModuleType) -> list[dict[str, str]]:
    return gen.generate()


@pytest.fixture(scope="module")
def by_kind(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        out[r["kind"]].append(r)
    return out


@pytest.fixture(scope="module")
def sample_dir(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_catalog")
    gen.write_catalog(out, limit=25, workers=1, progress=False)
    return out


def _pixels(png: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(png))
    assert im.size == (224, 224)
    assert im.mode == "RGB"
    return np.asarray(im)


def _nonwhite(a: np.ndarray) -> np.ndarray:
    return (a != 255).any(axis=2)


def _srgb_lightness(r: int, g: int, b: int) -> float:
    """Independent CIELAB L* (D65) for checking the generator's numbers."""
    def lin(c: int) -> float:
        c01 = c / 255
        return c01 / 12.92 if c01 <= 0.04045 else ((c01 + 0.055) / 1.055) ** 2.4
    y = 0.2126729 * lin(r) + 0.7151522 * lin(g) + 0.0721750 * lin(b)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


# ------------------------------------------------------------------ import / structure


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    # importing must not generate anything (run in a clean cwd to catch stray writes)
    code = (
        "import importlib.util, os;"
        f"s=importlib.util.spec_from_file_location('g', {str(GENERATOR)!r});"
        "m=importlib.util.module_from_spec(s); s.loader.exec_module(m);"
        "assert callable(m.generate) and callable(m.colour_vocabulary) and m.KIND_SYNONYMS;"
        "print(len(os.listdir('.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "0"


def test_counts_kinds_and_ids(rows: list[dict[str, str]], gen: ModuleType) -> None:
    assert len(rows) >= 3000
    kinds = Counter(r["kind"] for r in rows)
    assert len(kinds) >= 8
    assert set(kinds) == {"polo shirt", "t-shirt", "shirt", "dress", "skirt", "trousers", "shorts",
                          "heels", "flats", "sneakers", "jacket", "coat"}
    assert kinds["polo shirt"] >= 350 and min(kinds.values()) >= 140
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    prefix = {"polo shirt": "polo", "t-shirt": "tee", "shirt": "shirt", "dress": "dress",
              "skirt": "skirt", "trousers": "trousers", "shorts": "shorts", "heels": "heels",
              "flats": "flats", "sneakers": "sneakers", "jacket": "jacket", "coat": "coat"}
    for r in rows:
        assert re.fullmatch(re.escape(prefix[r["kind"]]) + r"-\d{4}", r["id"]), r["id"]
        assert r["image"] == f"images/{r['id']}.png"
        assert list(r) == EXPECTED_COLUMNS


def test_csv_is_deterministic_and_seeded(gen: ModuleType, tmp_path: Path) -> None:
    a = gen.rows_to_csv(gen.generate(20221))
    b = gen.rows_to_csv(gen.generate(20221))
    assert a == b
    assert gen.rows_to_csv(gen.generate(7)) != a
    # the CLI writes the same bytes, with the exact header
    out = tmp_path / "cli"
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--no-images"],
                   check=True, capture_output=True)
    data = (out / "items.csv").read_bytes()
    assert data == a
    assert hashlib.sha256(data).hexdigest() == CSV_SHA256
    assert data.split(b"\n", 1)[0].decode() == ",".join(EXPECTED_COLUMNS)
    assert not (out / "images").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_images_are_deterministic(gen: ModuleType, sample_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    gen.write_catalog(again, limit=3, workers=2, progress=False)
    again_rows = list(csv.DictReader(open(again / "items.csv", encoding="utf-8")))
    assert len(again_rows) == 36
    for r in again_rows:
        assert (again / r["image"]).read_bytes() == (sample_dir / r["image"]).read_bytes()


def test_images_are_the_same_as_before_the_split(sample_dir: Path) -> None:
    rows = list(csv.DictReader(open(sample_dir / "items.csv", encoding="utf-8")))
    first_two = [r for r in rows if int(r["id"].rsplit("-", 1)[1]) <= 2]
    assert len(first_two) == 24
    h = hashlib.sha256()
    for r in first_two:
        h.update(r["id"].encode())
        h.update(np.asarray(Image.open(sample_dir / r["image"]).convert("RGB")).tobytes())
    assert h.hexdigest() == PIXELS_SHA256


# ------------------------------------------------------------------ colours


def test_colour_vocabulary(gen: ModuleType, rows: list[dict[str, str]]) -> None:
    vocab = gen.colour_vocabulary()
    assert vocab == sorted(vocab) and len(vocab) > 300 and len(set(vocab)) == len(vocab)
    for bad in ("puke", "vomit", "poo", "barf", "snot", "booger", "shit", "diarrhea", "ugly",
                "sick", "dirty", "bile", "piss"):
        assert not [v for v in vocab if bad in v], bad
    assert {"navy", "powder blue", "midnight blue", "black", "white"} <= set(vocab)
    assert not [v for v in vocab if v.startswith("xkcd:")]
    used = {r["color_name"] for r in rows}
    assert used <= set(vocab)
    assert len(used) > 250


def test_colour_ground_truth(rows: list[dict[str, str]]) -> None:
    families = {"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown",
                "beige", "grey", "black", "white"}
    for r in rows:
        rgb = int(r["color_r"]), int(r["color_g"]), int(r["color_b"])
        assert r["color_hex"] == "#%02x%02x%02x" % rgb
        lum = float(r["lightness"])
        assert 0.0 <= lum <= 100.0
        assert abs(lum - _srgb_lightness(*rgb)) <= 0.06, r["id"]
        assert r["hue_family"] in families
        if r["hue_family"] == "black":
            assert lum < 20
        if r["hue_family"] == "white":
            assert lum > 90
        if r["hue_family"] == "blue":
            assert rgb[2] >= rgb[0], r["color_name"]  # more blue than red
    assert Counter(r["hue_family"] for r in rows).most_common(1)[0][0] == "blue"


def test_blue_polos_span_lightness(by_kind: dict[str, list[dict[str, str]]]) -> None:
    blue = [float(r["lightness"]) for r in by_kind["polo shirt"] if r["hue_family"] == "blue"]
    assert len(blue) >= 60
    assert min(blue) <= 22 and max(blue) >= 83
    for lo, hi in ((20, 40), (40, 60), (60, 86)):
        assert sum(lo <= x < hi for x in blue) >= 10, (lo, hi)


def test_lightness_spread_within_families(by_kind: dict[str, list[dict[str, str]]]) -> None:
    for kind, items in by_kind.items():
        fam: dict[str, list[float]] = defaultdict(list)
        for r in items:
            fam[r["hue_family"]].append(float(r["lightness"]))
        common = [f for f, v in fam.items() if len(v) >= 15 and f not in ("black", "white")]
        assert common, kind
        for f in common:
            assert max(fam[f]) - min(fam[f]) >= 20, (kind, f)


# ------------------------------------------------------------------ other ground truth


def test_ground_truth_ranges(rows: list[dict[str, str]]) -> None:
    dress_names = {1: "mini", 2: "above-knee", 3: "knee-length", 4: "midi", 5: "maxi"}
    leg_names = {1: "short shorts", 2: "mid-thigh", 3: "bermuda", 4: "cropped", 5: "full-length"}
    sleeve_names = {0: "sleeveless", 1: "short", 2: "three-quarter", 3: "long"}
    form_names = {1: "athleisure", 2: "casual", 3: "smart casual", 4: "business", 5: "formal"}
    for r in rows:
        k = r["kind"]
        if k in HEEL_RANGES:
            lo, hi = HEEL_RANGES[k]
            h = float(r["heel_cm"])
            assert lo <= h <= hi and re.fullmatch(r"\d+\.\d", r["heel_cm"]), (r["id"], h)
        else:
            assert r["heel_cm"] == ""
        if k in LENGTH_KINDS:
            n = int(r["length"])
            allowed = {"dress": {1, 2, 3, 4, 5}, "skirt": {1, 2, 3, 4, 5}, "shorts": {1, 2, 3},
                       "trousers": {4, 5}}[k]
            assert n in allowed, (r["id"], n)
            names = dress_names if k in ("dress", "skirt") else leg_names
            assert r["length_name"] == names[n]
        else:
            assert r["length"] == r["length_name"] == ""
        if k in SLEEVED_KINDS:
            s = int(r["sleeve_length"])
            assert r["sleeve_name"] == sleeve_names[s]
        else:
            assert r["sleeve_length"] == r["sleeve_name"] == ""
        f = int(r["formality"])
        assert r["formality_name"] == form_names[f]
        assert r["pattern"] in {"plain", "striped", "checked", "floral", "polka-dot"}
        assert r["fit"] and r["material"]
        assert re.fullmatch(r"\d+\.\d\d", r["price"]) and 1.0 < float(r["price"]) < 1000.0
    by = defaultdict(list)
    for r in rows:
        by[r["kind"]].append(r)
    # sensible per kind
    polo_sleeves = Counter(r["sleeve_length"] for r in by["polo shirt"])
    assert polo_sleeves["1"] > 0.6 * len(by["polo shirt"]) and polo_sleeves["3"] > 20
    mean_form = {k: sum(int(r["formality"]) for r in v) / len(v) for k, v in by.items()}
    assert mean_form["sneakers"] < mean_form["shirt"] < mean_form["heels"]
    assert max(int(r["formality"]) for r in by["sneakers"]) <= 3
    assert Counter(r["pattern"] for r in rows).most_common(1)[0][0] == "plain"
    mean_price = {k: sum(float(r["price"]) for r in v) / len(v) for k, v in by.items()}
    assert mean_price["t-shirt"] < mean_price["shirt"] < mean_price["coat"]
    for k in ("dress", "skirt"):
        assert {int(r["length"]) for r in by[k]} == {1, 2, 3, 4, 5}


def test_tone_words_never_contradict_lightness(rows: list[dict[str, str]]) -> None:
    dark = light = 0
    for r in rows:
        lum = float(r["lightness"])
        for field in ("name", "description"):
            text = r[field].lower().replace(r["color_name"], " ")
            words = set(re.findall(r"[a-z]+", text))
            if words & set(DARK_WORDS):
                assert lum < 40, (r["id"], lum, r[field])
                dark += 1
            if words & set(LIGHT_WORDS):
                assert lum > 65, (r["id"], lum, r[field])
                light += 1
        # colour names whose own tone word would contradict the lightness were dropped
        cwords = r["color_name"].split()
        if {"dark", "deep"} & set(cwords):
            assert lum < 55, r["color_name"]
        if {"light", "pale", "pastel"} & set(cwords):
            assert lum > 50, r["color_name"]
    assert dark > 100 and light > 100  # the check is not vacuous


def test_descriptions_true_to_ground_truth(rows: list[dict[str, str]]) -> None:
    for r in rows:
        d = r["description"].lower()
        k = r["kind"]
        assert r["color_name"] in d, r["id"]
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", r["description"])) <= 3, r["description"]
        if k in ("dress", "skirt"):
            n = int(r["length"])
            if re.search(r"\bmaxi\b|floor-length|ankle-length", d):
                assert n == 5, r["description"]
            if re.search(r"\bmidi\b|calf", d):
                assert n == 4, r["description"]
            if "knee-length" in d or "knee-grazing" in d:
                assert n == 3, r["description"]
            if re.search(r"\bmini\b|upper thigh|high on the thigh|thigh-skimming", d):
                assert n == 1, r["description"]
        if k == "trousers":
            if re.search(r"cropped|ankle-length|ankle-grazing|7/8", d):
                assert r["length"] == "4", r["description"]
            if "full-length" in d or "full length" in d:
                assert r["length"] == "5", r["description"]
        if k == "shorts" and re.search(r"knee|bermuda", d):
            assert r["length"] == "3", r["description"]
        if k in SLEEVED_KINDS:
            s = int(r["sleeve_length"])
            if "sleeveless" in d or "no sleeves" in d:
                assert s == 0, r["description"]
            if re.search(r"long sleeves|long-sleeve|full-length sleeves", d):
                assert s == 3, r["description"]
            if re.search(r"short sleeves|short-sleeve|short set-in", d):
                assert s == 1, r["description"]
            if re.search(r"three-quarter|elbow|3/4", d):
                assert s == 2, r["description"]
        if k in HEEL_RANGES:
            h = float(r["heel_cm"])
            for num in re.findall(r"(\d+(?:\.\d)?) cm", d):
                assert float(num) == h, r["description"]
            if "stiletto" in d:
                assert h >= 8.0
            if "kitten" in d:
                assert h <= 4.5
            if "flat sole" in d:
                assert h <= 2.0
        f = int(r["formality"])
        if "black-tie" in d or "evening" in d:
            assert f == 5, r["description"]
        if "office" in d or "boardroom" in d:
            assert f == 4, r["description"]
        if "weekend" in d:
            assert f <= 2, r["description"]
        if "gym" in d or "athleisure" in d or "workout" in d:
            assert f == 1, r["description"]
        if r["pattern"] == "plain":
            assert not re.search(r"striped|stripes|checked|floral|polka|spotted", d), r["description"]


def test_wording_varies(rows: list[dict[str, str]], gen: ModuleType,
                        by_kind: dict[str, list[dict[str, str]]]) -> None:
    syn = gen.KIND_SYNONYMS
    assert set(syn) == set(by_kind)
    for kind, items in by_kind.items():
        assert len(syn[kind]) >= 3, kind
        used = {s for s in syn[kind] if any(s.lower() in r["description"].lower() for r in items)}
        assert len(used) >= 3, (kind, used)
        # most descriptions do not share one opening
        openings = Counter(" ".join(r["description"].split()[:1]) for r in items)
        assert openings.most_common(1)[0][1] < 0.6 * len(items), kind
    # a walk must not succeed by string matching: many polos never say "polo shirt"
    polos = by_kind["polo shirt"]
    assert sum("polo shirt" not in r["description"].lower() for r in polos) > 0.4 * len(polos)
    heels = by_kind["heels"]
    assert sum("heels" not in r["description"].lower() for r in heels) > 0.3 * len(heels)
    assert len({r["description"] for r in rows}) > 0.95 * len(rows)


# ------------------------------------------------------------------ images


def test_sample_images(sample_dir: Path) -> None:
    rows = list(csv.DictReader(open(sample_dir / "items.csv", encoding="utf-8")))
    assert len(rows) == 12 * 25
    checked = 0
    for r in rows:
        a = _pixels((sample_dir / r["image"]).read_bytes())
        nw = _nonwhite(a)
        rgb = (int(r["color_r"]), int(r["color_g"]), int(r["color_b"]))
        # a silhouette on a mostly white background (a white item shows only its grey outline)
        assert (0.004 if rgb == (255, 255, 255) else 0.02) < nw.mean() < 0.6, r["id"]
        border = np.concatenate([nw[0], nw[-1], nw[:, 0], nw[:, -1]])
        assert border.mean() < 0.05, r["id"]
        if rgb == (255, 255, 255):
            continue  # fill == background: only the grey outline shows (checked above)
        px = a[nw].astype(np.int64)
        packed = (px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2]
        vals, counts = np.unique(packed, return_counts=True)
        v = int(vals[counts.argmax()])
        dom = (v >> 16, (v >> 8) & 255, v & 255)
        assert max(abs(int(x) - y) for x, y in zip(dom, rgb)) <= 3, (r["id"], dom, rgb)
        assert counts.max() > 0.3 * len(px)
        checked += 1
    assert checked > 250


def _height(gen: ModuleType, row: dict[str, str]) -> int:
    return int(_nonwhite(_pixels(gen.render_image(row))).any(axis=1).sum())


def test_longer_garments_are_taller(gen: ModuleType,
                                    by_kind: dict[str, list[dict[str, str]]]) -> None:
    for kind in ("skirt", "dress"):
        for fit in sorted({r["fit"] for r in by_kind[kind]}):
            firsts: dict[int, dict[str, str]] = {}
            for r in by_kind[kind]:
                if r["fit"] == fit:
                    firsts.setdefault(int(r["length"]), r)
            heights = [(n, _height(gen, firsts[n])) for n in sorted(firsts)]
            for (n1, h1), (n2, h2) in zip(heights, heights[1:]):
                assert h2 > h1 + 10, (kind, fit, heights)
    # one ordinal scale across shorts and trousers
    legs: dict[int, dict[str, str]] = {}
    for r in by_kind["shorts"] + by_kind["trousers"]:
        if r["fit"] in ("regular", "straight", "relaxed"):
            legs.setdefault(int(r["length"]), r)
    assert sorted(legs) == [1, 2, 3, 4, 5]
    hs = [_height(gen, legs[n]) for n in range(1, 6)]
    assert all(b > a + 10 for a, b in zip(hs, hs[1:])), hs


def _heel_band_height(gen: ModuleType, row: dict[str, str]) -> int:
    nw = _nonwhite(_pixels(gen.render_image(row)))
    return int(nw[:, 24:64].any(axis=1).sum())  # the column band holding the heel


def test_higher_heels_have_taller_heel_region(gen: ModuleType,
                                              by_kind: dict[str, list[dict[str, str]]]) -> None:
    heels = sorted(by_kind["heels"], key=lambda r: (float(r["heel_cm"]), r["id"]))
    picked = heels[:: max(1, len(heels) // 24)]
    measured = [(float(r["heel_cm"]), _heel_band_height(gen, r)) for r in picked]
    for (h1, b1), (h2, b2) in zip(measured, measured[1:]):
        if h2 - h1 >= 0.5:
            assert b2 > b1, measured
    # proportional: about 9 px per cm
    (h_lo, b_lo), (h_hi, b_hi) = measured[0], measured[-1]
    slope = (b_hi - b_lo) / (h_hi - h_lo)
    assert 7.0 < slope < 11.0, measured
    # sneakers of one style: thicker sole, taller silhouette
    low = sorted((r for r in by_kind["sneakers"] if r["name"].endswith("Low-Top Sneakers")),
                 key=lambda r: float(r["heel_cm"]))
    assert float(low[-1]["heel_cm"]) - float(low[0]["heel_cm"]) >= 1.0
    assert _height(gen, low[-1]) > _height(gen, low[0]) + 5
    # every high heel stands taller than every flat
    flats = by_kind["flats"]
    tallest_flat = max(_heel_band_height(gen, r) for r in flats[:40])
    assert all(b > tallest_flat for h, b in measured if h >= 6.0)


def test_sleeve_length_is_drawn(gen: ModuleType, by_kind: dict[str, list[dict[str, str]]]) -> None:
    # longer sleeves reach further down at the sides of the image
    for kind in ("t-shirt", "shirt", "dress"):
        firsts: dict[int, dict[str, str]] = {}
        for r in by_kind[kind]:
            if r["pattern"] == "plain" and r["fit"] in ("regular", "relaxed", "slim", "wrap", "shift"):
                firsts.setdefault(int(r["sleeve_length"]), r)
        lows = []
        for s in sorted(firsts):
            if s == 0:
                continue
            nw = _nonwhite(_pixels(gen.render_image(firsts[s])))
            side = nw[:, :50].any(axis=1)  # leftmost columns: only the sleeve reaches there
            lows.append((s, int(np.nonzero(side)[0].max()) if side.any() else 0))
        assert len(lows) >= 2, kind
        for (s1, y1), (s2, y2) in zip(lows, lows[1:]):
            assert y2 > y1 + 15, (kind, lows)
