"""Any shop's catalog (issue 18, parts 2-5): a catalog of another shape than the sample
(`shop_catalog.py`: articleType / subCategory / masterCategory, colour names only, the brand
inside the product name, a one-word usage column, no prices), indexed with real MiniLM
embeddings and nothing declared but the text column. Every claim is checked against the
catalog's own columns."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from gradrec_core import CatalogSpec, index_catalog
from gradrec_core.colour import name_to_lab, srgb_to_lab
from gradrec_core.index import load_index

from shop_catalog import write_catalog


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("shop")
    csv_path = write_catalog(root / "items.csv")
    index_catalog(csv_path, root / "index", CatalogSpec(text_columns=("productDisplayName",)))
    return load_index(root / "index")


def _lab(hex_: str) -> np.ndarray:
    """Expected CIELAB computed here from the dictionary hex, independently of the grounding."""
    rgb = np.array([[int(hex_[i:i + 2], 16) for i in (1, 3, 5)]], dtype=np.float64)
    return srgb_to_lab(rgb)[0]


# ------------------------------------------------------------------ part 4: colour names

@pytest.mark.parametrize("name, hex_", [
    ("navy", "#000080"),  # CSS
    ("Navy Blue", "#001146"),  # XKCD survey
    ("Charcoal", "#343837"),
    ("Off White", "#ffffe4"),
    ("Mustard", "#ceb301"),
    ("light blue", "#add8e6"),
    ("dark green", "#006400"),
    ("Teal", "#008080"),
])
def test_colour_names_get_their_dictionary_cielab(name: str, hex_: str) -> None:
    lab = name_to_lab(name)
    assert lab is not None
    assert np.allclose(lab, _lab(hex_), atol=0.05)


def test_navy_is_very_dark_and_relations_between_names_hold() -> None:
    assert abs(name_to_lab("navy")[0] - 12.97) < 0.1  # type: ignore[index]
    assert name_to_lab("charcoal")[0] < name_to_lab("grey")[0] - 20  # type: ignore[index]
    assert name_to_lab("light blue")[0] > name_to_lab("blue")[0] > name_to_lab("navy")[0]  # type: ignore[index]
    assert name_to_lab("dark green")[0] < name_to_lab("green")[0]  # type: ignore[index]


def test_modifiers_move_the_base_colour_in_cielab() -> None:
    mustard, light, dark = (name_to_lab(n) for n in ("mustard", "light mustard", "dark mustard"))
    assert light[0] > mustard[0] > dark[0]  # type: ignore[index]
    chroma = lambda lab: float(np.hypot(lab[1], lab[2]))  # noqa: E731
    assert chroma(name_to_lab("pale teal")) < chroma(name_to_lab("teal"))  # pale: lighter and less vivid
    assert name_to_lab("pale teal")[0] > name_to_lab("teal")[0]  # type: ignore[index]
    assert chroma(name_to_lab("neon pink")) > chroma(name_to_lab("pink"))
    # melange / heather: the colour's fibres mixed with grey
    assert chroma(name_to_lab("red melange")) < 0.5 * chroma(name_to_lab("red"))
    grey_melange = name_to_lab("Grey Melange")
    assert grey_melange is not None and chroma(grey_melange) < 1 and 45 < grey_melange[0] < 65
    assert name_to_lab("Multi") is None and name_to_lab("") is None


def test_the_catalog_colour_column_is_grounded_and_the_rest_named(shop, caplog) -> None:  # type: ignore[no-untyped-def]
    schema = shop.schema
    assert schema.swatch_column is None and schema.colour_column == "baseColour"
    lab = shop.swatch_lab()
    assert lab is not None
    colours = shop.column("baseColour")
    for row in range(len(shop)):
        expected = name_to_lab(colours[row])
        if expected is None:
            assert colours[row] == "multi" and np.isnan(lab[row]).all()
        else:
            assert np.allclose(lab[row], expected, atol=0.01)
    assert set(schema.colour_lab) == {c.lower() for c in schema.attribute("baseColour").values} - {"multi"}


def test_ungrounded_colour_values_are_named_in_one_log_line(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    csv_path = write_catalog(tmp_path / "items.csv", n=60)
    from gradrec_core.catalog import load_catalog
    from gradrec_core.schema import infer_schema

    catalog = load_catalog(csv_path, CatalogSpec(text_columns=("productDisplayName",)))
    with caplog.at_level(logging.INFO, logger="gradrec_core.schema"):
        infer_schema(catalog.items, catalog.columns, kind_column=None, text_columns=catalog.text_columns,
                     reserved=["id"])
    lines = [r.getMessage() for r in caplog.records if "colour column" in r.getMessage()]
    assert len(lines) == 1 and "not grounded: Multi" in lines[0] and "'baseColour'" in lines[0]


# ------------------------------------------------------------------ part 5: the kind column

def test_the_finest_category_like_column_is_the_kind(shop) -> None:  # type: ignore[no-untyped-def]
    import csv

    rows = list(csv.DictReader(open(Path(shop.manifest["catalog"]["path"]), encoding="utf-8")))
    assert shop.schema.kind_column == "articleType"
    assert {it.id: it.category for it in shop.items} == {r["id"]: r["articleType"] for r in rows}
    # the coarser columns stay attributes; the kinds nest in subCategory
    assert shop.schema.kind_groups["heels"] == "shoes" and shop.schema.kind_groups["backpacks"] == "bags"


def test_kind_inference_logs_which_and_a_declared_column_wins(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from gradrec_core.catalog import load_catalog
    from gradrec_core.schema import infer_kind_column

    catalog = load_catalog(write_catalog(tmp_path / "items.csv", n=80), CatalogSpec(text_columns=("productDisplayName",)))
    with caplog.at_level(logging.INFO, logger="gradrec_core.schema"):
        assert infer_kind_column(catalog.items, catalog.columns, exclude=["id", "productDisplayName"]) == "articleType"
    assert sum("kind column 'articleType' inferred" in r.getMessage() for r in caplog.records) == 1
    assert infer_kind_column(catalog.items, ["gender", "baseColour", "usage"]) is None


# ------------------------------------------------------------------ part 2: brands learnt from names

def test_the_brand_list_is_learnt_from_the_names(shop) -> None:  # type: ignore[no-untyped-def]
    from shop_catalog import BRANDS

    schema = shop.schema
    assert schema.brand_column == "brand" and schema.brand_derived
    assert set(schema.attribute("brand").values) == set(BRANDS)  # multi-word ones whole
    for item in shop.items:
        assert item.metadata["productDisplayName"].startswith(item.metadata["brand"] + " ")


def test_no_brands_are_learnt_from_names_that_do_not_start_with_one() -> None:
    from gradrec_core.schema import learn_brands

    names = [f"{c} Slim-Fit Polo Shirt" for c in ("Navy", "Black", "Almost Black", "Dark Teal") for _ in range(5)]
    assert learn_brands(names, {"almost", "black", "navy", "teal", "dark"}) == []
