"""Catalog -> encoder -> index folder, doing nothing when the folder is already up to date."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .catalog import Catalog, CatalogSpec, load_catalog
from .colour import image_swatch
from .encoders import Encoder, get_encoder
from .schema import _BRAND_WORDS, _COLOUR_COLUMN_WORDS, brand_matcher, column_words, infer_kind_column, infer_schema, learn_brands
from .index import IndexConfig, catalog_fingerprint, image_fingerprint, read_manifest, write_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexReport:
    out_dir: Path
    rebuilt: bool  # False: the folder was already up to date and nothing was done
    items: int
    skipped: dict[str, list[int]]  # reason -> line numbers (lenient loads only)
    seconds: float
    items_per_second: float | None


def index_catalog(
    catalog_path: str | Path,
    out_dir: str | Path,
    spec: CatalogSpec | None = None,
    encoder: str = "minilm",
    model: str | None = None,
    index_config: IndexConfig | None = None,
    force: bool = False,
    encoder_instance: Encoder | None = None,
) -> IndexReport:
    started = time.perf_counter()
    spec = spec or CatalogSpec()
    index_config = index_config or IndexConfig()
    catalog = load_catalog(catalog_path, spec)
    if spec.category_column is None:
        kind = infer_kind_column(catalog.items, catalog.columns, exclude=[
            spec.id_column, spec.image_column, spec.name_column, *catalog.text_columns], source=str(catalog_path))
        if kind is not None:  # loaded again with it: the kind is every item's category
            spec = dataclasses.replace(spec, category_column=kind)
            catalog = load_catalog(catalog_path, spec)
    columns, brand_column = list(catalog.columns), spec.brand_column
    derived = False
    if brand_column is None and not any(set(column_words(c)) & _BRAND_WORDS for c in columns):
        derived_column = _derive_brands(catalog, spec)
        if derived_column is not None:
            columns.append(derived_column)
            brand_column, derived = derived_column, True
    if (spec.swatch_column is None and spec.image_column is not None
            and not any(set(column_words(c)) & _COLOUR_COLUMN_WORDS for c in columns)):
        derived_swatch = _image_swatches(catalog, spec)
        if derived_swatch is not None:
            columns.append(derived_swatch)
    schema = infer_schema(
        catalog.items, columns, kind_column=spec.category_column,
        text_columns=catalog.text_columns,
        reserved=[c for c in (spec.id_column, spec.category_column, spec.image_column) if c],
        numeric_columns=spec.numeric_columns, attribute_columns=spec.attribute_columns,
        name_column=spec.name_column, swatch_column=spec.swatch_column,
        price_column=spec.price_column, brand_column=brand_column, brand_derived=derived,
        source=str(catalog_path),
    )
    enc = encoder_instance or get_encoder(encoder, model)
    images = image_fingerprint(catalog.items) if encoder == "clip" else ""
    fingerprint = catalog_fingerprint(catalog.sha256, {**spec.to_dict(), "text_columns": list(catalog.text_columns),
                                       "schema": schema.to_dict()},
                                      encoder, enc.model_name, index_config, images)
    skipped = {reason: [r.line for r in rows] for reason, rows in catalog.skipped_by_reason().items()}
    manifest = read_manifest(out_dir)
    if not force and manifest is not None and manifest.get("fingerprint") == fingerprint:
        log.info("%s is up to date with %s; nothing to do", out_dir, catalog_path)
        return IndexReport(Path(out_dir), False, len(catalog.items), skipped,
                           time.perf_counter() - started, None)
    encode_started = time.perf_counter()
    vectors = enc.encode_items(catalog.items, progress=True)
    encode_seconds = time.perf_counter() - encode_started
    write_index(out_dir, catalog.items, vectors, {
        "encoder": encoder,
        "model": enc.model_name,
        "fingerprint": fingerprint,
        "catalog": {
            "path": str(Path(catalog_path).resolve()),
            "sha256": catalog.sha256,
            "spec": spec.to_dict(),
            "text_columns": list(catalog.text_columns),
            "items": len(catalog.items),
            "skipped": {reason: len(lines) for reason, lines in skipped.items()},
        },
        "schema": schema.to_dict(),
        "encode_seconds": round(encode_seconds, 3),
    }, index_config)
    return IndexReport(Path(out_dir), True, len(catalog.items), skipped,
                       time.perf_counter() - started, len(catalog.items) / max(encode_seconds, 1e-9))


def _derive_brands(catalog: Catalog, spec: CatalogSpec) -> str | None:
    """Product names that start with the brand ("Puma Women Casual Beige Heels"): the brand list
    learnt from the names (`schema.learn_brands`) is written into each item as a derived
    `brand` column, so "anything from Puma?" and "same brand?" work as on a brand column."""
    name_column = spec.name_column or catalog.text_columns[0]
    names = [str(it.metadata.get(name_column) or "") for it in catalog.items]
    other_words = set()
    for it in catalog.items:
        for c, v in it.metadata.items():
            if c != name_column and c not in catalog.text_columns and isinstance(v, str) and len(v) <= 40:
                other_words.update(w.lower() for w in v.replace("-", " ").split())
        if it.category:
            other_words.update(w.lower() for w in it.category.replace("-", " ").split())
    brands = learn_brands(names, other_words)
    if not brands:
        return None
    column = next(c for c in ("brand", "brand_from_name", "brand_learnt") if c not in catalog.columns)
    found = 0
    brand_of = brand_matcher(brands)
    for it, name in zip(catalog.items, names):
        brand = brand_of(name)
        if brand:
            it.metadata[column] = brand
            found += 1
    log.info("%s: %d brands learnt from the product names ('%s'), %d of %d items have one "
             "(--brand-column overrides)", catalog.path, len(brands), column, found, len(catalog.items))
    return column


def _image_swatches(catalog: Catalog, spec: CatalogSpec) -> str | None:
    """A catalog with product images and neither a swatch nor a colour column: each item's
    swatch is its image's dominant foreground colour (`colour.image_swatch`), written into
    the item as a derived hex column, so shade and colour critiques are measured on it."""
    local = [it for it in catalog.items if it.image and not it.image.startswith(("http://", "https://"))]
    if len(local) < 2:
        return None
    column = next(c for c in ("swatch", "swatch_from_image", "image_swatch") if c not in catalog.columns)
    for it in tqdm(local, desc="image swatches", disable=len(local) < 500):
        swatch = image_swatch(it.image)  # type: ignore[arg-type]
        if swatch is not None:
            it.metadata[column] = swatch
    found = sum(1 for it in local if column in it.metadata)
    log.info("%s: swatches from %d of %d images (dominant foreground colour, column '%s')", catalog.path,
             found, len(catalog.items), column)
    return column if found >= 2 else None
