"""Shared fixtures: the sample catalog and its index (built by `make setup`; built here if not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = ROOT / "data" / "catalog" / "sample" / "items.csv"
SAMPLE_INDEX = ROOT / "var" / "index" / "sample"


def ensure_sample_index() -> Path:
    """The sample catalog's index, exactly as `make setup` builds it (a no-op when up to date)."""
    from gradrec_core import CatalogSpec, index_catalog

    if not SAMPLE_CSV.is_file():
        subprocess.run([sys.executable, str(ROOT / "data" / "catalog" / "generate.py"),
                        "--out", str(SAMPLE_CSV.parent)], check=True)
    index_catalog(SAMPLE_CSV, SAMPLE_INDEX, CatalogSpec(
        text_columns=("name", "description"), category_column="kind", image_column="image",
        name_column="name", numeric_columns=("price", "heel_cm")))
    return SAMPLE_INDEX


@pytest.fixture(scope="session")
def sample_index_dir() -> Path:
    return ensure_sample_index()


@pytest.fixture(scope="session")
def sample_engine(sample_index_dir: Path):  # type: ignore[no-untyped-def]
    from gradrec_core import Engine

    return Engine.open(sample_index_dir)
