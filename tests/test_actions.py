"""Each custom action with real trackers (Tracker.from_dict), the real domain and the real
engine on the sample catalog; items checked against the catalog's ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture(scope="module", autouse=True)
def engine_env(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from actions import shop

    mp = pytest.MonkeyPatch()
    mp.setenv("GRADREC_INDEX", str(sample_index_dir))
    mp.setenv("GRADREC_DB_URL", f"sqlite:///{tmp_path_factory.mktemp('db') / 'sessions.db'}")
    shop.reset_engine()
    yield
    shop.reset_engine()
    mp.undo()


def tracker(text: str, intent: str, sender: str, entities: list[dict[str, Any]] | None = None,
            slots: dict[str, Any] | None = None, events: list[dict[str, Any]] | None = None,
            confidence: float = 1.0, ranking: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": entities or [], "intent_ranking": ranking or []},
        "events": events or [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def run(action: Any, text: str, intent: str, sender: str, domain: dict[str, Any],
        **kw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(text, intent, sender, **kw), domain)
    return dispatcher.messages, events


def item_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    [message] = messages
    assert message["text"] and message["custom"]["type"] == "gradrec_item"
    return message["custom"]["item"]


def engine_item(card: dict[str, Any]) -> Any:
    from actions.shop import engine

    return engine().item(card["id"])


def lightness(card: dict[str, Any]) -> float:
    from actions.shop import engine

    return float(engine().item(card["id"]).metadata["lightness"])


def test_actions_are_the_domains(domain: dict[str, Any]) -> None:
    from actions import actions

    names = {cls().name() for cls in (actions.ActionSessionStart, actions.ActionGreet, actions.ActionSearchItem,
                                      actions.ActionRefine,
                                      actions.ActionAnother, actions.ActionUndo, actions.ActionChoose,
                                      actions.ActionRestart, actions.ActionRepeat, actions.ActionDescribe,
                                      actions.ActionNluFallback)}
    assert names == set(domain["actions"])


def test_a_shopping_conversation(domain: dict[str, Any]) -> None:
    from actions.actions import ActionAnother, ActionChoose, ActionRefine, ActionRestart, ActionSearchItem, ActionUndo

    who = "shopper-1"
    messages, events = run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain)
    seed = item_of(messages)
    assert seed["category"] == "polo shirt" and seed["image"].startswith("http")  # a URL, never a server path
    assert seed["image"].endswith(f"/images/{seed['id']}") and Path(engine_item(seed).image).is_file()
    # each card value labelled by its column (color_name -> "color"), the price in the shop's currency
    md = engine_item(seed).metadata
    assert seed["attributes"]["color"] == md["color_name"] and messages[0]["image"] == seed["image"]
    assert seed["attributes"]["price"] == f"${md['price']}"
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[-1] == "I'll take it" and "go back" not in titles  # the first item: nothing to go back to
    assert SlotSet("current_item", seed["id"]) in events

    messages, events = run(ActionRefine(), "something darker", "refine", who, domain,
                           entities=[{"entity": "attribute", "value": "darker"}])
    darker = item_of(messages)
    step = messages[0]["custom"]["step"]
    assert messages[0]["text"].startswith("Here's one that's darker: ")
    assert step["step_number"] == 1 and 0 <= step["confidence"] <= 1 and step["end_reached"] is False
    assert [b["title"] for b in messages[0]["buttons"]][-2:] == ["go back", "I'll take it"]
    assert darker["category"] == "polo shirt" and lightness(darker) < lightness(seed)
    # only the slots the actions own: the critique's words are read from the message, never kept
    assert {e["name"] for e in events if e["event"] == "slot"} == {"current_item", "step_number"}

    messages, _ = run(ActionUndo(), "go back", "undo", who, domain)
    assert item_of(messages)["id"] == seed["id"]
    messages, _ = run(ActionUndo(), "go back", "undo", who, domain)
    assert "first item" in messages[0]["text"] and not messages[0].get("custom")

    messages, _ = run(ActionAnother(), "another one", "another", who, domain)
    other = item_of(messages)
    assert other["id"] not in (seed["id"], darker["id"]) and other["category"] == "polo shirt"

    messages, _ = run(ActionChoose(), "i'll take it", "choose", who, domain)
    assert messages[0]["custom"]["item"]["id"] == other["id"] and "Great choice" in messages[0]["text"]

    messages, events = run(ActionRestart(), "start over", "restart", who, domain)
    assert events == [{"event": "restart", "timestamp": None}]
    messages, _ = run(ActionRefine(), "darker", "refine", who, domain)
    assert "find an item first" in messages[0]["text"]


def test_two_critiques_in_one_message(domain: dict[str, Any]) -> None:
    """A compound critique is one step that satisfies both parts, checked on ground truth."""
    from actions.actions import ActionRefine, ActionSearchItem
    from actions.shop import engine

    who = "shopper-2"
    seed = item_of(run(ActionSearchItem(), "a red maxi dress", "search_item", who, domain)[0])
    messages, _ = run(ActionRefine(), "darker and shorter", "refine", who, domain)
    text = messages[0]["text"]
    assert "darker" in text and "shorter" in text
    state = engine().state(who)
    assert len(state.steps) == 1
    plan = messages[0]["custom"]["step"]["plan"]
    assert [s["attribute"] for s in plan["steps"]] == ["dark", "short"]
    got = item_of(messages)
    assert state.current.id == got["id"] != seed["id"]
    before, after = engine().item(seed["id"]).metadata, engine().item(got["id"]).metadata
    assert float(after["lightness"]) < float(before["lightness"])
    assert float(after["length"]) < float(before["length"])
    assert engine().item(got["id"]).category == "dress"


def test_open_vocabulary_and_intensity(domain: dict[str, Any]) -> None:
    from actions.actions import ActionRefine, ActionSearchItem
    from actions.shop import engine

    who = "shopper-3"
    run(ActionSearchItem(), "white sneakers", "search_item", who, domain)
    messages, _ = run(ActionRefine(), "greener", "refine", who, domain)
    assert messages and messages[0]["text"]
    [op] = messages[0]["custom"]["step"]["plan"]["steps"]
    assert op["op"] == "comparative" and "green" in op["exemplar"]
    run(ActionSearchItem(), "blue polo shirt", "search_item", who, domain)
    messages, _ = run(ActionRefine(), "much darker", "refine", who, domain)
    [op] = messages[0]["custom"]["step"]["plan"]["steps"]
    assert op["intensity"] == 2.0


@pytest.mark.parametrize("text, intent, entities", [
    ("", "refine", []),
    ("x" * 5000, "refine", []),
    ("😀😀😀", "search_item", []),
    ("/search_item", "search_item", [{"entity": "item_id", "value": "no-such-item"}]),
])
def test_bad_input_gets_a_helpful_answer(domain: dict[str, Any], text: str, intent: str,
                                         entities: list[dict[str, Any]]) -> None:
    from actions.actions import ActionRefine, ActionSearchItem

    action = ActionRefine() if intent == "refine" else ActionSearchItem()
    messages, _ = run(action, text, intent, "shopper-bad", domain, entities=entities)
    assert len(messages) == 1 and messages[0]["text"]
    assert "went wrong" not in messages[0]["text"]


def test_widget_can_open_an_item_by_id(domain: dict[str, Any]) -> None:
    from actions.actions import ActionSearchItem

    messages, _ = run(ActionSearchItem(), '/search_item{"item_id": "skirt-0001"}', "search_item", "w",
                      domain, entities=[{"entity": "item_id", "value": "skirt-0001"}])
    assert item_of(messages)["id"] == "skirt-0001"


def test_session_start_restores_the_engine_session(domain: dict[str, Any]) -> None:
    from actions import shop
    from actions.actions import ActionRefine, ActionSearchItem, ActionSessionStart

    who = "shopper-restart"
    run(ActionSearchItem(), "black heels", "search_item", who, domain)
    darker_first = item_of(run(ActionRefine(), "higher", "refine", who, domain)[0])
    shop.reset_engine()  # the action server restarts: a new engine over the same store
    _, events = run(ActionSessionStart(), "", "session_start", who, domain)
    assert events[0] == {"event": "session_started", "timestamp": None}
    assert SlotSet("current_item", darker_first["id"]) in events
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"


def test_asking_for_the_colour_it_already_has(domain: dict[str, Any]) -> None:
    from actions.actions import ActionRefine, ActionSearchItem
    from actions.shop import engine

    who = "shopper-black"
    seed = item_of(run(ActionSearchItem(), "/search_item", "search_item", who, domain,
                       entities=[{"entity": "item_id", "value": next(
                           i.id for i in engine().index.items if i.metadata["color_name"] == "black"
                           and i.category == "heels")}])[0])
    messages, _ = run(ActionRefine(), "does it come in black", "refine", who, domain)
    assert "already black" in messages[0]["text"]
    assert engine().state(who).current.id == seed["id"]


def test_end_of_walk_says_so_and_keeps_the_step_count(domain: dict[str, Any]) -> None:
    """"darker" again and again: every step darker on ground truth, until the end, which
    says so, offers the closest items, and keeps the session where it was."""
    from actions.actions import ActionRefine, ActionSearchItem
    from actions.shop import engine

    who = "shopper-end"
    seed = item_of(run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain)[0])
    previous, last = lightness(seed), seed
    polos = sum(1 for i in engine().index.items if i.category == "polo shirt")
    for _ in range(polos):
        messages, events = run(ActionRefine(), "darker", "refine", who, domain)
        if messages[0]["custom"]["type"] != "gradrec_item":
            break
        got = item_of(messages)
        assert lightness(got) < previous and got["category"] == "polo shirt"
        previous, last = lightness(got), got
    else:
        pytest.fail(f"{polos} darker steps and the walk never ended")
    assert "as far as it goes" in messages[0]["text"]
    assert messages[0]["custom"]["type"] == "gradrec_answer" and messages[0]["custom"]["step"]["end_reached"]
    assert messages[0]["custom"]["step"]["alternatives"]
    state = engine().state(who)
    # no false end: no unseen polo is a visible shade (2 L*) darker than the last one shown
    assert not any(float(i.metadata["lightness"]) < previous - 2.0 for i in engine().index.items
                   if i.category == "polo shirt" and i.id not in state.seen)
    assert state.current.id == last["id"]  # the end moved nothing
    assert SlotSet("current_item", last["id"]) not in events


def test_repeat_and_describe(domain: dict[str, Any]) -> None:
    """"say that again": the last reply again; "what is it?": the current item in full, on a chat
    channel with its card, on the voice channel as one spoken sentence."""
    from actions.actions import ActionDescribe, ActionRepeat, ActionSearchItem
    from actions.shop import engine, spoken_name

    who = "shopper-repeat"
    messages, _ = run(ActionSearchItem(), "show me a red maxi dress", "search_item", who, domain)
    card = item_of(messages)
    last = messages[0]
    bot = {"event": "bot", "text": last["text"],
           "data": {"image": last["image"], "buttons": last["buttons"], "custom": last["custom"]}}
    again, _ = run(ActionRepeat(), "say that again", "repeat", who, domain, events=[bot])
    assert again[0]["text"] == last["text"] and item_of(again)["id"] == card["id"]
    assert again[0]["buttons"] == last["buttons"] and again[0]["image"] == last["image"]
    nothing, _ = run(ActionRepeat(), "say that again", "repeat", "shopper-new", domain)
    assert "haven't said anything" in nothing[0]["text"]

    item = engine().item(card["id"])
    described, _ = run(ActionDescribe(), "what is it?", "describe", who, domain)
    assert item_of(described)["id"] == card["id"] and spoken_name(item) in described[0]["text"]
    voice = [{"event": "user", "text": "what is it?", "input_channel": "twilio_voice"}]
    said, _ = run(ActionDescribe(), "what is it?", "describe", who, domain, events=voice)
    assert len(said) == 1 and {k for k, v in said[0].items() if v} == {"text"}, said  # no card, image, chips
    price = float(item.metadata["price"])
    assert spoken_name(item) in said[0]["text"] and f"{int(price)} dollars" in said[0]["text"]
    assert card["id"] not in said[0]["text"] and "/" not in said[0]["text"]


# ---------------------------------------------------------------- carousels (the web chat)

WEB = [{"event": "user", "text": "hi", "input_channel": "socketio"}]  # the web chat's channel
VOICE = [{"event": "user", "text": "hi", "input_channel": "twilio_voice"}]


def picked_id(payload: str) -> str:
    import json

    assert payload.startswith("/another{"), payload
    return str(json.loads(payload[len("/another"):])["item_id"])


def test_what_colours_offers_one_item_per_colour_and_a_pick_continues_from_it(
        domain: dict[str, Any], truth: dict[str, dict[str, str]]) -> None:
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem, ActionUndo
    from actions.shop import engine

    who = "shopper-colours"
    seed = item_of(run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain, events=WEB)[0])
    mine = truth[seed["id"]]
    messages, events = run(ActionRefine(), "what colours does it come in?", "ask", who, domain, events=WEB)
    [message] = messages
    assert message["custom"]["type"] == "gradrec_answer" and "Pick one" in message["text"]
    examples = message["custom"]["step"]["examples"]
    values = [e["value"] for e in examples]
    assert len(examples) >= 2 and len(set(values)) == len(values), values  # one card per colour
    assert mine["hue_family"] not in values  # its own colour is the item itself: not offered
    named = message["text"].lower()
    for e in examples:
        row = truth[e["item"]["id"]]
        assert row["hue_family"] == e["value"], (e["value"], row)  # the card really has that colour
        assert row["kind"] == mine["kind"]  # the kind is kept
        assert e["value"] in named  # the sentence names it too
        assert picked_id(e["item"]["pick"]["payload"]) == e["item"]["id"]
        assert e["item"]["image"].endswith(f"/images/{e['item']['id']}")
    assert not [ev for ev in events if ev.get("name") == "current_item"]  # a question moves nothing
    assert engine().state(who).current.id == seed["id"]

    # the shopper clicks one card's button: that item becomes the current one, as one step
    choice = examples[-1]["item"]
    messages, events = run(ActionAnother(), choice["pick"]["payload"], "another", who, domain, events=WEB,
                           entities=[{"entity": "item_id", "value": choice["id"]}])
    assert item_of(messages)["id"] == choice["id"] and SlotSet("current_item", choice["id"]) in events
    assert engine().state(who).current.id == choice["id"]
    # "something darker" goes on from the picked item (ground truth: lightness, kind)
    darker = item_of(run(ActionRefine(), "something darker", "refine", who, domain, events=WEB)[0])
    assert float(truth[darker["id"]]["lightness"]) < float(truth[choice["id"]]["lightness"])
    assert truth[darker["id"]]["kind"] == mine["kind"]
    # and "go back" goes back through the pick
    assert item_of(run(ActionUndo(), "go back", "undo", who, domain)[0])["id"] == choice["id"]
    assert item_of(run(ActionUndo(), "go back", "undo", who, domain)[0])["id"] == seed["id"]


def test_a_picked_colour_replaces_an_earlier_colour_wish(domain: dict[str, Any],
                                                         truth: dict[str, dict[str, str]]) -> None:
    """"in black", then a red card picked, then "cheaper": cheaper in red, not back to black."""
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem

    who = "shopper-wish"
    run(ActionSearchItem(), "show me white low-top sneakers", "search_item", who, domain, events=WEB)
    black = item_of(run(ActionRefine(), "in black", "refine", who, domain, events=WEB)[0])
    assert truth[black["id"]]["hue_family"] == "black"
    [message], _ = run(ActionRefine(), "what colours does it come in?", "ask", who, domain, events=WEB)
    other = next(e for e in message["custom"]["step"]["examples"]
                 if e["value"] != "black" and float(truth[e["item"]["id"]]["price"]) > 20)
    run(ActionAnother(), other["item"]["pick"]["payload"], "another", who, domain, events=WEB,
        entities=[{"entity": "item_id", "value": other["item"]["id"]}])
    messages, _ = run(ActionRefine(), "something cheaper", "refine", who, domain, events=WEB)
    cheaper = item_of(messages)
    assert truth[cheaper["id"]]["hue_family"] == other["value"], (other["value"], truth[cheaper["id"]])
    assert float(truth[cheaper["id"]]["price"]) < float(truth[other["item"]["id"]]["price"])


def test_a_colour_picked_from_the_colours_carousel_is_kept(domain: dict[str, Any],
                                                           truth: dict[str, dict[str, str]]) -> None:
    """A black knee-length dress, "what colours does it come in?", "This one in blue" picked, then
    "a bit longer": a longer dress still in blue (ground truth: the CSV's colour family and 1-5
    length), not the almost black one the pick used to lose its colour to."""
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem

    who = "shopper-picked-blue"
    seed = item_of(run(ActionSearchItem(), "show me a black knee-length cocktail dress", "search_item", who, domain,
                       events=WEB)[0])
    assert truth[seed["id"]]["hue_family"] != "blue" and int(truth[seed["id"]]["length"]) < 5
    [message], _ = run(ActionRefine(), "what colours does it come in?", "ask", who, domain, events=WEB)
    blue = next(e for e in message["custom"]["step"]["examples"] if e["value"] == "blue")["item"]
    shown = WEB + [{"event": "bot", "text": message["text"], "data": {"custom": message["custom"]}}]
    run(ActionAnother(), blue["pick"]["payload"], "another", who, domain, events=shown,
        entities=[{"entity": "item_id", "value": blue["id"]}])
    longer = item_of(run(ActionRefine(), "a bit longer", "refine", who, domain, events=WEB)[0])
    assert truth[longer["id"]]["hue_family"] == "blue", truth[longer["id"]]["name"]
    assert int(truth[longer["id"]]["length"]) > int(truth[blue["id"]]["length"])


def test_something_completely_different_is_another_style_not_a_twin(domain: dict[str, Any],
                                                                    truth: dict[str, dict[str, str]]) -> None:
    """Read as "another" by the NLU, "show me something completely different" still answers one
    item of the kind that differs in most attributes (the CSV's columns), not three near twins."""
    from actions.actions import ActionAnother, ActionSearchItem

    who = "shopper-different"
    seed = item_of(run(ActionSearchItem(), "show me a blue wrap dress", "search_item", who, domain, events=WEB)[0])
    got = item_of(run(ActionAnother(), "show me something completely different", "another", who, domain,
                      events=WEB)[0])
    a, b = truth[seed["id"]], truth[got["id"]]
    assert b["kind"] == a["kind"]
    columns = ("hue_family", "length_name", "sleeve_name", "formality_name", "fit", "material", "pattern")
    assert sum(a[c] != b[c] for c in columns) >= 4, (a["name"], b["name"])


def test_another_one_offers_alternatives_side_by_side(domain: dict[str, Any],
                                                      truth: dict[str, dict[str, str]]) -> None:
    """On the web chat "another one" shows three alternatives; the current item stays until one
    is picked; none is offered twice; each keeps what was asked ("in black") and the kind."""
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem, ActionUndo
    from actions.shop import engine

    who = "shopper-another"
    seed = item_of(run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain, events=WEB)[0])
    black = item_of(run(ActionRefine(), "in black", "refine", who, domain, events=WEB)[0])
    offered: list[str] = []
    for _ in range(2):
        [message], events = run(ActionAnother(), "another one", "another", who, domain, events=WEB)
        assert message["custom"]["type"] == "gradrec_alternatives" and "Pick one" in message["text"]
        assert message["custom"]["item"]["id"] == black["id"]
        assert [b["title"] for b in message["buttons"]][-2:] == ["go back", "I'll take it"]
        ids = [picked_id(c["pick"]["payload"]) for c in message["custom"]["step"]["choices"]]
        assert ids == [c["id"] for c in message["custom"]["step"]["choices"]]
        assert len(ids) == 3 and len(set(ids)) == 3 and black["id"] not in ids and seed["id"] not in ids
        assert all(truth[i]["kind"] == "polo shirt" and truth[i]["hue_family"] == "black" for i in ids), ids
        assert events == [] and engine().state(who).current.id == black["id"]  # nothing picked yet
        assert not set(ids) & set(offered)  # never offered twice
        offered += ids
    messages, events = run(ActionAnother(), "/another", "another", who, domain, events=WEB,
                           entities=[{"entity": "item_id", "value": offered[4]}])
    assert item_of(messages)["id"] == offered[4] and engine().state(who).current.id == offered[4]
    assert item_of(run(ActionUndo(), "go back", "undo", who, domain)[0])["id"] == black["id"]
    # an unknown id is not echoed back and changes nothing
    messages, _ = run(ActionAnother(), "/another", "another", who, domain, events=WEB,
                      entities=[{"entity": "item_id", "value": "<b>no-such</b>"}])
    assert "can't find that item" in messages[0]["text"] and "no-such" not in messages[0]["text"]
    assert engine().state(who).current.id == black["id"]


