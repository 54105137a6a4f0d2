"""A small catalog of another shop's shape, for the any-catalog tests: the columns of a real
fashion catalog (id, gender, masterCategory, subCategory, articleType, baseColour, season, year,
usage, productDisplayName), colour names only (no hex), the brand only as the product name's
first word(s), no prices. Seeded: the same rows every run; its columns are the ground truth."""

from __future__ import annotations

import csv
import random
from pathlib import Path

# articleType -> (masterCategory, subCategory, usages, genders, the noun a name uses)
ARTICLES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...], str]] = {
    "Tshirts": ("Apparel", "Topwear", ("Casual", "Sports"), ("Men", "Women"), "T-shirt"),
    "Shirts": ("Apparel", "Topwear", ("Casual", "Smart Casual", "Formal", "Party"), ("Men", "Women"), "Shirt"),
    "Kurtas": ("Apparel", "Topwear", ("Ethnic",), ("Men", "Women"), "Kurta"),
    "Jeans": ("Apparel", "Bottomwear", ("Casual",), ("Men", "Women"), "Jeans"),
    "Trousers": ("Apparel", "Bottomwear", ("Casual", "Smart Casual", "Formal"), ("Men", "Women"), "Trousers"),
    "Casual Shoes": ("Footwear", "Shoes", ("Casual",), ("Men", "Women"), "Casual Shoes"),
    "Sports Shoes": ("Footwear", "Shoes", ("Sports",), ("Men", "Women"), "Sports Shoes"),
    "Formal Shoes": ("Footwear", "Shoes", ("Formal",), ("Men",), "Formal Shoes"),
    "Heels": ("Footwear", "Shoes", ("Casual", "Party", "Formal"), ("Women",), "Heels"),
    "Flats": ("Footwear", "Shoes", ("Casual", "Ethnic"), ("Women",), "Flats"),
    "Sandals": ("Footwear", "Sandal", ("Casual",), ("Men", "Women"), "Sandals"),
    "Backpacks": ("Accessories", "Bags", ("Casual", "Travel"), ("Unisex", "Men", "Women"), "Backpack"),
    "Handbags": ("Accessories", "Bags", ("Casual", "Formal", "Party"), ("Women",), "Handbag"),
    "Wallets": ("Accessories", "Wallets", ("Casual", "Formal"), ("Men", "Women"), "Wallet"),
}
BRANDS: dict[str, tuple[str, ...]] = {
    "Puma": ("Tshirts", "Sports Shoes", "Casual Shoes", "Backpacks", "Wallets"),
    "Nike": ("Tshirts", "Sports Shoes", "Casual Shoes", "Backpacks"),
    "Adidas": ("Tshirts", "Sports Shoes", "Casual Shoes", "Backpacks", "Sandals"),
    "Peter England": ("Shirts", "Trousers", "Formal Shoes", "Wallets"),
    "Louis Philippe": ("Shirts", "Trousers", "Formal Shoes"),
    "United Colors of Benetton": ("Tshirts", "Shirts", "Jeans", "Backpacks", "Casual Shoes"),
    "Roadster": ("Tshirts", "Shirts", "Jeans", "Casual Shoes", "Trousers"),
    "Catwalk": ("Heels", "Flats", "Sandals", "Handbags", "Casual Shoes"),
    "Baggit": ("Handbags", "Wallets", "Backpacks"),
    "Fabindia": ("Kurtas", "Shirts", "Flats"),
    "Wildcraft": ("Backpacks", "Sports Shoes", "Sandals", "Tshirts"),
}
COLOURS = ("Navy Blue", "Charcoal", "Grey Melange", "Off White", "Mustard", "Teal", "Burgundy", "Olive",
           "Cream", "Maroon", "Black", "White", "Blue", "Grey", "Red", "Pink", "Beige", "Brown", "Green",
           "Multi")
SEASONS = ("Summer", "Winter", "Fall", "Spring")
COLUMNS = ("id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "year",
           "usage", "productDisplayName")


def rows(n: int = 420, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    brands = sorted(BRANDS)
    # every brand x article x colour family at least partly covered: brands cycle, the rest is drawn
    while len(out) < n:
        brand = brands[len(out) % len(brands)]
        article = rng.choice(BRANDS[brand])
        master, sub, usages, genders, noun = ARTICLES[article]
        gender, usage, colour = rng.choice(genders), rng.choice(usages), rng.choice(COLOURS)
        said_usage = f"{usage} " if usage not in noun and rng.random() < 0.5 else ""
        out.append({
            "id": str(10000 + len(out)), "gender": gender, "masterCategory": master, "subCategory": sub,
            "articleType": article, "baseColour": colour, "season": rng.choice(SEASONS),
            "year": str(rng.choice((2011, 2012, 2013, 2014, 2015))), "usage": usage,
            "productDisplayName": f"{brand} {gender} {said_usage}{colour} {noun}",
        })
    return out


def write_catalog(path: Path, n: int = 420, seed: int = 7) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows(n, seed))
    return path
