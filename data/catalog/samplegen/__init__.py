"""The sample catalog generator, by concern: ``vocabulary`` (kinds, styles, phrases), ``colours``
(the XKCD colour table with measured ground truth), ``rows`` (the seeded items, names and
descriptions, the CSV), ``render`` (the images) and ``output`` (writing a catalog folder).
``data/catalog/generate.py`` is the command; its docstring documents the columns."""

from .colours import Colour, colour_table, colour_vocabulary, hue_family, rgb_to_lab
from .output import write_catalog
from .render import IMAGE_SIZE, render_image
from .rows import CSV_COLUMNS, DEFAULT_SEED, generate, limit_rows, rows_to_csv
from .vocabulary import KIND_SYNONYMS, KINDS, STYLES

__all__ = [
    "CSV_COLUMNS", "Colour", "DEFAULT_SEED", "IMAGE_SIZE", "KINDS", "KIND_SYNONYMS", "STYLES",
    "colour_table", "colour_vocabulary", "generate", "hue_family", "limit_rows", "render_image",
    "rgb_to_lab", "rows_to_csv", "write_catalog",
]
