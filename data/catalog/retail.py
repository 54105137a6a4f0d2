"""Generate the second test catalog: a retail fashion catalog shaped unlike the sample.

Usage::

    python data/catalog/retail.py --out data/catalog/retail [--seed 4417] [--items 6000]

Writes ``<out>/items.csv`` with the columns of a large marketplace catalog: ``id`` (integers),
``gender`` (Men / Women / Boys / Girls / Unisex), ``masterCategory`` (Apparel / Footwear /
Accessories), ``subCategory`` (Topwear, Bottomwear, Shoes, Bags, Watches, ...), ``articleType``
(Tshirts, Casual Shoes, Kurtas, Handbags, ...), ``baseColour`` (retail colour names only: "Navy
Blue", "Grey Melange", "Off White", "Mustard"; no hex codes), ``season``, ``year``, ``usage``
(Casual / Formal / Sports / Ethnic / Smart Casual / Party / Travel) and ``productDisplayName``,
which starts with the brand ("Stridex Men Black Running Sports Shoes"). There is no brand column,
no price and no image: a shop's catalog that gives the assistant only names and short columns.

No real catalog of this shape with a licence that allows redistribution is available offline (none
on PyPI or npm), so this one is invented: brands, names and proportions are made up, but the
correlations a shopper relies on are there (sports shoes are mostly Sports, kurtas and sarees
Ethnic, formal shoes Formal and black or brown, jeans blue; each brand sells a few kinds, and a
formal brand's shirts are mostly Formal while a denim brand's are Casual). The ground truth is the
columns themselves. Deterministic: one seeded ``random.Random``; the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

DEFAULT_SEED = 4417
DEFAULT_ITEMS = 6000
CSV_COLUMNS: list[str] = ["id", "gender", "masterCategory", "subCategory", "articleType",
                          "baseColour", "season", "year", "usage", "productDisplayName"]

Weights = dict  # {value: weight}

#: Colour names a retail catalog prints, with how often each appears overall.
BASE_COLOURS: Weights = {
    "Black": 14, "White": 8, "Blue": 10, "Navy Blue": 8, "Grey": 6, "Grey Melange": 3,
    "Charcoal": 3, "Red": 5, "Pink": 4, "Green": 4, "Olive": 2, "Brown": 5, "Coffee Brown": 1.5,
    "Beige": 3, "Cream": 2, "Off White": 2, "Maroon": 3, "Burgundy": 1.5, "Purple": 2,
    "Lavender": 1, "Magenta": 1, "Yellow": 2, "Mustard": 1.5, "Orange": 1.5, "Peach": 1.5,
    "Rust": 1, "Teal": 1.5, "Sea Green": 1, "Turquoise Blue": 1, "Khaki": 1.5,
}
_EARTHY: Weights = {"Black": 10, "Brown": 8, "Coffee Brown": 3, "Tan": 3, "Burgundy": 1.5,
                    "Navy Blue": 1, "Grey": 1}
_METAL: Weights = {"Black": 6, "Silver": 5, "Gold": 3, "Brown": 3, "White": 2, "Blue": 2,
                   "Navy Blue": 1, "Rose Gold": 1.5}
_BRIGHT: Weights = {"Red": 5, "Maroon": 4, "Pink": 4, "Magenta": 3, "Mustard": 3, "Yellow": 2,
                    "Green": 3, "Sea Green": 2, "Teal": 2, "Turquoise Blue": 2, "Blue": 3,
                    "Navy Blue": 2, "Purple": 2, "Orange": 2, "Peach": 2, "Cream": 2,
                    "Off White": 2, "Gold": 1, "Black": 1.5, "Rust": 1.5}
_DENIM: Weights = {"Blue": 10, "Navy Blue": 5, "Black": 4, "Grey": 2, "Charcoal": 1}
_BAG: Weights = {"Black": 10, "Brown": 5, "Tan": 3, "Navy Blue": 3, "Grey": 3, "Beige": 2,
                 "Red": 2, "Pink": 2, "Maroon": 1.5, "Blue": 2, "Olive": 1.5, "Cream": 1}


@dataclass(frozen=True)
class ArticleType:
    """One kind of product: where it sits in the catalog's tree and what it is usually like."""

    name: str
    master: str
    sub: str
    count: float  # relative number of items
    genders: Weights
    usages: Weights
    nouns: Weights  # how names end ("Running Sports Shoes", "Sneakers")
    colours: Weights | None = None  # None: BASE_COLOURS
    seasons: Weights | None = None


