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

The code lives in the ``samplegen`` package beside this script, split by concern (vocabulary,
colours, rows, render, output). This module is importable without side effects (``importlib`` by
path): it re-exports ``KIND_SYNONYMS``, ``colour_vocabulary()``, ``colour_table()``,
``generate(seed)``, ``render_image(row)`` and ``write_catalog(out, ...)``.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

# data/catalog is not a package: put it on the path so that `samplegen` imports whether this file
# runs as a script or is loaded by path (tests, scripts/make_lookups.py).
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from samplegen import (  # noqa: E402
    CSV_COLUMNS, DEFAULT_SEED, IMAGE_SIZE, KIND_SYNONYMS, KINDS, STYLES, Colour, colour_table,
    colour_vocabulary, generate, hue_family, limit_rows, render_image, rgb_to_lab, rows_to_csv,
    write_catalog,
)

__all__ = [
    "CSV_COLUMNS", "Colour", "DEFAULT_SEED", "IMAGE_SIZE", "KINDS", "KIND_SYNONYMS", "STYLES",
    "colour_table", "colour_vocabulary", "generate", "hue_family", "limit_rows", "main",
    "render_image", "rgb_to_lab", "rows_to_csv", "write_catalog",
]


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
