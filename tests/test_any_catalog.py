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


# ------------------------------------------------------------------ the engine on this catalog

@pytest.fixture(scope="module")
def truth(shop) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The catalog CSV's own rows by id: the ground truth every answer is checked against."""
    import csv

    with open(Path(shop.manifest["catalog"]["path"]), encoding="utf-8") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def shop_engine(shop):  # type: ignore[no-untyped-def]
    from gradrec_core import Engine

    return Engine(shop)


def _turns(engine, start_id: str, *texts: str) -> list:  # type: ignore[no-untyped-def]
    from gradrec_core.critique import take_turn

    session = f"t-{start_id}-{abs(hash(texts))}"
    engine.start(session, start_id)
    return [take_turn(engine, session, t) for t in texts]


def _brand(row: dict[str, str]) -> str:
    from shop_catalog import BRANDS

    return max((b for b in BRANDS if row["productDisplayName"].startswith(b + " ")), key=len)


def _exists(truth: dict[str, dict[str, str]], **want: str) -> bool:
    return any(all((_brand(r) if k == "brand" else r[k]) == v for k, v in want.items()) for r in truth.values())


# ------------------------------------------------------------------ part 2: kind changes and brands

@pytest.mark.parametrize("said, kind", [
    ("I'd rather have backpacks", "Backpacks"),
    ("what about backpacks?", "Backpacks"),
    ("show me sandals instead", "Sandals"),
    ("do you have shirts like this?", "Shirts"),
    ("show me a t-shirt instead", "Tshirts"),
])
def test_a_kind_change_keeps_the_rest_of_the_style(shop, shop_engine, truth, said: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    from gradrec_core.ops import ChangeKind

    starts = [r for r in truth.values() if r["articleType"] not in (kind,)][::9][:12]
    kept = {"gender": [0, 0], "brand": [0, 0]}
    for start in starts:
        [turn] = _turns(shop_engine, start["id"], said)
        assert turn.plan.kind == "critique" and isinstance(turn.plan.ops[0], ChangeKind)
        got = truth[turn.item.id]
        assert got["articleType"] == kind, (said, start["productDisplayName"], got["productDisplayName"])
        # the style is kept wherever the catalog has it in that kind
        if _exists(truth, articleType=kind, gender=start["gender"]):
            kept["gender"][1] += 1
            kept["gender"][0] += got["gender"] == start["gender"]
        if _exists(truth, articleType=kind, gender=got["gender"], brand=_brand(start)):
            kept["brand"][1] += 1
            kept["brand"][0] += _brand(got) == _brand(start)
    assert kept["gender"][0] == kept["gender"][1] > 0
    assert kept["brand"][0] == kept["brand"][1]


def test_a_sentence_naming_the_current_kind_is_no_kind_change(shop) -> None:  # type: ignore[no-untyped-def]
    from gradrec_core.critique import plan_turn
    from gradrec_core.ops import ChangeKind

    shoe = next(it for it in shop.items if it.category == "Casual Shoes")
    for said in ("darker shoes", "a casual shoe in black", "do you have these shoes in white?"):
        plan = plan_turn(shoe, said, {}, shop.schema)
        assert not any(isinstance(op, ChangeKind) for op in plan.ops), said


@pytest.mark.parametrize("said", ["anything from {b}?", "by {b}", "do you have this by {b}?", "any {b} ones?"])
def test_a_brand_is_a_filter_on_the_learnt_brands_keeping_the_kind(shop_engine, truth, said: str) -> None:  # type: ignore[no-untyped-def]
    from shop_catalog import BRANDS

    checked = 0
    for start in list(truth.values())[::23][:16]:
        other = next((b for b in sorted(BRANDS) if b != _brand(start) and _exists(
            truth, articleType=start["articleType"], brand=b)), None)
        if other is None:
            continue
        [turn] = _turns(shop_engine, start["id"], said.format(b=other))
        got = truth[turn.item.id]
        assert _brand(got) == other and got["articleType"] == start["articleType"], (said, other, got)
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("said, name", [("anything from Norrow?", "Norrow"), ("do you have this by Zara", "Zara"),
                                        ("from House of Fraser?", "House of Fraser")])
def test_a_brand_the_shop_lacks_is_said_back(shop_engine, truth, said: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """A capitalised name after "by"/"from" that is none of the shop's brands: the reply says so
    and names some it has (the shop's, checked against its brand list); the item stays. Lower-case
    words and dates after "by"/"from" are not names."""
    from shop_catalog import BRANDS

    start = next(iter(truth.values()))
    [turn] = _turns(shop_engine, start["id"], said)
    assert turn.item is None and f"I can't find anything by {name} in this shop" in turn.answer, turn.answer
    named = turn.answer.split("its brands include ", 1)[1]
    assert sum(b in named for b in BRANDS) >= 2, turn.answer
    for other in ("can it arrive by Monday?", "something to wear from work", "by norrow"):
        [turn] = _turns(shop_engine, start["id"], other)
        assert "can't find anything by" not in turn.answer, (other, turn.answer)


def test_same_brand_stays_with_the_brand_and_the_kind(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for start in list(truth.values())[::31][:10]:
        peers = [r for r in truth.values() if r["id"] != start["id"] and r["articleType"] == start["articleType"]
                 and _brand(r) == _brand(start)]
        if not peers:
            continue
        [turn] = _turns(shop_engine, start["id"], "same brand?")
        got = truth[turn.item.id]
        assert got["id"] != start["id"] and _brand(got) == _brand(start)
        assert got["articleType"] == start["articleType"]
        checked += 1
    assert checked >= 5


def test_a_whole_new_item_described_is_a_new_search(shop, shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    start = next(r for r in truth.values() if r["articleType"] == "Tshirts")
    target = next(r for r in truth.values() if r["articleType"] == "Heels" and _brand(r) == "Catwalk"
                  and r["baseColour"] != "Multi")
    [turn] = _turns(shop_engine, start["id"], f"show me {target['productDisplayName']}")
    assert turn.plan.kind == "search"
    got = truth[turn.item.id]
    assert got["articleType"] == "Heels" and _brand(got) == "Catwalk" and got["gender"] == "Women"
    assert got["baseColour"] == target["baseColour"]



# ------------------------------------------------------------------ part 3: comparatives on any columns

def test_more_formal_climbs_the_usage_column_casual_smart_casual_formal(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    starts = [r for r in truth.values() if r["articleType"] == "Shirts" and r["usage"] == "Casual"]
    assert len(starts) >= 5
    for start in starts:
        first, second = _turns(shop_engine, start["id"], "a more formal one", "even more formal")
        assert first.step.axes == ("column:usage",)
        assert truth[first.item.id]["usage"] in ("Smart Casual", "Formal")
        assert truth[second.item.id]["usage"] == "Formal", start["productDisplayName"]
        assert truth[second.item.id]["articleType"] == "Shirts"


def test_more_casual_comes_down_and_never_steps_to_an_occasion_off_the_scale(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    for start in [r for r in truth.values() if r["articleType"] in ("Shirts", "Trousers") and r["usage"] == "Formal"]:
        [turn] = _turns(shop_engine, start["id"], "more casual")
        assert truth[turn.item.id]["usage"] in ("Smart Casual", "Casual"), start["productDisplayName"]


@pytest.mark.parametrize("said", ["more formal", "something dressier"])
def test_more_formal_on_a_kind_without_formal_items_never_steps_to_sports(shop_engine, truth, said: str) -> None:  # type: ignore[no-untyped-def]
    # t-shirts are Casual or Sports: Sports is no more formal than Casual, so there is no step
    # to take on the occasion scale (it was: a Sports t-shirt)
    starts = [r for r in truth.values() if r["articleType"] == "Tshirts" and r["usage"] == "Casual"][:6]
    assert starts
    for start in starts:
        [turn] = _turns(shop_engine, start["id"], said)
        if turn.item is None:  # the end of the scale: said so, nothing shown in its place
            assert turn.step is not None and turn.step.end_reached
            continue
        got = truth[turn.item.id]
        assert got["usage"] in ("Smart Casual", "Formal"), (said, got["productDisplayName"])


def test_an_occasion_column_of_casual_formal_and_sports_keeps_sports_with_casual(tmp_path: Path) -> None:
    """The occasion column holds only Casual, Formal and Sports (every value on the formality
    dimension, so the items order them): Sports is no more formal than Casual whatever a sports
    tee's text says ("dri-fit training tee" read more formal than "cotton crew tee"), and no
    less casual; the scale still climbs where a kind has Formal items."""
    import csv

    from gradrec_core import Engine

    source = write_catalog(tmp_path / "src.csv")
    rows = [r for r in csv.DictReader(open(source, encoding="utf-8")) if r["usage"] in ("Casual", "Formal", "Sports")]
    with open(tmp_path / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    index_catalog(tmp_path / "items.csv", tmp_path / "index", CatalogSpec(text_columns=("productDisplayName",)))
    engine = Engine(load_index(tmp_path / "index"))
    attribute = engine.index.schema.attribute("usage")
    assert attribute is not None and set(attribute.values) == {"Casual", "Formal", "Sports"}
    truth = {r["id"]: r for r in rows}
    tees = [r for r in rows if r["articleType"] == "Tshirts"]
    assert {r["usage"] for r in tees} == {"Casual", "Sports"}
    for usage, said in (("Casual", "more formal"), ("Sports", "more formal"), ("Sports", "more casual")):
        for start in [r for r in tees if r["usage"] == usage][:5]:
            [turn] = _turns(engine, start["id"], said)
            assert turn.item is None and turn.step is not None and turn.step.end_reached, \
                (usage, said, truth[turn.item.id]["usage"] if turn.item else None)
    shirts = [r for r in rows if r["articleType"] == "Shirts" and r["usage"] == "Casual"][:5]
    assert shirts and any(r["articleType"] == "Shirts" and r["usage"] == "Formal" for r in rows)
    for start in shirts:
        [turn] = _turns(engine, start["id"], "a more formal one")
        assert (truth[turn.item.id]["articleType"], truth[turn.item.id]["usage"]) == ("Shirts", "Formal")


def test_more_formal_from_an_occasion_off_the_scale_is_not_casual(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    # Party is off the Casual < Smart Casual < Formal scale: "more formal" from a party shirt is a
    # Smart Casual or Formal shirt, never the scale's bottom (it was: a casual shirt)
    starts = [r for r in truth.values() if r["articleType"] == "Shirts" and r["usage"] == "Party"]
    assert len(starts) >= 3
    for start in starts:
        [turn] = _turns(shop_engine, start["id"], "a more formal one")
        got = truth[turn.item.id]
        assert got["articleType"] == "Shirts" and got["usage"] in ("Smart Casual", "Formal"), got["productDisplayName"]


def test_a_kind_whose_items_all_name_the_asked_end_is_that_end(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    # formal shoes, "more casual": casual shoes (every one Casual); "even more casual": the end,
    # not another casual shoe along the text (it was: casual shoe after casual shoe)
    starts = [r for r in truth.values() if r["articleType"] == "Formal Shoes"][:4]
    assert starts
    for start in starts:
        first, second = _turns(shop_engine, start["id"], "more casual", "even more casual")
        assert truth[first.item.id]["usage"] == "Casual", truth[first.item.id]["productDisplayName"]
        assert second.item is None and second.step is not None and second.step.end_reached, \
            truth[second.item.id]["productDisplayName"] if second.item else None


def test_the_kind_itself_is_the_change_when_a_sibling_kind_names_the_comparative(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    for said, source, target in (("something sportier", "Casual Shoes", "Sports Shoes"),
                                 ("flatter", "Heels", "Flats"),
                                 ("a more formal pair", "Casual Shoes", "Formal Shoes")):
        starts = [r for r in truth.values() if r["articleType"] == source][:6]
        for start in starts:
            [turn] = _turns(shop_engine, start["id"], said)
            got = truth[turn.item.id]
            assert got["articleType"] == target, (said, start["productDisplayName"], got["productDisplayName"])
            if _exists(truth, articleType=target, gender=start["gender"]):
                assert got["gender"] == start["gender"]


def test_a_kind_whose_own_items_reach_the_end_stays_the_kind(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    # formal shoes name "formal", but heels have Formal ones of their own: "more formal" stays in heels
    starts = [r for r in truth.values() if r["articleType"] == "Heels" and r["usage"] == "Casual"]
    assert starts
    for start in starts:
        [turn] = _turns(shop_engine, start["id"], "a more formal pair")
        got = truth[turn.item.id]
        assert got["articleType"] == "Heels" and got["usage"] == "Formal", start["productDisplayName"]


def test_sportier_on_a_kind_with_a_sports_occasion_goes_to_it(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    for start in [r for r in truth.values() if r["articleType"] == "Tshirts" and r["usage"] == "Casual"][:6]:
        [turn] = _turns(shop_engine, start["id"], "something sportier")
        got = truth[turn.item.id]
        assert got["usage"] == "Sports" and got["articleType"] == "Tshirts"


def _lightness(colour: str) -> float:
    """CIELAB L* of a colour name, from the dictionaries' hex here (not through the grounding)."""
    from matplotlib import colors as mcolors

    name = colour.lower()
    hex_ = mcolors.CSS4_COLORS.get(name.replace(" ", "")) or mcolors.XKCD_COLORS.get(f"xkcd:{name}")
    if name == "grey melange":
        hex_ = "#808080"
    assert hex_ is not None, colour
    return float(_lab(hex_.lower())[0])


def test_darker_on_colour_names_walks_down_in_lightness(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    starts = [r for r in truth.values() if r["articleType"] == "Tshirts" and r["baseColour"] in ("Teal", "Pink", "Beige")]
    went_down = 0
    for start in starts:
        turns = _turns(shop_engine, start["id"], "something darker", "even darker", "darker still")
        previous = first = _lightness(start["baseColour"])
        for turn in turns:
            if turn.item is None:
                break
            got = truth[turn.item.id]
            assert got["articleType"] == "Tshirts" and turn.step.axes == ("swatch:-L*",)
            lightness = _lightness(got["baseColour"])
            assert lightness < previous, (start["baseColour"], got["baseColour"])
            assert got["gender"] == start["gender"]  # who it is for is never changed unasked
            previous = lightness
        # three graded steps (each at most half of what is left) cover most of the way down
        went_down += previous < 30 or previous < first - 25
    assert went_down >= 0.8 * len(starts)


def test_brighter_on_colour_names_never_goes_darker(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    """"Brighter" is lighter and/or more vivid, never darker: from a grey, a green or a red, a
    saturated blue (L* 32) is more vivid but darker, not what a shopper asking for a brighter one
    means. Checked on the CSV's colour names, L* from the dictionaries' hex here."""
    starts = [r for r in truth.values() if r["articleType"] in ("Tshirts", "Shirts")
              and r["baseColour"] in ("Grey", "Green", "Red", "Brown", "Navy Blue", "Charcoal")]
    assert len(starts) >= 10
    steps = lighter = 0
    for start in starts:
        previous = _lightness(start["baseColour"])
        for turn in _turns(shop_engine, start["id"], "something brighter", "even brighter", "brighter still"):
            if turn.item is None:
                break
            got = truth[turn.item.id]
            assert got["articleType"] == start["articleType"] and got["gender"] == start["gender"]
            lightness = _lightness(got["baseColour"])
            assert lightness >= previous, (start["baseColour"], got["baseColour"])
            steps, lighter, previous = steps + 1, lighter + (lightness > previous), lightness
    # and the steps are visible ones: lighter, not the same lightness in another name
    assert steps >= 2 * len(starts) and lighter >= 0.9 * steps


def test_lighter_and_greener_on_colour_names(shop_engine, truth) -> None:  # type: ignore[no-untyped-def]
    for start in [r for r in truth.values() if r["articleType"] == "Shirts" and r["baseColour"] in ("Navy Blue", "Maroon")]:
        lighter, greener = _turns(shop_engine, start["id"], "lighter", "greener")
        assert _lightness(truth[lighter.item.id]["baseColour"]) > _lightness(start["baseColour"])
        a_before = name_to_lab(truth[lighter.item.id]["baseColour"])[1]  # type: ignore[index]
        assert name_to_lab(truth[greener.item.id]["baseColour"])[1] < a_before  # type: ignore[index]


# ------------------------------------------------------------------ part 5: no kind column at all

def test_without_a_kind_column_a_critique_holds_every_attribute_not_asked(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    import csv

    from gradrec_core import Engine

    source = write_catalog(tmp_path / "src.csv")
    rows = list(csv.DictReader(open(source, encoding="utf-8")))
    renamed = {"articleType": "item", "subCategory": "section", "masterCategory": "segment"}
    with open(tmp_path / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=[renamed.get(c, c) for c in rows[0]])
        w.writeheader()
        w.writerows({renamed.get(k, k): v for k, v in r.items()} for r in rows)
    with caplog.at_level(logging.INFO, logger="gradrec_core.schema"):
        index_catalog(tmp_path / "items.csv", tmp_path / "index", CatalogSpec(text_columns=("productDisplayName",)))
    assert any("no kind column" in r.getMessage() for r in caplog.records)
    engine = Engine(load_index(tmp_path / "index"))
    assert engine.index.schema.kind_column is None
    truth = {r["id"]: r for r in rows}
    for start in [r for r in rows if r["baseColour"] in ("Pink", "Beige", "Teal")][:10]:
        turns = _turns(engine, start["id"], "something darker", "even darker")
        for turn in turns:
            if turn.item is None:
                break
            got = truth[turn.item.id]
            assert (got["articleType"], got["gender"]) == (start["articleType"], start["gender"])


# ------------------------------------------------------------------ part 4: swatches from images

def test_images_without_colour_columns_give_a_swatch_from_the_dominant_colour(tmp_path: Path) -> None:
    import csv

    from PIL import Image, ImageDraw

    from gradrec_core import Engine
    from gradrec_core.critique import take_turn

    shades = {"navy": (0, 0, 128), "blue": (40, 80, 200), "sky": (120, 170, 235), "pale": (200, 220, 250),
              "black": (10, 10, 10), "teal": (0, 128, 128)}
    rows = []
    for i, (shade, rgb) in enumerate(list(shades.items()) * 3):
        image = Image.new("RGB", (80, 100), (255, 255, 255))  # a packshot: the item on a white backdrop
        ImageDraw.Draw(image).rectangle((15, 10, 65, 90), fill=rgb)
        image.save(tmp_path / f"{i}.png")
        rows.append({"id": f"t{i}", "title": f"Cotton crew-neck tee {i}", "category": "tee", "picture": f"{i}.png"})
    with open(tmp_path / "items.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    index_catalog(tmp_path / "items.csv", tmp_path / "index",
                  CatalogSpec(text_columns=("title",), image_column="picture"))
    index = load_index(tmp_path / "index")
    assert index.schema.swatch_column == "swatch"
    assert index.schema.brand_column is None  # every name starts "Cotton crew-neck tee": not a brand
    truth = {r["id"]: shades[list(shades)[i % len(shades)]] for i, r in enumerate(rows)}
    lab = index.swatch_lab()
    for row, item in enumerate(index.items):  # the rectangle's colour, within a just-noticeable difference
        expected = srgb_to_lab(np.array([truth[item.id]], dtype=np.float64))[0]
        assert np.linalg.norm(lab[row] - expected) < 2.0
    engine = Engine(index)
    start = next(r["id"] for r in rows if truth[r["id"]] == shades["sky"])
    engine.start("s", start)
    turn = take_turn(engine, "s", "darker")
    assert turn.step.axes == ("swatch:-L*",)
    got = srgb_to_lab(np.array([truth[turn.item.id]], dtype=np.float64))[0][0]
    assert got < srgb_to_lab(np.array([shades["sky"]], dtype=np.float64))[0][0]


# ------------------------------------------------------------------ the schema over a column's distinct values

def test_schema_checks_name_the_first_item_that_does_not_fit(tmp_path: Path) -> None:
    """The schema is inferred from each column's distinct values (counted once), yet an error
    still names the first item, in file order, whose value does not fit; values of other JSON
    types stay values of their own (true, 1 and "1" are three)."""
    import json

    from gradrec_core.catalog import load_catalog
    from gradrec_core.schema import infer_schema
    from gradrec_core.types import CatalogError

    rows = [{"id": f"i{n}", "text": f"item {n}", "size": size, "swatch": swatch, "flag": flag, "tags": tags}
            for n, (size, swatch, flag, tags) in enumerate([
                ("12", "#112233", True, ["a"]), ("13", "#223344", 1, ["a"]), ("x", "#334455", "1", ["b"]),
                ("14", "navy", True, ["b"]), ("y", "#445566", 1, ["a"]), ("12", "#112233", "1", ["c"])])]
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    catalog = load_catalog(path)

    def schema(**flags):  # type: ignore[no-untyped-def]
        return infer_schema(catalog.items, catalog.columns, kind_column=None, text_columns=catalog.text_columns,
                            reserved=["id"], **flags)

    with pytest.raises(CatalogError, match=r"numeric column 'size': item 'i2' has 'x', not a number"):
        schema(numeric_columns=["size"])
    with pytest.raises(CatalogError, match=r"swatch column 'swatch': item 'i3' has 'navy'"):
        schema(swatch_column="swatch")
    flags = schema(attribute_columns=["flag", "tags"])
    assert flags.attribute("flag").values == ("1", "True")  # 1 and "1" print alike: 4 items; true: 2
    assert flags.attribute("tags") is None  # lists are not facet values
