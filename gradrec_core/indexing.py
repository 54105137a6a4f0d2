"""Catalog -> encoder -> index folder, doing nothing when the folder is already up to date."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .catalog import CatalogSpec, load_catalog
from .encoders import Encoder, get_encoder
from .schema import infer_schema
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
    schema = infer_schema(
        catalog.items, catalog.columns, kind_column=spec.category_column,
        text_columns=catalog.text_columns,
        reserved=[c for c in (spec.id_column, spec.category_column, spec.image_column) if c],
        numeric_columns=spec.numeric_columns, attribute_columns=spec.attribute_columns,
        name_column=spec.name_column, swatch_column=spec.swatch_column,
        price_column=spec.price_column, source=str(catalog_path),
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
