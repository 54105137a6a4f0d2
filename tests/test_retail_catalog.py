"""The second test catalog (data/catalog/retail.py): its shape and the correlations a shopper relies
on, checked on the generated columns."""

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "data" / "catalog" / "retail.py"
HEX = re.compile(r"#?[0-9a-fA-F]{6}")


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("retail_catalog", GENERATOR)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def rows(gen: ModuleType) -> list[dict[str, str]]:
    return gen.generate()


def test_shape(rows: list[dict[str, str]], gen: ModuleType) -> None:
    assert 5000 <= len(rows) <= 8000
    assert list(rows[0]) == ["id", "gender", "masterCategory", "subCategory", "articleType",
                             "baseColour", "season", "year", "usage", "productDisplayName"]
    assert len({r["id"] for r in rows}) == len(rows) and all(r["id"].isdigit() for r in rows)
    assert {r["gender"] for r in rows} == {"Men", "Women", "Boys", "Girls", "Unisex"}
    assert {r["masterCategory"] for r in rows} == {"Apparel", "Footwear", "Accessories"}
    assert {r["usage"] for r in rows} == {"Casual", "Formal", "Sports", "Ethnic", "Smart Casual",
                                          "Party", "Travel"}
    assert len({r["articleType"] for r in rows}) >= 25
    colours = {r["baseColour"] for r in rows}
    assert {"Navy Blue", "Charcoal", "Grey Melange", "Off White", "Mustard"} <= colours
    assert not any(HEX.fullmatch(c) for c in colours)


def test_names_start_with_the_brand_and_say_the_columns(rows: list[dict[str, str]], gen: ModuleType) -> None:
    brands = Counter(gen.brand_of(r) for r in rows)
    assert len(brands) >= 20
    for r in rows:
        name = r["productDisplayName"]
        rest = name[len(gen.brand_of(r)) + 1:]
        assert rest.startswith(f"{r['gender']} {r['baseColour']} "), name


def test_correlations(rows: list[dict[str, str]], gen: ModuleType) -> None:
    def share(kind: str, usage: str) -> float:
        of_kind = [r for r in rows if r["articleType"] == kind]
        return sum(r["usage"] == usage for r in of_kind) / len(of_kind)

    assert share("Sports Shoes", "Sports") > 0.9
    assert share("Kurtas", "Ethnic") > 0.9 and share("Sarees", "Ethnic") > 0.85
    assert share("Formal Shoes", "Formal") == 1.0
    assert share("Tshirts", "Formal") == 0.0
    jeans = Counter(r["baseColour"] for r in rows if r["articleType"] == "Jeans")
    assert jeans.most_common(1)[0][0] == "Blue"
    # brands specialise: each sells a few kinds, and a sports brand's items are mostly Sports
    for brand in Counter(gen.brand_of(r) for r in rows):
        assert len({r["articleType"] for r in rows if gen.brand_of(r) == brand}) <= 9
    stridex = [r["usage"] for r in rows if gen.brand_of(r) == "Stridex"]
    assert stridex.count("Sports") / len(stridex) > 0.6


def test_cli_is_deterministic_and_seeded(tmp_path: Path, gen: ModuleType) -> None:
    for out in ("a", "b"):
        subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path / out)], check=True,
                       capture_output=True)
    a = (tmp_path / "a" / "items.csv").read_bytes()
    assert a == (tmp_path / "b" / "items.csv").read_bytes() == gen.rows_to_csv(gen.generate())
    assert gen.rows_to_csv(gen.generate(seed=1)) != a
    bad = subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path / "c"), "--items", "0"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "--items must be between 1 and 59000, got 0" in bad.stderr