def test_voice_hears_the_colours_and_the_next_item_without_cards(domain: dict[str, Any],
                                                                   truth: dict[str, dict[str, str]]) -> None:
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem

    who = "caller-colours"
    run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain, events=VOICE)
    said, _ = run(ActionRefine(), "what colours does it come in?", "ask", who, domain, events=VOICE)
    assert len(said) == 1 and {k for k, v in said[0].items() if v} == {"text"}, said
    assert "Items like this one come in" in said[0]["text"] and "Pick" not in said[0]["text"]
    said, events = run(ActionAnother(), "another one", "another", who, domain, events=VOICE)
    assert len(said) == 1 and {k for k, v in said[0].items() if v} == {"text"}, said
    [current] = [e["value"] for e in events if e.get("name") == "current_item"]
    assert truth[current]["kind"] == "polo shirt" and said[0]["text"].startswith("Here's another one: ")


def test_alternatives_to_a_step_answer_the_same_critique(domain: dict[str, Any],
                                                         truth: dict[str, dict[str, str]]) -> None:
    """"something darker", then "another one": each alternative is also darker than the item
    the critique was made on (ground truth), of the same kind; picking one keeps the walk going."""
    from actions.actions import ActionAnother, ActionRefine, ActionSearchItem

    who = "shopper-alternatives"
    seed = item_of(run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain, events=WEB)[0])
    darker = item_of(run(ActionRefine(), "something darker", "refine", who, domain, events=WEB)[0])
    [message], _ = run(ActionAnother(), "another one", "another", who, domain, events=WEB)
    ids = [c["id"] for c in message["custom"]["step"]["choices"]]
    L = lambda i: float(truth[i]["lightness"])  # noqa: E731
    assert len(ids) == 3 and darker["id"] not in ids
    assert all(L(i) < L(seed["id"]) and truth[i]["kind"] == "polo shirt" for i in ids), [L(i) for i in ids]
    pick = item_of(run(ActionAnother(), "/another", "another", who, domain, events=WEB,
                       entities=[{"entity": "item_id", "value": ids[0]}])[0])
    assert pick["id"] == ids[0]
    even = item_of(run(ActionRefine(), "even darker", "refine", who, domain, events=WEB)[0])
    assert L(even["id"]) < L(ids[0]) and truth[even["id"]]["kind"] == "polo shirt"


