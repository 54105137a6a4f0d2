"""Which column holds prices: named like a price (a currency code included), declared with
`--price-column`, or none, in which case "cheaper" and "under 50" are answered honestly ("no
prices") instead of being guessed from the item texts. Checked against the generated catalog's
prices."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest

from gradrec_core import CatalogSpec, Engine, index_catalog
from gradrec_core.critique import take_turn
from gradrec_core.types import CatalogError

ROOT = Path(__file__).resolve().parent.parent
COLOURS = ("navy", "black", "olive", "cream", "red")


def _write(path: Path, price_header: str, n: int = 90, seed: int = 11) -> list[dict[str, object]]:
    """Jackets and scarves whose price column is `price_header`; price unrelated to the text."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        kind = ("jacket", "scarf")[i % 2]
        colour = rng.choice(COLOURS)
        rows.append({"ref": f"R{i:03d}", "label": f"{colour.title()} wool {kind}", "type": kind,
                     "shade": colour, price_header: round(rng.uniform(10, 300), 2)})
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


def _spec(**kw: object) -> CatalogSpec:
    return CatalogSpec(id_column="ref", text_columns=("label",), category_column="type",
                       attribute_columns=("shade",), **kw)  # type: ignore[arg-type]


def _cheaper_holds(engine: Engine, column: str, prices: dict[str, float]) -> int:
    """Every "cheaper" step lands on a strictly cheaper item of the same kind; returns the steps taken."""
    steps = 0
    for seed in sorted(prices, key=prices.get, reverse=True)[:12]:  # type: ignore[arg-type]
        engine.start("p", seed)
        turn = take_turn(engine, "p", "cheaper")
        assert turn.plan.kind == "critique" and not turn.plan.unknown
        assert turn.step is not None and turn.step.item is not None, turn.answer
        assert prices[turn.step.item.id] < prices[seed], (seed, turn.step.item.id)
        assert turn.step.item.category == engine.item(seed).category
        steps += 1
        under = take_turn(engine, "p", "under 100")
        assert under.step is not None and under.step.item is not None
        assert prices[under.step.item.id] <= 100
    return steps


def test_a_currency_code_column_is_the_price(tmp_path: Path) -> None:
    rows = _write(tmp_path / "shop.csv", "eur")
    index_catalog(tmp_path / "shop.csv", tmp_path / "index", _spec())
    engine = Engine.open(tmp_path / "index")
    assert engine.index.schema.price is not None and engine.index.schema.price.name == "eur"
    assert _cheaper_holds(engine, "eur", {str(r["ref"]): float(r["eur"]) for r in rows}) == 12  # type: ignore[arg-type]


def test_price_column_flag(tmp_path: Path) -> None:
    """`gradrec index --price-column tariff`: a name nothing would guess."""
    rows = _write(tmp_path / "shop.csv", "tariff")
    out = subprocess.run([sys.executable, "-m", "gradrec_core.cli", "index", str(tmp_path / "shop.csv"),
                          "--out", str(tmp_path / "index"), "--id-column", "ref", "--text-columns", "label",
                          "--category-column", "type", "--attribute-columns", "shade", "--price-column", "tariff"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    engine = Engine.open(tmp_path / "index")
    price = engine.index.schema.price
    assert price is not None and price.name == "tariff"
    prices = {str(r["ref"]): float(r["tariff"]) for r in rows}  # type: ignore[arg-type]
    assert _cheaper_holds(engine, "tariff", prices) == 12
    engine.start("q", "R000")
    turn = take_turn(engine, "q", "how much is it?")
    assert turn.values is not None and turn.values.current == prices["R000"]


def test_no_price_column_says_so_and_keeps_the_item(tmp_path: Path) -> None:
    """Without a price column nothing is guessed: the item stays, the session is unchanged."""
    _write(tmp_path / "shop.csv", "tariff")
    index_catalog(tmp_path / "shop.csv", tmp_path / "index", _spec())
    engine = Engine.open(tmp_path / "index")
    assert engine.index.schema.price is None
    engine.start("n", "R001")
    for said in ("cheaper", "a bit cheaper", "more expensive", "under 50", "between 20 and 40", "much cheaper"):
        turn = take_turn(engine, "n", said)
        assert turn.plan.kind == "none" and turn.plan.unknown, said
        assert turn.step is None and "prices" in turn.answer, (said, turn.answer)
        state = engine.state("n")
        assert state is not None and state.current is not None and state.current.id == "R001"
    start = engine.item("R001").metadata["shade"]
    other = next(c for c in COLOURS if c != start)
    both = take_turn(engine, "n", f"cheaper and in {other}")  # the part it can do is done, the rest named
    assert both.plan.kind == "critique" and both.plan.unknown == ("cheaper",)
    assert both.step is not None and both.step.item is not None
    assert both.step.item.metadata["shade"] == other and "prices" in both.answer


@pytest.mark.parametrize("flag, message", [
    ({"price_column": "nope"}, "no price column 'nope'"),
    ({"price_column": "shade"}, "price column 'shade': item 'R000' has"),
])
def test_price_column_errors(tmp_path: Path, flag: dict[str, str], message: str) -> None:
    _write(tmp_path / "shop.csv", "tariff", n=10)
    spec = CatalogSpec(id_column="ref", text_columns=("label",), category_column="type", **flag)  # type: ignore[arg-type]
    with pytest.raises(CatalogError, match=message):
        index_catalog(tmp_path / "shop.csv", tmp_path / "index", spec)


def test_the_chat_offers_no_cheaper_without_prices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The actions on a catalog without prices: no "cheaper" chip; a typed "cheaper" is answered
    with "no prices" and the conversation stays on its item."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions import shop
    from actions.actions import ActionRefine, ActionSearchItem

    _write(tmp_path / "shop.csv", "tariff")
    index_catalog(tmp_path / "shop.csv", tmp_path / "index", _spec())
    monkeypatch.setenv("GRADREC_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("GRADREC_DB_URL", f"sqlite:///{tmp_path / 'sessions.db'}")
    shop.reset_engine()
    try:
        def run(action: object, text: str, intent: str, slots: dict[str, object]) -> tuple[list, list]:  # type: ignore[type-arg]
            dispatcher = CollectingDispatcher()
            tracker = Tracker.from_dict({
                "sender_id": "no-prices", "slots": slots, "events": [], "paused": False,
                "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
                "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"})
            return dispatcher.messages, action.run(dispatcher, tracker, {})  # type: ignore[attr-defined]

        messages, _ = run(ActionSearchItem(), "show me a navy wool jacket", "search_item", {})
        [shown] = messages
        item = shown["custom"]["item"]
        chips = [b["title"] for b in shown["buttons"]]
        assert item["category"] == "jacket" and "cheaper" not in chips and "go back" not in chips  # a first item
        assert chips[-1] == "I'll take it"
        assert item["name"].lower().endswith("wool jacket")
        messages, events = run(ActionRefine(), "cheaper", "refine", {"current_item": item["id"]})
        assert "prices" in messages[0]["text"]
        assert not any(e.get("name") == "current_item" and e.get("value") != item["id"] for e in events)
        state = shop.engine().state("no-prices")
        assert state is not None and state.current is not None and state.current.id == item["id"]
    finally:
        shop.reset_engine()