_G_ADULT = {"Men": 5, "Women": 4}
_ALL_SEASONS = {"Summer": 4, "Fall": 3, "Winter": 2, "Spring": 2}
_COLD = {"Winter": 5, "Fall": 4}
_WARM = {"Summer": 6, "Spring": 3}

ARTICLE_TYPES: list[ArticleType] = [
    ArticleType("Tshirts", "Apparel", "Topwear", 14, {"Men": 6, "Women": 3, "Boys": 1.2, "Girls": 0.8},
                {"Casual": 8, "Sports": 2.5}, {"T-shirt": 5, "Polo T-shirt": 2, "Printed T-shirt": 2,
                                               "Round Neck T-shirt": 1.5, "Henley T-shirt": 1}),
    ArticleType("Shirts", "Apparel", "Topwear", 11, {"Men": 7, "Women": 2, "Boys": 0.6},
                {"Casual": 5, "Formal": 4, "Smart Casual": 1.5, "Party": 0.5},
                {"Shirt": 5, "Checked Shirt": 2, "Striped Shirt": 2, "Slim Fit Shirt": 1.5,
                 "Oxford Shirt": 1, "Linen Shirt": 1}),
    ArticleType("Tops", "Apparel", "Topwear", 7, {"Women": 6, "Girls": 1}, {"Casual": 7, "Party": 2},
                {"Top": 5, "Peplum Top": 1, "Crop Top": 1.5, "Wrap Top": 1, "Printed Top": 2}),
    ArticleType("Kurtas", "Apparel", "Topwear", 6, {"Women": 5, "Men": 2.5},
                {"Ethnic": 10, "Party": 0.5}, {"Kurta": 5, "Printed Kurta": 2, "Straight Kurta": 2,
                                               "Anarkali Kurta": 1}, _BRIGHT),
    ArticleType("Sweatshirts", "Apparel", "Topwear", 3, {"Men": 4, "Women": 3, "Boys": 0.5},
                {"Casual": 6, "Sports": 2}, {"Sweatshirt": 4, "Hooded Sweatshirt": 2}, seasons=_COLD),
    ArticleType("Jackets", "Apparel", "Topwear", 3, _G_ADULT, {"Casual": 5, "Sports": 1.5, "Travel": 1},
                {"Jacket": 3, "Bomber Jacket": 1.5, "Denim Jacket": 1, "Puffer Jacket": 1.5,
                 "Windcheater": 1}, seasons=_COLD),
    ArticleType("Blazers", "Apparel", "Topwear", 1.5, {"Men": 5, "Women": 1},
                {"Formal": 6, "Party": 2, "Smart Casual": 2}, {"Blazer": 4, "Slim Fit Blazer": 2},
                {"Navy Blue": 5, "Black": 5, "Charcoal": 4, "Grey": 3, "Beige": 1.5, "Maroon": 1,
                 "Burgundy": 1}),
    ArticleType("Sweaters", "Apparel", "Topwear", 2, _G_ADULT, {"Casual": 8, "Smart Casual": 2},
                {"Sweater": 4, "V-Neck Sweater": 2, "Cardigan": 1.5}, seasons=_COLD),
    ArticleType("Jeans", "Apparel", "Bottomwear", 7, {"Men": 5, "Women": 3.5, "Boys": 0.5},
                {"Casual": 10}, {"Jeans": 4, "Slim Fit Jeans": 3, "Skinny Fit Jeans": 2,
                                 "Straight Fit Jeans": 1.5}, _DENIM),
    ArticleType("Trousers", "Apparel", "Bottomwear", 5, _G_ADULT,
                {"Formal": 5, "Casual": 3, "Smart Casual": 2},
                {"Trousers": 4, "Chinos": 2, "Formal Trousers": 2, "Slim Fit Trousers": 1.5},
                {"Black": 6, "Navy Blue": 5, "Charcoal": 4, "Grey": 4, "Beige": 4, "Khaki": 3,
                 "Olive": 2, "Brown": 1.5, "Cream": 1}),
    ArticleType("Shorts", "Apparel", "Bottomwear", 4, {"Men": 5, "Women": 2, "Boys": 1.5, "Girls": 0.5},
                {"Casual": 6, "Sports": 3}, {"Shorts": 4, "Denim Shorts": 1.5, "Running Shorts": 1.5},
                seasons=_WARM),
    ArticleType("Track Pants", "Apparel", "Bottomwear", 3, {"Men": 5, "Women": 2.5, "Boys": 0.5},
                {"Sports": 7, "Casual": 2}, {"Track Pants": 4, "Joggers": 2}),
    ArticleType("Skirts", "Apparel", "Bottomwear", 2, {"Women": 6, "Girls": 1}, {"Casual": 6, "Party": 2},
                {"Skirt": 3, "A-Line Skirt": 2, "Pleated Skirt": 1.5, "Pencil Skirt": 1}),
    ArticleType("Dresses", "Apparel", "Dress", 5, {"Women": 6, "Girls": 1.5}, {"Casual": 5, "Party": 4},
                {"Dress": 4, "Maxi Dress": 2, "Shift Dress": 1.5, "Fit and Flare Dress": 1.5,
                 "Bodycon Dress": 1}),
    ArticleType("Sarees", "Apparel", "Saree", 3, {"Women": 1}, {"Ethnic": 10, "Party": 1},
                {"Saree": 4, "Printed Saree": 2, "Silk Saree": 2, "Embroidered Saree": 1}, _BRIGHT),
    ArticleType("Casual Shoes", "Footwear", "Shoes", 9, {"Men": 6, "Women": 3, "Boys": 0.7, "Girls": 0.3},
                {"Casual": 10}, {"Casual Shoes": 4, "Sneakers": 4, "Loafers": 2, "Slip-On Sneakers": 1.5,
                                 "Boat Shoes": 1}),
    ArticleType("Sports Shoes", "Footwear", "Shoes", 8, {"Men": 6, "Women": 3, "Boys": 0.6},
                {"Sports": 10, "Casual": 1}, {"Running Shoes": 4, "Running Sports Shoes": 3,
                                               "Training Shoes": 2, "Walking Shoes": 1.5}),
    ArticleType("Formal Shoes", "Footwear", "Shoes", 4, {"Men": 8, "Women": 0.5}, {"Formal": 10},
                {"Formal Shoes": 4, "Derby Shoes": 2, "Oxford Shoes": 2, "Monk Strap Shoes": 1}, _EARTHY),
    ArticleType("Heels", "Footwear", "Shoes", 5, {"Women": 1}, {"Casual": 4, "Party": 3, "Formal": 2},
                {"Heels": 4, "Stilettos": 2, "Block Heels": 2, "Wedges": 1.5, "Pumps": 1}),
    ArticleType("Flats", "Footwear", "Shoes", 4, {"Women": 6, "Girls": 1}, {"Casual": 7, "Ethnic": 2},
                {"Flats": 4, "Ballerinas": 2, "Mojaris": 1}),
    ArticleType("Sandals", "Footwear", "Sandal", 3, {"Men": 4, "Women": 3, "Boys": 0.5},
                {"Casual": 8, "Ethnic": 1}, {"Sandals": 4, "Floaters": 1.5}, _EARTHY),
    ArticleType("Flip Flops", "Footwear", "Flip Flops", 3, {"Men": 4, "Women": 3, "Unisex": 1},
                {"Casual": 10}, {"Flip Flops": 4, "Slides": 2}, seasons=_WARM),
    ArticleType("Watches", "Accessories", "Watches", 7, {"Men": 6, "Women": 4, "Unisex": 1},
                {"Casual": 5, "Formal": 3, "Sports": 2}, {"Analog Watch": 5, "Chronograph Watch": 2,
                                                         "Digital Watch": 1.5, "Smart Watch": 1}, _METAL),
    ArticleType("Backpacks", "Accessories", "Bags", 4, {"Unisex": 5, "Men": 2, "Women": 1.5},
                {"Casual": 6, "Travel": 3, "Sports": 1}, {"Backpack": 5, "Laptop Backpack": 2}, _BAG),
    ArticleType("Handbags", "Accessories", "Bags", 5, {"Women": 1}, {"Casual": 5, "Party": 2, "Formal": 2},
                {"Handbag": 4, "Tote Bag": 2, "Sling Bag": 2, "Shoulder Bag": 2}, _BAG),
    ArticleType("Clutches", "Accessories", "Bags", 1.5, {"Women": 1}, {"Party": 6, "Ethnic": 3},
                {"Clutch": 4, "Embellished Clutch": 1.5}, _BRIGHT),
    ArticleType("Duffel Bag", "Accessories", "Bags", 1.5, {"Unisex": 4, "Men": 2}, {"Travel": 6, "Sports": 4},
                {"Duffel Bag": 4, "Gym Bag": 2}, _BAG),
    ArticleType("Wallets", "Accessories", "Wallets", 4, {"Men": 6, "Women": 3},
                {"Casual": 6, "Formal": 3}, {"Wallet": 4, "Leather Wallet": 2, "Card Holder": 1}, _BAG),
    ArticleType("Belts", "Accessories", "Belts", 2.5, {"Men": 6, "Women": 1.5},
                {"Casual": 5, "Formal": 5}, {"Belt": 4, "Leather Belt": 2, "Reversible Belt": 1}, _EARTHY),
    ArticleType("Sunglasses", "Accessories", "Eyewear", 2.5, {"Men": 4, "Women": 3, "Unisex": 2},
                {"Casual": 8, "Sports": 1}, {"Sunglasses": 4, "Aviator Sunglasses": 2,
                                             "Wayfarer Sunglasses": 2}, {"Black": 8, "Brown": 3,
                                                                         "Gold": 2, "Silver": 2, "Blue": 1}),
    ArticleType("Caps", "Accessories", "Headwear", 1.5, {"Men": 4, "Unisex": 3, "Women": 1},
                {"Casual": 6, "Sports": 4}, {"Cap": 4, "Baseball Cap": 2}),
    ArticleType("Ties", "Accessories", "Ties", 1.5, {"Men": 1}, {"Formal": 9, "Party": 1},
                {"Tie": 4, "Silk Tie": 2, "Striped Tie": 1.5},
                {"Navy Blue": 5, "Maroon": 3, "Black": 3, "Blue": 3, "Burgundy": 2, "Grey": 2,
                 "Silver": 1, "Red": 2, "Purple": 1}),
]