def test_chips_are_what_the_item_and_the_catalog_allow(domain: dict[str, Any], truth: dict[str, dict[str, str]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chip checked against the catalog CSV: "darker" / "lighter" only when an item of the
    kind is darker / lighter (its lightness, by more than a just-noticeable 2 L*), "cheaper" and
    "higher heel" only when one is cheaper / higher, "shorter" / "longer" never on an item with
    no length nor toward the end its length names, "in <colour>" never its own colour, "go
    back" only after a step; and the prices in the shop's currency (GRADREC_CURRENCY)."""
    from actions.actions import ActionRefine, ActionSearchItem

    monkeypatch.setenv("GRADREC_CURRENCY", "euros")
    rows = list(truth.values())

    def kind_of(r: dict[str, str]) -> list[dict[str, str]]:
        return [o for o in rows if o["kind"] == r["kind"] and o["id"] != r["id"]]

    def darkest(kind: str, family: str) -> dict[str, str]:
        return min((r for r in rows if r["kind"] == kind and r["hue_family"] == family),
                   key=lambda r: float(r["lightness"]))

    seeds = [darkest("sneakers", "black"), next(r for r in rows if r["kind"] == "skirt" and r["length_name"] == "mini"),
             next(r for r in rows if r["kind"] == "coat"), next(r for r in rows if r["length_name"] == "maxi"),
             max((r for r in rows if r["kind"] == "heels"), key=lambda r: float(r["heel_cm"]))]
    assert seeds[0]["hue_family"] == "black" and seeds[2]["length_name"] == ""
    for n, r in enumerate(seeds):
        who = f"chips-{n}"
        [message], _ = run(ActionSearchItem(), "/search_item", "search_item", who, domain,
                           entities=[{"entity": "item_id", "value": r["id"]}])
        chips = [b["title"] for b in message["buttons"]]
        others = kind_of(r)
        L, price = float(r["lightness"]), float(r["price"])
        assert ("darker" in chips) == any(float(o["lightness"]) < L - 2.0 for o in others), (r["id"], chips)
        assert ("lighter" in chips) == any(float(o["lightness"]) > L + 2.0 for o in others), (r["id"], chips)
        assert ("cheaper" in chips) == any(float(o["price"]) < price for o in others), (r["id"], chips)
        if r["heel_cm"]:
            higher = any(o["heel_cm"] and float(o["heel_cm"]) > float(r["heel_cm"]) for o in others)
            assert ("higher heel" in chips) == higher, (r["id"], chips)
        if not r["length_name"]:
            assert "shorter" not in chips and "longer" not in chips, (r["id"], chips)
        if r["length_name"] in ("mini", "cropped"):
            assert "shorter" not in chips and "longer" in chips, (r["id"], chips)
        if r["length_name"] == "maxi":
            assert "longer" not in chips and "shorter" in chips, (r["id"], chips)
        colours = [c[len("in "):] for c in chips if c.startswith("in ")]
        assert all(c != r["hue_family"] and any(o["hue_family"] == c for o in others) for c in colours), chips
        assert "go back" not in chips and chips[-1] == "I'll take it"
        assert message["custom"]["item"]["attributes"]["price"] == f"€{r['price']}"
    assert "higher heel" not in [b["title"] for b in message["buttons"]]  # the highest heels there are

    # chips after every reply about the current item, not only after a new item
    who = "chips-0"
    [answer], _ = run(ActionRefine(), "how much is it?", "ask", who, domain)
    assert answer["text"].startswith(f"It's €{seeds[0]['price']}.") and answer["buttons"]
    [already], _ = run(ActionRefine(), "in black", "refine", who, domain)
    assert "already black" in already["text"] and "in black" not in [b["title"] for b in already["buttons"]]
    [step], _ = run(ActionRefine(), "a bit lighter", "refine", who, domain)
    assert "go back" in [b["title"] for b in step["buttons"]]
    [nothing], _ = run(ActionRefine(), "with long sleeves", "refine", who, domain)  # no sneakers have sleeves
    assert nothing["custom"]["step"]["end_reached"] and nothing["buttons"], nothing
    names = [spoken(c) for c in nothing["custom"]["step"]["alternatives"]]
    assert names and all(name in nothing["text"] for name in names)  # every card shown is named


def spoken(card: dict[str, Any]) -> str:
    from actions.shop import spoken_name

    return spoken_name(engine_item(card))


def test_the_greeting_offers_searches_this_catalog_answers(domain: dict[str, Any],
                                                          truth: dict[str, dict[str, str]]) -> None:
    """"hi": the greeting with chips, each a search for a kind and colour the catalog CSV has;
    with an item already shown, that item's chips instead."""
    from actions.actions import ActionGreet, ActionSearchItem

    [message], _ = run(ActionGreet(), "hi", "greet", "greeter", domain)
    assert message["response"] == "utter_greet"
    chips = [b["title"] for b in message["buttons"]]
    assert len(chips) >= 2
    pairs = {(r["hue_family"], r["kind"]) for r in truth.values()}
    for chip in chips:
        assert chip.startswith("show me "), chip
        assert any(chip.endswith(f"{colour} {kind}") for colour, kind in pairs), chip
    seed = item_of(run(ActionSearchItem(), "show me a blue polo shirt", "search_item", "greeter", domain)[0])
    [message], _ = run(ActionGreet(), "hi", "greet", "greeter", domain)
    assert "I'll take it" in [b["title"] for b in message["buttons"]] and seed


@pytest.mark.parametrize("action_name", ["ActionUndo", "ActionChoose", "ActionRestart"])
def test_an_unsure_state_change_goes_to_the_planner(domain: dict[str, Any], action_name: str) -> None:
    """"go back" / "I'll take it" / "start over" change what the shopper has: below the confidence
    threshold (actions/confidence.py) the sentence is the planner's, here a colour substitution
    checked on the catalog's hue family; at the threshold the action does its own job."""
    from actions import actions
    from actions.confidence import MIN_CONFIDENCE

    who = f"shopper-unsure-{action_name}"
    seed = item_of(run(actions.ActionSearchItem(), "show me a white polo shirt", "search_item", who, domain)[0])
    intent = {"ActionUndo": "undo", "ActionChoose": "choose", "ActionRestart": "restart"}[action_name]
    messages, events = run(getattr(actions, action_name)(), "do you have it in black?", intent, who, domain,
                           confidence=MIN_CONFIDENCE - 0.05)
    black = item_of(messages)
    assert black["id"] != seed["id"] and engine_item(black).metadata["hue_family"] == "black"
    assert black["category"] == seed["category"] and SlotSet("current_item", black["id"]) in events
    messages, events = run(getattr(actions, action_name)(), "go back", intent, who, domain, confidence=MIN_CONFIDENCE)
    said = messages[0]["text"]
    expected = {"undo": "Back to the previous one", "choose": "Great choice", "restart": "start over"}[intent]
    assert expected in said, said


def test_a_sentence_naming_an_item_with_none_shown_is_a_search(domain: dict[str, Any]) -> None:
    """An item sentence read as a critique before any item was shown (the issue's "show me <brand>
    Women Casual Beige Heels" -> "Let's find an item first") searches; a comparative still asks for
    an item first."""
    from actions.actions import ActionRefine
    from actions.shop import engine

    who = "shopper-first-words"
    messages, _ = run(ActionRefine(), "do you have black heels", "refine", who, domain)
    shown = engine_item(item_of(messages))
    assert shown.category == "heels" and shown.metadata["hue_family"] == "black"
    assert engine().state(who).current.id == shown.id
    for text, confidence in (("a bit darker", 1.0), ("x" * 300, 0.52)):  # a change; an unsure guess
        messages, _ = run(ActionRefine(), text, "refine", "shopper-first-words-2", domain, confidence=confidence)
        assert "find an item first" in messages[0]["text"] and not messages[0].get("custom")


def test_an_unsure_nlu_between_item_intents_goes_to_the_planner(domain: dict[str, Any]) -> None:
    """`nlu_fallback` because the NLU could not tell a new item from a change of this one: the
    planner answers (a colour substitution, checked on the catalog); unsure between other intents:
    "Sorry, I didn't get that" and an example."""
    from actions.actions import ActionNluFallback, ActionSearchItem

    who = "shopper-fallback"
    seed = item_of(run(ActionSearchItem(), "show me a white polo shirt", "search_item", who, domain)[0])
    unsure = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "refine", "confidence": 0.52},
              {"name": "search_item", "confidence": 0.46}]
    black = item_of(run(ActionNluFallback(), "do you have it in black?", "nlu_fallback", who, domain,
                        confidence=0.4, ranking=unsure)[0])
    assert black["category"] == seed["category"] and engine_item(black).metadata["hue_family"] == "black"
    lost = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "thanks", "confidence": 0.34},
            {"name": "refine", "confidence": 0.2}]
    # a misspelt critique the NLU does not know ("cheeper"): the planner reads it; the price falls
    cheaper = item_of(run(ActionNluFallback(), "cheeper", "nlu_fallback", who, domain, confidence=0.4,
                          ranking=lost)[0])
    price = lambda card: float(engine_item(card).metadata["price"])  # noqa: E731
    assert cheaper["category"] == seed["category"] and price(cheaper) < price(black)
    messages, events = run(ActionNluFallback(), "blorp", "nlu_fallback", who, domain, confidence=0.4, ranking=lost)
    assert [m.get("response") for m in messages] == ["utter_default", "utter_ask_rephrase"] and events == []


