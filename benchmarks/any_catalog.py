"""Any shop's catalog (issue 18, parts 2-5): the critique path (`take_turn`: planner +
`Engine.apply`) on a catalog of another shape than the sample, indexed with nothing declared
but its text column. Ground truth is the catalog CSV's own columns (never the engine's).

    python benchmarks/any_catalog.py [--catalog CSV] [--text-columns C] [--kind articleType]
        [--usage usage] [--colour baseColour] [--gender gender] [--brand-of-name]

Default catalog: the test catalog of a real fashion catalog's shape (`tests/shop_catalog.py`),
written to var/bench/any_catalog/. Measured: what was inferred (kind column, brands, colour values
grounded), "more formal" x2 from casual items of a kind with a Formal usage, "sportier" and
"flatter" where a sibling kind names the end, "darker" x3 on colour names (CIELAB of the names
from the colour dictionaries), and kind changes ("I'd rather have backpacks") keeping gender and
brand wherever the catalog has that combination.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchmarks.common import VAR_BENCH, progress, save, table  # noqa: E402


@dataclass(frozen=True)
class Columns:
    """The ground-truth columns of the catalog measured (the test catalog's by default)."""

    text: str = "productDisplayName"
    kind: str = "articleType"
    usage: str = "usage"
    colour: str = "baseColour"
    gender: str = "gender"


INTRO = """## 9. Any shop's catalog: kinds, brands, occasions, colour names (issue 18, parts 2-5)

`python benchmarks/any_catalog.py` on the test catalog of a real fashion catalog's shape
(`tests/shop_catalog.py`: 420 items, articleType / subCategory / masterCategory, gender, usage
Casual / Smart Casual / Formal / Sports / Ethnic / Party / Travel, colour names only, the brand only
inside the product name, no prices), indexed with MiniLM and `--text-columns productDisplayName`
alone. Ground truth: the CSV's columns; colour lightness from the names' dictionary CIELAB
(`tests/test_any_catalog.py` checks the same claims). "More formal" counts Formal reached within
the two turns (handbags, wallets and heels have no Smart Casual: one step, then "nothing more
formal"); a plain "darker" step covers at most half of what is left; gender is let go last, when
nothing further has it. The last rows: what indexing infers on `make retail`'s catalog (no
embedding needed). Not measured here: the served assistant through Rasa (the NLU's routing is
issue 18 part 1; section 8 is the shopper simulation through it).
"""


RETAIL = Path(__file__).resolve().parents[1] / "data" / "catalog" / "retail" / "items.csv"


def inferred_elsewhere(path: Path) -> list[tuple[str, str]]:
    """What `gradrec index` infers on another catalog (`make retail`'s, when it is there): the
    kind column, the brands against the generator's own list, the colour values grounded. No
    embedding is needed for it."""
    if not path.is_file():
        return []
    import dataclasses

    from gradrec_core.catalog import CatalogSpec, load_catalog
    from gradrec_core.indexing import _derive_brands
    from gradrec_core.schema import infer_kind_column, infer_schema

    spec = CatalogSpec(text_columns=("productDisplayName",))
    catalog = load_catalog(path, spec)
    kind = infer_kind_column(catalog.items, catalog.columns, exclude=["id", "productDisplayName"])
    spec = dataclasses.replace(spec, category_column=kind)
    catalog = load_catalog(path, spec)
    brand = _derive_brands(catalog, spec)
    schema = infer_schema(catalog.items, [*catalog.columns, *([brand] if brand else [])], kind_column=kind,
                          text_columns=catalog.text_columns, reserved=["id", kind or ""], brand_column=brand,
                          brand_derived=brand is not None, source=str(path))
    sys.path.insert(0, str(path.parents[1]))
    import retail  # the generator: its brand list is the ground truth

    truth = {b.name for b in retail.BRANDS}
    learnt = set(schema.attribute(brand).values) if brand else set()
    colours = schema.attribute(schema.colour_column) if schema.colour_column else None
    missing = [v for v in colours.values if v.lower() not in schema.colour_lab] if colours else []
    return [
        ("retail catalog (`make retail`, 6,000 items): inferred kind column", str(kind)),
        ("retail: brands learnt / exactly the generator's / truncated",
         f"{len(learnt)} / {len(learnt & truth)} of {len(truth)} / "
         + (", ".join(sorted(f"{b} ({t})" for b in learnt - truth for t in truth if t.startswith(b + " "))) or "none")),
        ("retail: colour values grounded in CIELAB",
         f"{len(schema.colour_lab)} of {len(colours.values) if colours else 0}"
         + (f" (not: {', '.join(missing[:10])})" if missing else "")),
    ]


def markdown(d: dict[str, Any]) -> str:
    return INTRO + "\n" + table(("what", "result"), d["rows"]) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", help="a catalog CSV (default: the test catalog, generated)")
    ap.add_argument("--text-columns", default="productDisplayName")
    ap.add_argument("--kind", default="articleType", help="ground-truth kind column")
    ap.add_argument("--usage", default="usage")
    ap.add_argument("--colour", default="baseColour")
    ap.add_argument("--gender", default="gender")
    ap.add_argument("--quick", action="store_true", help="a few starts per task")
    a = ap.parse_args()
    d = run(a.quick, a.catalog, Columns(a.text_columns, a.kind, a.usage, a.colour, a.gender))
    print(markdown(d))


def run(quick: bool = False, catalog_path: str | None = None, args: Columns = Columns()) -> dict[str, Any]:
    """Measure (see the module docstring) and save the results; returns them."""

    from gradrec_core import CatalogSpec, Engine, index_catalog
    from gradrec_core.colour import name_to_lab
    from gradrec_core.critique import take_turn
    from gradrec_core.index import load_index

    out = VAR_BENCH / "any_catalog"
    if catalog_path:
        catalog = Path(catalog_path)
    else:
        from shop_catalog import write_catalog

        catalog = write_catalog(out / "items.csv")
    index_catalog(catalog, out / "index", CatalogSpec(text_columns=tuple(args.text.split(","))))
    engine = Engine(load_index(out / "index"))
    schema = engine.index.schema
    with open(catalog, encoding="utf-8") as f:
        truth = {r["id"]: r for r in csv.DictReader(f)}
    brand = schema.brand_column
    every = 6 if quick else 1

    def turns(start: dict[str, str], *texts: str) -> list[Any]:
        engine.start("bench", start["id"])
        return [take_turn(engine, "bench", t) for t in texts]

    def row_of(turn: Any) -> dict[str, str] | None:
        return truth[turn.item.id] if turn.item is not None else None

    def brand_of(r: dict[str, str]) -> str:
        return str(engine.item(r["id"]).metadata.get(brand) or "") if brand else ""

    def lightness(r: dict[str, str] | None) -> float | None:
        lab = name_to_lab(r[args.colour]) if r else None
        return None if lab is None else float(lab[0])

    rows: list[tuple[str, str]] = []
    colour_attr = schema.attribute(schema.colour_column) if schema.colour_column else None
    rows.append(("inferred kind column", f"{schema.kind_column} ({len(schema.kinds)} kinds)"))
    rows.append(("brands learnt / column", f"{len(schema.attribute(brand).values) if brand else 0} ({brand})"))
    if colour_attr:
        missing = [v for v in colour_attr.values if v.lower() not in schema.colour_lab]
        rows.append(("colour values grounded in CIELAB", f"{len(schema.colour_lab)} of {len(colour_attr.values)}"
                     + (f" (not: {', '.join(missing[:10])})" if missing else "")))

    kinds_with_formal = {r[args.kind] for r in truth.values() if r[args.usage] == "Formal"}
    starts = [r for r in truth.values() if r[args.usage] == "Casual" and r[args.kind] in kinds_with_formal][::every]
    hit = 0
    for r in progress(starts, desc="more formal"):
        got = [row_of(t) for t in turns(r, "a more formal one", "even more formal")]
        hit += any(g is not None and g[args.usage] == "Formal" and g[args.kind] == r[args.kind] for g in got)
    rows.append(("casual, \"a more formal one\", \"even more formal\": Formal reached, same kind",
                 f"{hit} of {len(starts)}"))

    for said, source, target in (("something sportier", "Casual Shoes", "Sports Shoes"), ("flatter", "Heels", "Flats")):
        starts = [r for r in truth.values() if r[args.kind] == source][::every]
        got = [row_of(turns(r, said)[0]) for r in progress(starts, desc=said)]
        kind_ok = sum(g is not None and g[args.kind] == target for g in got)
        gender_ok = sum(g is not None and g[args.kind] == target and g[args.gender] == r[args.gender]
                        for g, r in zip(got, starts))
        rows.append((f"{source.lower()}, \"{said}\": {target.lower()} / same gender",
                     f"{kind_ok} / {gender_ok} of {len(starts)}"))

    starts = [r for r in truth.values() if (lightness(r) or 0) > 40][::max(every, 3)]
    down = dark = gender = 0
    for r in progress(starts, desc="darker"):
        previous, ok, kept = lightness(r), True, True
        for t in turns(r, "something darker", "even darker", "darker still"):
            g = row_of(t)
            if g is None:
                break
            now = lightness(g)
            ok &= now is not None and previous is not None and now < previous and g[args.kind] == r[args.kind]
            kept &= g[args.gender] == r[args.gender]
            previous = now
        down += ok
        dark += previous is not None and previous < 30
        gender += kept
    rows.append(("L* > 40, \"darker\" x3: each step darker (same kind) / below L* 30 / gender kept",
                 f"{down} / {dark} / {gender} of {len(starts)}"))

    def exists(**want: str) -> bool:
        return any(all((brand_of(r) if k == "brand" else r[k]) == v for k, v in want.items()) for r in truth.values())

    for kind, said in (("Backpacks", "I'd rather have backpacks"), ("Shirts", "show me shirts instead"),
                       ("Sandals", "what about sandals?")):
        starts = [r for r in truth.values() if r[args.kind] != kind][::3 * every]
        k = g = gn = b = bn = 0
        for r in progress(starts, desc=said):
            o = row_of(turns(r, said)[0])
            if o is None:
                continue
            k += o[args.kind] == kind
            if exists(**{args.kind: kind, args.gender: r[args.gender]}):
                gn += 1
                g += o[args.gender] == r[args.gender]
            if brand and exists(**{args.kind: kind, args.gender: o[args.gender], "brand": brand_of(r)}):
                bn += 1
                b += brand_of(o) == brand_of(r)
        rows.append((f"\"{said}\": {kind.lower()} / gender kept / brand kept (where one exists)",
                     f"{k} of {len(starts)} / {g} of {gn} / {b} of {bn}"))

    rows += inferred_elsewhere(RETAIL)
    d = {"catalog": str(catalog), "rows": rows}
    save("any_catalog_quick" if quick else "any_catalog", d)
    return d


if __name__ == "__main__":
    main()
