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
            slots: dict[str, Any] | None = None, events: list[dict[str, Any]] | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 1.0},
                           "entities": entities or []},
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

    names = {cls().name() for cls in (actions.ActionSessionStart, actions.ActionSearchItem, actions.ActionRefine,
                                      actions.ActionAnother, actions.ActionUndo, actions.ActionChoose,
                                      actions.ActionRestart, actions.ActionRepeat, actions.ActionDescribe)}
    assert names == set(domain["actions"])


def test_a_shopping_conversation(domain: dict[str, Any]) -> None:
    from actions.actions import ActionAnother, ActionChoose, ActionRefine, ActionRestart, ActionSearchItem, ActionUndo

    who = "shopper-1"
    messages, events = run(ActionSearchItem(), "show me a blue polo shirt", "search_item", who, domain)
    seed = item_of(messages)
    assert seed["category"] == "polo shirt" and seed["image"].startswith("http")  # a URL, never a server path
    assert seed["image"].endswith(f"/images/{seed['id']}") and Path(engine_item(seed).image).is_file()
    assert "colour" in seed["attributes"] and messages[0]["image"] == seed["image"]
    assert [b["title"] for b in messages[0]["buttons"]][-2:] == ["go back", "I'll take it"]
    assert SlotSet("current_item", seed["id"]) in events

    messages, events = run(ActionRefine(), "something darker", "refine", who, domain,
                           entities=[{"entity": "attribute", "value": "darker"}], slots={"attribute": "darker"})
    darker = item_of(messages)
    step = messages[0]["custom"]["step"]
    assert messages[0]["text"].startswith("Here's one that's darker: ")
    assert step["step_number"] == 1 and 0 <= step["confidence"] <= 1 and step["end_reached"] is False
    assert darker["category"] == "polo shirt" and lightness(darker) < lightness(seed)
    assert SlotSet("attribute", None) in events  # critique slots don't leak into the next turn

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
