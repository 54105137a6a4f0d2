"""The simulated shopper (benchmarks/shopper.py): its goals, phrasing and scoring on a tiny catalog
with known answers, and a smoke run through the shared servers (REST channel, Rasa NLU)."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks import shopper
from benchmarks.shopper import Catalog, Episode, Outcome

ROOT = Path(__file__).resolve().parents[1]


def _tiny() -> Catalog:
    """Seven items in two genders; the brand is the name's words before the gender."""
    rows = {}
    for i, (gender, kind, usage, colour, brand) in enumerate([
        ("Men", "Casual Shoes", "Casual", "Black", "Acme Co"),
        ("Men", "Sports Shoes", "Sports", "Black", "Acme Co"),
        ("Men", "Sports Shoes", "Sports", "Navy Blue", "Zed"),
        ("Men", "Casual Shoes", "Casual", "Navy Blue", "Zed"),
        ("Women", "Heels", "Party", "Red", "Zed"),
        ("Women", "Flats", "Casual", "Red", "Zed"),
        ("Men", "Casual Shoes", "Casual", "Black", "Zed"),
    ]):
        rows[str(i)] = {"id": str(i), "gender": gender, "articleType": kind, "usage": usage,
                        "baseColour": colour, "name": f"{brand} {gender} {colour} {kind}"}
    attrs = {"kind": {"column": "articleType", "role": "kind"}, "occasion": {"column": "usage", "role": "occasion"},
             "colour": {"column": "baseColour", "role": "colour"},
             "brand": {"column": "name", "brand_before": "gender", "role": "brand"}}
    return Catalog("tiny", rows, attrs, ["gender"], None, ["brand", "gender", "colour", "kind", "occasion"],
                   Path("unused"))


def test_the_brand_is_read_from_the_name() -> None:
    cat = _tiny()
    assert cat.values("0") == {"kind": "Casual Shoes", "occasion": "Casual", "colour": "Black", "brand": "Acme Co"}


def test_episodes_share_the_group_and_differ_in_one_to_three_attributes() -> None:
    cat = _tiny()
    eps = shopper.make_episodes(cat, 12, random.Random(3))
    assert Counter(len(e.differences) for e in eps) == {1: 4, 2: 4, 3: 4}
    for e in eps:
        assert cat.rows[e.start]["gender"] == cat.rows[e.target]["gender"]
        assert sorted(e.differences) == sorted(shopper.wrong(cat, e.start, e.target))
    assert shopper.make_episodes(cat, 12, random.Random(3)) == eps  # seeded


def test_each_turn_names_one_remaining_difference_in_its_own_words() -> None:
    cat = _tiny()
    ep = Episode(target="2", start="0", differences=["colour", "kind", "occasion", "brand"])
    rng = random.Random(0)
    attr, text = shopper.next_critique(cat, ep, "0", rng)
    assert attr == "colour" and "navy blue" in text
    attr, text = shopper.next_critique(cat, ep, "3", rng)  # colour and brand now right
    assert attr == "kind" and "sports shoes" in text
    assert shopper.next_critique(cat, ep, "2", rng) is None
    brand = {shopper.phrase("brand", "Acme Co", random.Random(s)) for s in range(30)}
    assert len(brand) >= 4 and all("Acme Co" in b for b in brand)
    sports = {shopper.phrase("occasion", "Sports", random.Random(s)) for s in range(30)}
    assert len(sports) >= 3 and all("sports" not in s.split() or "for sports" in s for s in sports)


def _listed(path: Path) -> list[str]:
    return [m.group(1).strip() for line in path.read_text(encoding="utf-8").splitlines()
            if (m := re.match(r"\s*- (.+)$", line))]


def _catalog_words() -> tuple[list[str], list[str]]:
    """Colours and kinds a shopper may name: the sample catalog's own values (its CSV) and the
    NLU vocabulary's (scripts/nlu_vocabulary.py: the colour dictionaries and hundreds of kinds)."""
    import csv
    import importlib.util

    from conftest import SAMPLE_CSV, ensure_sample_index

    if not SAMPLE_CSV.is_file():
        ensure_sample_index()
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    spec = importlib.util.spec_from_file_location("nlu_vocabulary", ROOT / "scripts" / "nlu_vocabulary.py")
    vocabulary = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(vocabulary)  # type: ignore[union-attr]
    colours = sorted({r["color_name"] for r in rows} | {r["hue_family"] for r in rows} | set(vocabulary.colours()))
    kinds = sorted({r["kind"] for r in rows} | set(vocabulary.all_kinds()))
    return colours, kinds


