"""The sample catalog's rows: one seeded ``random.Random`` draws every item's ground truth, then a
name and a description that are true to it; ``rows_to_csv`` writes them."""

import csv
import io
import random
from dataclasses import dataclass
from typing import Callable, Sequence

from .colours import TONE_CARRYING_WORDS, Colour, colour_table
from .vocabulary import (
    BASE_FAMILY_WEIGHTS, DARK_TONE_MAX_L, DARK_TONE_WORDS, DRESS_LENGTH_ADJ, DRESS_LENGTH_FALL,
    DRESS_LENGTH_TITLE, FIT_ADJ, FIT_NOUN, FIT_SENTENCE, FORMALITY_NAMES, HUE_FAMILIES,
    KIND_COUNTS, KIND_FAMILY_FACTORS, KIND_PREFIX, KINDS, LEG_LENGTH_ADJ, LEG_LENGTH_NAMES,
    LEG_LENGTH_SENTENCE, LEG_LENGTH_TITLE, LENGTH_NAMES, LIGHT_TONE_MIN_L, LIGHT_TONE_WORDS,
    OCCASION, PATTERN_ADJ, PATTERN_SENTENCE, SLEEVE_ADJ, SLEEVE_NAMES, SLEEVE_NP, SLEEVE_TITLE,
    STYLES, Style, Weights, capitalise, format_cm, title_case, with_article,
)


DEFAULT_SEED = 20221

CSV_COLUMNS: list[str] = [
    "id", "name", "description", "kind", "color_name", "color_hex", "color_r", "color_g",
    "color_b", "lightness", "hue_family", "length", "length_name", "sleeve_length",
    "sleeve_name", "heel_cm", "formality", "formality_name", "fit", "material", "pattern",
    "price", "image",
]


def _pick(rng: random.Random, weights: Weights) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys], k=1)[0]