@dataclass(frozen=True)
class Brand:
    """An invented brand: the article types it sells (with weights) and how it shifts usage."""

    name: str
    types: Weights
    usage_bias: Weights | None = None  # multiplies the type's usage weights


_SPORT = {"Sports": 4.0, "Casual": 0.6, "Formal": 0.0, "Ethnic": 0.0, "Party": 0.2}
_SMART = {"Formal": 3.0, "Smart Casual": 2.0, "Casual": 0.4, "Sports": 0.0}
_EASY = {"Casual": 2.0, "Formal": 0.3, "Sports": 0.4}

BRANDS: list[Brand] = [
    Brand("Stridex", {"Sports Shoes": 6, "Track Pants": 3, "Tshirts": 3, "Shorts": 2, "Caps": 1,
                      "Duffel Bag": 1, "Sweatshirts": 1, "Flip Flops": 1, "Backpacks": 1}, _SPORT),
    Brand("Kinetiq", {"Sports Shoes": 5, "Tshirts": 2, "Track Pants": 2, "Jackets": 1,
                      "Watches": 1, "Shorts": 1}, _SPORT),
    Brand("Aerofleet", {"Sports Shoes": 4, "Casual Shoes": 2, "Caps": 1, "Backpacks": 1, "Tshirts": 1},
          _SPORT),
    Brand("Carrington", {"Shirts": 5, "Trousers": 4, "Blazers": 2, "Ties": 2, "Formal Shoes": 2,
                         "Belts": 2, "Wallets": 1}, _SMART),
    Brand("Ashford", {"Formal Shoes": 5, "Belts": 2, "Wallets": 2, "Casual Shoes": 1}, _SMART),
    Brand("Hollins Row", {"Shirts": 5, "Trousers": 3, "Blazers": 1, "Ties": 1}, _SMART),
    Brand("Denimory", {"Jeans": 6, "Shirts": 3, "Tshirts": 2, "Jackets": 1, "Shorts": 1}, _EASY),
    Brand("Urban Loom", {"Tshirts": 4, "Shirts": 3, "Tops": 2, "Jeans": 2, "Sweatshirts": 2,
                         "Casual Shoes": 1, "Dresses": 1}, _EASY),
    Brand("Northpeak", {"Jackets": 4, "Sweatshirts": 2, "Backpacks": 3, "Duffel Bag": 1,
                        "Casual Shoes": 1, "Sweaters": 2}),
    Brand("Bluewell", {"Tshirts": 3, "Shorts": 2, "Casual Shoes": 2, "Flip Flops": 2, "Sandals": 1}),
    Brand("Rangmanch", {"Kurtas": 6, "Sarees": 3, "Flats": 1, "Clutches": 1}),
    Brand("Saanjh", {"Kurtas": 5, "Sarees": 4}),
    Brand("Virasat", {"Kurtas": 4, "Sandals": 1, "Flats": 1}),
    Brand("Solemate", {"Casual Shoes": 4, "Sandals": 3, "Flip Flops": 2, "Flats": 2, "Heels": 1}),
    Brand("Heelora", {"Heels": 6, "Flats": 3, "Clutches": 2, "Handbags": 2}),
    Brand("Tickwell", {"Watches": 1}),
    Brand("Chronex", {"Watches": 5, "Sunglasses": 1, "Wallets": 1}),
    Brand("Carryall", {"Backpacks": 4, "Duffel Bag": 2, "Wallets": 2, "Handbags": 1}),
    Brand("Lunette", {"Sunglasses": 5, "Watches": 1}),
    Brand("Mira Rose", {"Tops": 4, "Dresses": 4, "Skirts": 2, "Handbags": 2, "Heels": 1}),
    Brand("Femmora", {"Tops": 3, "Dresses": 3, "Kurtas": 1, "Handbags": 2, "Flats": 1}),
    Brand("Tiny Tribe", {"Tshirts": 3, "Shorts": 2, "Dresses": 1, "Casual Shoes": 1, "Jeans": 1}),
    Brand("Basix", {"Tshirts": 3, "Shirts": 2, "Trousers": 2, "Belts": 1, "Wallets": 1, "Sweaters": 1}),
    Brand("Highway Co", {"Jeans": 2, "Tshirts": 2, "Casual Shoes": 2, "Jackets": 1, "Backpacks": 1,
                         "Sunglasses": 1, "Caps": 1}),
]
_KIDS_BRANDS = {"Tiny Tribe", "Stridex", "Denimory", "Basix", "Bluewell", "Highway Co", "Mira Rose"}

