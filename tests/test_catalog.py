"""Catalog loading: column mapping, metadata, and one clear error per kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradrec_core.catalog import CatalogSpec, load_catalog
from gradrec_core.types import CatalogError


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def png(tmp_path: Path) -> Path:
    from PIL import Image

    p = tmp_path / "img" / "a.png"
    p.parent.mkdir(parents=True)
    Image.new("RGB", (4, 4), "white").save(p)
    return p


def test_csv_maps_columns_and_keeps_metadata(tmp_path: Path, png: Path) -> None:
    f = write(tmp_path / "c.csv", "sku,title,blurb,type,pic,price\n"
              'A1,Blue polo,"Piqué, slim",polo,img/a.png,19.90\n'
              "A2,Red skirt,Midi,skirt,,25\n")
    cat = load_catalog(f, CatalogSpec(id_column="sku", text_columns=("title", "blurb"),
                                      category_column="type", image_column="pic"))
    assert [i.id for i in cat.items] == ["A1", "A2"]
    a1, a2 = cat.items
    assert a1.text == "Blue polo. Piqué, slim"
    assert a1.category == "polo"
    assert a1.image == str(png.resolve())
    assert a2.image is None
    assert a1.metadata == {"title": "Blue polo", "blurb": "Piqué, slim", "price": "19.90"}
    assert len(cat.sha256) == 64 and cat.skipped == []


def test_jsonl_and_default_text_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "c.jsonl", json.dumps({"id": 1, "name": "Tee", "description": "Cotton", "size": [1, 2]})
              + "\n\n" + json.dumps({"id": "2", "text": "ignored", "name": "Dress", "description": ""}) + "\n")
    cat = load_catalog(f)
    assert cat.text_columns == ("name", "description")
    assert [(i.id, i.text) for i in cat.items] == [("1", "Tee. Cotton"), ("2", "Dress")]
    assert cat.items[0].metadata["size"] == [1, 2]


def test_text_column_named_text_is_the_default(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "id,text,name\n1,hello,n\n")
    assert load_catalog(f).items[0].text == "hello"


def test_multiline_csv_rows_report_their_first_line(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", 'id,name\n1,"two\nlines"\n1,dup\n')
    with pytest.raises(CatalogError, match=r"c\.csv: line 4: field 'id': duplicate id '1' \(first on line 2\)"):
        load_catalog(f)


@pytest.mark.parametrize(
    "content, spec, pattern",
    [
        ("id,name\n1,a\n", CatalogSpec(id_column="sku"), r"line 1: no id column 'sku' \(columns: id, name\)"),
        ("id,name\n1,a\n", CatalogSpec(text_columns=("title",)), r"line 1: no text column 'title'"),
        ("id,price\n1,3\n", CatalogSpec(), r"line 1: no text column \(looked for 'text', 'name', 'description'\)"),
        ("id,name\n1,a\n2,\n", CatalogSpec(), r"line 3: field 'name': empty text for item '2'"),
        ("id,name\n1,a\n,b\n", CatalogSpec(), r"line 3: field 'id': empty id"),
        ("id,name\n1,a\n2,b,c\n", CatalogSpec(), r"line 3: 3 fields where the header has 2"),
        ("id,name\n1,a\n1,b\n", CatalogSpec(), r"line 3: field 'id': duplicate id '1' \(first on line 2\)"),
        ("id,name,img\n1,a,nope.png\n", CatalogSpec(image_column="img"),
         r"line 2: field 'img': image file not found: nope.png"),
        ("id,name,name\n1,a,b\n", CatalogSpec(), r"line 1: column 'name' appears twice"),
        ("", CatalogSpec(), r"line 1: empty file"),
        ("id,name\n", CatalogSpec(), r"the catalog has no rows"),
    ],
)
def test_bad_csv_gives_one_clear_error(tmp_path: Path, content: str, spec: CatalogSpec, pattern: str) -> None:
    f = write(tmp_path / "bad.csv", content)
    with pytest.raises(CatalogError, match=pattern) as info:
        load_catalog(f, spec)
    message = str(info.value)
    assert message.startswith(str(f)) and "\n" not in message


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"nope\.csv: catalog file not found"):
        load_catalog(tmp_path / "nope.csv")
    with pytest.raises(CatalogError, match=r"unsupported catalog format '\.xlsx'"):
        load_catalog(write(tmp_path / "c.xlsx", "x"))


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", b"id,name\n1,ok\n2,caf\xe9\n3,fine\n")
    with pytest.raises(CatalogError, match=r"line 3: undecodable bytes \(not UTF-8\) at column 6"):
        load_catalog(f)
    cat = load_catalog(f, CatalogSpec(lenient=True))
    assert [i.id for i in cat.items] == ["1", "3"]
    assert [(s.line, s.reason) for s in cat.skipped] == [(3, "undecodable bytes")]


def test_bad_jsonl_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "c.jsonl", '{"id": "1", "name": "a"}\n{"id": "2", "name": \n[1, 2]\n')
    with pytest.raises(CatalogError, match=r"c\.jsonl: line 2: invalid JSON"):
        load_catalog(f)
    cat = load_catalog(f, CatalogSpec(lenient=True))
    assert [i.id for i in cat.items] == ["1"]
    assert [(s.line, s.reason) for s in cat.skipped] == [(2, "invalid JSON"), (3, "invalid JSON")]
    f2 = write(tmp_path / "d.jsonl", '{"id": "1", "name": "a"}\n{"name": "b"}\n')
    with pytest.raises(CatalogError, match=r"d\.jsonl: line 2: field 'id': missing"):
        load_catalog(f2)


def test_lenient_skips_are_counted_and_listed_by_reason(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "id,name,img\n1,a,\n1,b,\n2,,\n3,c,missing.png\n4,d,\n")
    cat = load_catalog(f, CatalogSpec(image_column="img", lenient=True))
    assert [i.id for i in cat.items] == ["1", "4"]
    by_reason = {k: [r.line for r in v] for k, v in cat.skipped_by_reason().items()}
    assert by_reason == {"duplicate id": [3], "empty text": [4], "image not found": [5]}
    assert all(str(f) in s.message for s in cat.skipped)


def test_urls_are_kept_as_images(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "id,name,img\n1,a,https://example.invalid/a.png\n")
    assert load_catalog(f, CatalogSpec(image_column="img")).items[0].image == "https://example.invalid/a.png"


def test_bom_is_ignored(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", "\ufeffid,name\n1,a\n".encode("utf-8"))
    assert load_catalog(f).items[0].id == "1"


def test_short_values_repeated_down_a_column_are_one_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A million rows of "black" are one string (gradrec index's memory), each row's values
    unchanged; a column with more distinct values than the cap stops being shared, and long
    values (descriptions) never are."""
    from gradrec_core import catalog as catalog_module

    monkeypatch.setattr(catalog_module._SharedValues, "MAX_DISTINCT", 3)
    long = "a long description " * 5
    rows = ["id,name,colour,size,note"] + [f"i{n},shirt {n},black,s{n % 5},{long}" for n in range(10)]
    (tmp_path / "c.csv").write_text("\n".join(rows) + "\n")
    items = load_catalog(tmp_path / "c.csv").items
    assert [it.metadata["colour"] for it in items] == ["black"] * 10
    assert len({id(it.metadata["colour"]) for it in items}) == 1
    assert [it.metadata["size"] for it in items] == [f"s{n % 5}" for n in range(10)]
    # s0, s1, s2 are shared (6 rows, 3 objects); s3 and s4 came after the cap: one object per row
    assert len({id(it.metadata["size"]) for it in items if it.metadata["size"] in ("s0", "s1", "s2")}) == 3
    assert len({id(it.metadata["size"]) for it in items if it.metadata["size"] in ("s3", "s4")}) == 4
    assert all(it.metadata["note"] == long for it in items)
    assert len({id(it.metadata["note"]) for it in items}) == 10