class _ColourSampler:
    """Hue family first (weighted per kind), then a colour from a lightness tercile of the family,
    cycling through terciles per (kind, family) so every kind spans each family's lightness range."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        by_family: dict[str, list[Colour]] = {f: [] for f in HUE_FAMILIES}
        for c in colour_table():
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
        factors = KIND_FAMILY_FACTORS.get(kind, {})
        fams = [f for f in HUE_FAMILIES if f in self.terciles]
        weights = [BASE_FAMILY_WEIGHTS[f] * factors.get(f, 1.0) for f in fams]
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
    if any(w in TONE_CARRYING_WORDS for w in c.name.split()):
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
    fit_adj = rng.choice(FIT_ADJ[it.fit])
    fit_noun = rng.choice(FIT_NOUN.get(it.fit, (it.fit,)))
    fit_sent = rng.choice(FIT_SENTENCE[it.fit])
    pat_adj = rng.choice(PATTERN_ADJ[it.pattern])
    pat_sent = rng.choice(PATTERN_SENTENCE[it.pattern])
    fit_or_pat = pat_sent or fit_sent  # keeps descriptions to at most three sentences
    occ = rng.choice(OCCASION[it.formality])
    detail = rng.choice(st.details) if st.details else "clean lines"
    kind = it.kind

    # ---- name
    parts = [title_case(c.name)]
    if it.pattern != "plain":
        parts.append(title_case(it.pattern.replace("polka-dot", "Polka-Dot")))
    if kind in ("dress", "skirt") and it.length is not None:
        parts.append(DRESS_LENGTH_TITLE[it.length])
    elif kind in ("trousers", "shorts") and it.length is not None and LEG_LENGTH_TITLE[it.length]:
        parts.append(LEG_LENGTH_TITLE[it.length])
    if it.heel is not None and kind == "heels":
        parts.append(f"{format_cm(it.heel)} cm")
    if it.sleeve is not None and kind in ("polo shirt", "shirt", "dress", "t-shirt"):
        default = max(st.sleeves, key=lambda k: (st.sleeves[k], -k)) if st.sleeves else None  # type: ignore[union-attr]
        if it.sleeve != default and st.sleeves and len(st.sleeves) > 1:
            parts.append(SLEEVE_TITLE[it.sleeve])
    if it.fit in ("slim", "relaxed", "regular") and kind in ("polo shirt", "shirt", "t-shirt",
                                                            "trousers", "jacket") and rng.random() < 0.6:
        parts.append({"slim": "Slim-Fit", "relaxed": "Relaxed-Fit", "regular": "Regular-Fit"}[it.fit])
    elif it.fit in ("wide-leg", "tapered", "straight", "oversized", "bodycon") and it.fit.lower() not in st.title.lower():
        parts.append(title_case(FIT_ADJ[it.fit][0]))
    if rng.random() < 0.4 and not any(w in st.title.lower() for w in mat.lower().split()):
        parts.append(title_case(mat))
    parts.append(st.title)
    name = " ".join(p for p in parts if p)

    # ---- description
    A = with_article
    if kind in ("polo shirt", "t-shirt", "shirt"):
        sl = it.sleeve if it.sleeve is not None else 1
        sleeve_np = rng.choice(SLEEVE_NP[sl])
        sleeve_adj = rng.choice(SLEEVE_ADJ[sl])
        templates: list[Callable[[], str]] = [
            lambda: f"{capitalise(A(col))} {pat_adj}{noun} in {mat}, with {sleeve_np} and {A(fit_noun)} cut. {capitalise(occ)}.",
            lambda: f"Our {fit_adj} {pat_adj}{noun} comes in {col}. Made from {mat} with {detail}; {occ}.",
            lambda: f"{capitalise(col)} {mat} {noun} with {sleeve_np}. {fit_or_pat} {capitalise(occ)}.",
            lambda: f"{capitalise(A(sleeve_adj))} {pat_adj}{noun} cut from {mat} in {col}. {fit_sent} Finished with {detail}.",
            lambda: f"This {col} {noun} is {occ}. {capitalise(sleeve_np)}, {detail} and {A(fit_noun)} fit, in {mat}. {pat_sent}",
        ]
    elif kind == "dress":
        sl = it.sleeve if it.sleeve is not None else 1
        sleeve_np = rng.choice(SLEEVE_NP[sl])
        ln = rng.choice(DRESS_LENGTH_ADJ[it.length or 3])
        fall = rng.choice(DRESS_LENGTH_FALL[it.length or 3])
        templates = [
            lambda: f"{capitalise(A(ln))} {pat_adj}{noun} in {col} {mat}, with {sleeve_np} and {detail}. {capitalise(occ)}.",
            lambda: f"This {col} {noun} falls to {fall}. {fit_sent} {capitalise(sleeve_np)}, {mat}; {occ}.",
            lambda: f"{capitalise(col)} {ln} {noun} cut from {mat}. {fit_or_pat} {capitalise(occ)}.",
            lambda: f"Meet your new {ln} {noun}: {mat} in {col}, {detail}, {sleeve_np}. {capitalise(occ)}.",
        ]
    elif kind == "skirt":
        ln = rng.choice(DRESS_LENGTH_ADJ[it.length or 3])
        fall = rng.choice(DRESS_LENGTH_FALL[it.length or 3])
        templates = [
            lambda: f"{capitalise(A(ln))} {pat_adj}{noun} in {col} {mat} with {detail}. {capitalise(occ)}.",
            lambda: f"A {fit_adj} {noun} in {col}, falling to {fall}. Made in {mat}; {occ}.",
            lambda: f"{capitalise(col)} {ln} {noun}. {fit_or_pat} Cut from {mat} with {detail}.",
            lambda: f"This {mat} {noun} in {col} hits {fall}. {capitalise(occ)}.",
        ]
    elif kind in ("trousers", "shorts"):
        ln = rng.choice(LEG_LENGTH_ADJ[it.length or 5])
        ls = rng.choice(LEG_LENGTH_SENTENCE[it.length or 5])
        fit_pre = "" if fit_adj.split("-")[0].lower() in noun.lower() else f"{fit_adj} "
        fit_sent = fit_sent.replace("through the body", "through the leg")
        templates = [
            lambda: f"{capitalise(ln)} {fit_adj} {pat_adj}{noun} in {col} {mat}. {capitalise(occ)}, with {detail}.",
            lambda: f"These {col} {fit_pre}{noun} are cut from {mat}. {ls} {capitalise(occ)}.",
            lambda: f"A pair of {ln} {noun} in {col}, made from {mat} with {detail}. {fit_sent}",
            lambda: f"{capitalise(col)} {pat_adj}{noun}, {fit_adj} and {ln}. {capitalise(occ)}.",
        ]
    elif kind in ("heels", "flats", "sneakers"):
        h = it.heel or 0.0
        hs = format_cm(h)
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
            lambda: f"{capitalise(col)} {mat} {pat_adj}{noun} on {A(heel)}. {capitalise(occ)}.",
            lambda: f"A pair of {noun} in {col} {mat}, with {detail} and {A(heel)}. {capitalise(occ)}.",
            lambda: f"These {col} {noun} sit on {A(heel)}. Crafted from {mat} with {detail}; {occ}.",
            lambda: f"{capitalise(noun)} in {col}: {mat}, {detail}, {heel}. {fit_sent} {capitalise(occ)}.",
        ]
    else:  # jacket, coat
        sl = it.sleeve if it.sleeve is not None else 3
        sleeve_np = rng.choice(SLEEVE_NP[sl])
        templates = [
            lambda: f"{capitalise(A(col))} {pat_adj}{noun} in {mat} with {detail}. {fit_sent} {capitalise(occ)}.",
            lambda: f"Our {fit_adj} {noun} comes in {col} {mat}, with {sleeve_np} and {detail}. {capitalise(occ)}.",
            lambda: f"This {mat} {noun} in {col} is {occ}. {fit_or_pat}",
            lambda: f"{capitalise(col)} {noun}, {fit_adj}, with {sleeve_np}. Made from {mat}; {occ}.",
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