#: Pattern and fabric words a name may carry between the colour and the noun.
_DESCRIPTORS: dict[str, Weights] = {
    "Apparel": {"": 8, "Solid": 2, "Printed": 1.5, "Striped": 1},
    "Footwear": {"": 9, "Solid": 1, "Textured": 0.7},
    "Accessories": {"": 10, "Textured": 0.6},
}
#: Nouns that already say the pattern or fabric: no descriptor in front of them.
_PATTERNED = {"Printed", "Checked", "Striped", "Embroidered", "Embellished", "Silk", "Linen",
              "Leather", "Denim", "Pleated"}
_SEASON_YEARS: Weights = {2011: 3, 2012: 5, 2013: 4, 2014: 3, 2015: 3, 2016: 4, 2017: 4, 2018: 2}


def _pick(rng: random.Random, weights: Weights) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys], k=1)[0]


def _brands_for(at: ArticleType, gender: str) -> Weights:
    kids = gender in ("Boys", "Girls")
    return {b.name: b.types[at.name] for b in BRANDS
            if at.name in b.types and (not kids or b.name in _KIDS_BRANDS)} or \
        {b.name: b.types[at.name] for b in BRANDS if at.name in b.types}


def _usage(rng: random.Random, at: ArticleType, brand: Brand) -> str:
    bias = brand.usage_bias or {}
    weights = {u: w * bias.get(u, 1.0) for u, w in at.usages.items()}
    if not any(weights.values()):
        weights = dict(at.usages)
    return str(_pick(rng, weights))