def test_a_search_intent_that_changes_the_shown_item_goes_to_the_planner(domain: dict[str, Any]) -> None:
    """The NLU's `search_item` on a sentence the planner reads as a change of the item shown (a
    kind named with "instead"): the planner's kind change, keeping the colour family (checked on
    the catalog's columns); a whole new item described still searches."""
    from actions.actions import ActionSearchItem

    who = "shopper-search-as-change"
    seed = engine_item(item_of(run(ActionSearchItem(), "show me a white polo shirt", "search_item", who, domain)[0]))
    tee = engine_item(item_of(run(ActionSearchItem(), "what about a t-shirt instead?", "search_item", who, domain)[0]))
    assert tee.category == "t-shirt" and tee.metadata["hue_family"] == seed.metadata["hue_family"]
    messages, _ = run(ActionSearchItem(), "show me black leather heels with a floral print", "search_item", who, domain)
    assert engine_item(item_of(messages)).category == "heels" and messages[0]["text"].startswith("How about this one")


def test_a_search_intent_saying_a_part_is_absent_goes_to_the_planner(domain: dict[str, Any],
                                                                     truth: dict[str, dict[str, str]]) -> None:
    """"no pattern please" read as `search_item` by the NLU (the simulated shopper's misroute): the
    planner's plain one of the kind and colour family shown (checked on the catalog's columns),
    not a new search for the words."""
    from actions.actions import ActionSearchItem

    who = "shopper-search-absent-part"
    striped = next(r for r in truth.values() if r["kind"] == "shirt" and r["pattern"] == "striped"
                   and any(o["kind"] == "shirt" and o["pattern"] == "plain" and o["hue_family"] == r["hue_family"]
                           for o in truth.values()))
    run(ActionSearchItem(), "/search_item", "search_item", who, domain, entities=[{"entity": "item_id", "value": striped["id"]}])
    got = truth[item_of(run(ActionSearchItem(), "no pattern please", "search_item", who, domain)[0])["id"]]
    assert (got["kind"], got["pattern"], got["hue_family"]) == ("shirt", "plain", striped["hue_family"]), got


def test_another_with_a_comparative_is_the_comparative(domain: dict[str, Any],
                                                      truth: dict[str, dict[str, str]]) -> None:
    """"another one, a bit more casual" read as `another` by the NLU: the planner's step, down the
    catalog's formality column, not a near twin."""
    from actions.actions import ActionAnother, ActionSearchItem

    who = "shopper-another-comparative"
    formal = next(r for r in truth.values() if r["kind"] == "shirt" and r["formality_name"] == "formal")
    seed = engine_item(item_of(run(ActionSearchItem(), "/search_item", "search_item", who, domain,
                                   entities=[{"entity": "item_id", "value": formal["id"]}])[0]))
    got = engine_item(item_of(run(ActionAnother(), "another one, a bit more casual", "another", who, domain)[0]))
    assert float(got.metadata["formality"]) < float(seed.metadata["formality"])
    assert got.category == seed.category