def test_phrasings_are_not_copied_from_the_training_data() -> None:
    """No sentence the shopper can say, with any colour or kind of the sample catalog or of the
    NLU's vocabulary, is a training example (entity annotations stripped)."""
    examples = {re.sub(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}", r"\1\2", e).lower()
                for path in (ROOT / "data" / "nlu").glob("*.yml") for e in _listed(path)}
    assert len(examples) > 200
    colours, kinds = _catalog_words()
    values = {"colour": colours, "kind": kinds,
              "brand": ["Nike", "Puma", "Zara"], "material": ["cotton", "linen", "leather", "wool"],
              "pattern": ["striped", "checked", "floral", "polka-dot"]}
    ours = {t.format(v=shopper.spoken(role, v)).lower() for role, ts in shopper.TEMPLATES.items()
            for t in ts for v in values[role]}
    ours |= {t.lower() for ts in (*shopper.OCCASION.values(), *shopper.PATTERN_WORDS.values()) for t in ts}
    assert not sorted(ours & examples)


def test_a_critique_that_breaks_a_right_attribute_counts_as_an_undo() -> None:
    cat = _tiny()
    out = Outcome(oracle=1)
    # target 0: Acme black casual shoes (Casual); at 3 (Zed navy casual shoes) "by Acme" shows
    # 1 (Acme black sports shoes): kind and occasion were right and are not any more
    assert shopper.score_turn(cat, out, "3", "1", "0", "brand") == "1"
    assert out.undid == 1 and out.turns == 1
    assert shopper.score_turn(cat, out, "1", None, "0", "kind") == "1"
    assert out.no_item == 1 and out.undid == 1 and out.turns == 2
    assert shopper.score_turn(cat, out, "1", "0", "0", "kind") == "0" and out.undid == 1
    assert out.named == {"brand": [1, 1], "kind": [1, 2]}  # the turn with no item counts as a miss


def test_the_retyping_baseline_searches_every_known_attribute() -> None:
    cat = _tiny()
    queries: list[str] = []

    class Hit:
        def __init__(self, item_id: str) -> None:
            self.item = type("I", (), {"id": item_id})()

    class Engine:  # the item whose name and usage the query says, else item 5
        def search(self, query: str, k: int = 10) -> list[Any]:
            queries.append(query)
            q = query.lower()
            for i, r in cat.rows.items():
                if all(w.lower() in q.split() for w in r["name"].split()) and f"for {r['usage'].lower()}" in q:
                    return [Hit(i)]
            return [Hit("5")]

    ep = Episode(target="2", start="3", differences=["kind", "occasion"])
    out = shopper.search_episode(Engine(), cat, ep)
    # turn 1 knows the kept colour and brand and the new kind; turn 2 adds the occasion
    assert queries == ["Zed men navy blue sports shoes", "Zed men navy blue sports shoes for sports"]
    assert out.reached and out.turns == 2 and out.undid == 1  # item 5 (red flats) broke the right colour


def test_shown_id_reads_the_custom_payload() -> None:
    assert shopper.shown_id([{"text": "hi"}, {"custom": {"type": "gradrec_item", "item": {"id": 42}}}]) == "42"
    assert shopper.shown_id([{"text": "Sorry"}]) is None and shopper.shown_id(None) is None


def test_smoke_through_the_shared_servers(assistant_servers: Any) -> None:
    cat = Catalog.load("sample")
    eps = shopper.make_episodes(cat, 2, random.Random(5))
    outs = asyncio.run(shopper.chat_all(assistant_servers.base_url, cat, eps, seed=5, concurrency=2,
                                        max_turns=2, tag="smoke"))
    assert len(outs) == 2
    for ep, out in zip(eps, outs):
        assert 1 <= out.turns <= 2 and len(out.said) == out.turns
        shown = [after for _, after in out.said if after is not None]
        assert shown and all(a in cat.rows for a in shown)  # the REST payload named catalog items
        assert out.reached == (not shopper.wrong(cat, shown[-1], ep.target))
    summary = shopper.summarise(outs)
    assert summary["episodes"] == 2 and 0.0 <= summary["undo_share"] <= 1.0
    table = shopper.markdown({"catalogs": {"sample": {"assistant": summary, "search": summary}}})
    assert "| sample | assistant (REST, Rasa NLU) | 2 |" in table