def _noun(rng: random.Random, at: ArticleType, usage: str) -> str:
    nouns = dict(at.nouns)
    if usage != "Sports":  # "Running Shorts" only for sports items
        nouns = {n: w for n, w in nouns.items() if not n.startswith(("Running", "Training", "Gym"))} or nouns
    if usage != "Formal":
        nouns = {n: w for n, w in nouns.items() if not n.startswith("Formal")} or nouns
    return str(_pick(rng, nouns))


def generate(seed: int = DEFAULT_SEED, items: int = DEFAULT_ITEMS) -> list[dict[str, str]]:
    """The catalog rows (every value a string, columns as in ``CSV_COLUMNS``), in shop order."""
    rng = random.Random(seed)
    brands = {b.name: b for b in BRANDS}
    ids = rng.sample(range(1000, 60000), items)
    rows: list[dict[str, str]] = []
    type_weights = {at.name: at.count for at in ARTICLE_TYPES}
    by_name = {at.name: at for at in ARTICLE_TYPES}
    for item_id in ids:
        at = by_name[str(_pick(rng, type_weights))]
        gender = str(_pick(rng, at.genders))
        brand = brands[str(_pick(rng, _brands_for(at, gender)))]
        usage = _usage(rng, at, brand)
        colour = str(_pick(rng, at.colours or BASE_COLOURS))
        noun = _noun(rng, at, usage)
        descriptor = str(_pick(rng, _DESCRIPTORS[at.master]))
        if noun.split()[0] in _PATTERNED:
            descriptor = ""
        name = " ".join(w for w in (brand.name, gender, colour, descriptor, noun) if w)
        rows.append({
            "id": str(item_id), "gender": gender, "masterCategory": at.master, "subCategory": at.sub,
            "articleType": at.name, "baseColour": colour,
            "season": str(_pick(rng, at.seasons or _ALL_SEASONS)),
            "year": str(_pick(rng, _SEASON_YEARS)), "usage": usage, "productDisplayName": name,
        })
    return rows


def brand_of(row: dict[str, str]) -> str:
    """The brand an item's name starts with (ground truth for benchmarks: the generator's list)."""
    name = row["productDisplayName"]
    return next(b.name for b in sorted(BRANDS, key=lambda b: -len(b.name))
                if name == b.name or name.startswith(b.name + " "))


def rows_to_csv(rows: Sequence[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_catalog(out: str | Path, seed: int = DEFAULT_SEED, items: int = DEFAULT_ITEMS) -> list[dict[str, str]]:
    """Generate the catalog and write ``<out>/items.csv`` atomically; returns the rows."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = generate(seed, items)
    fd, tmp = tempfile.mkstemp(prefix=".items.csv.", suffix=".tmp", dir=out)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(rows_to_csv(rows))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / "items.csv")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Generate the retail-shaped test catalog (CSV only).")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "retail"),
                   help="output folder (default: data/catalog/retail)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="number of products")
    a = p.parse_args(argv)
    if a.items < 1 or a.items > 59000:
        p.error(f"--items must be between 1 and 59000, got {a.items}")
    t0 = time.perf_counter()
    rows = write_catalog(a.out, a.seed, a.items)
    kinds = len({r["articleType"] for r in rows})
    print(f"wrote {len(rows)} products ({kinds} article types) to {a.out} in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
