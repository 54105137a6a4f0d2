"""Rasa custom actions. Thin: read the message and slots, call one engine method, answer.

Every reply has a sentence that reads well aloud; on chat channels it also carries the item's
image URL, quick-reply chips for the item's kind and a custom JSON payload with the item card and
the step (chat widgets); on voice channels (Twilio Voice) it is the sentence alone, cleaned for
speech (actions/speech.py). No action raises: a bad
input or a failure becomes a helpful answer, and the session state stays in the engine's
store, so a crashed or restarted action server continues where it was.
"""

from __future__ import annotations

import functools
import json
import time
import logging
from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from gradrec_core import GradrecError, Item, SessionError, SessionState, UnknownItemError, WalkStep
from gradrec_core.types import Alternatives

from gradrec_core.critique import Turn, asks_for_another_style, plan_turn, take_turn
from gradrec_core.critique.parser import parse_critiques

from gradrec_core.critique.render import say_price

from .confidence import about_an_item, is_sure
from .shop import UnknownShopError, chips, conversation, currency, engine, image_url, item_card, spoken_name
from .speech import for_voice, is_voice

log = logging.getLogger("actions")

MAX_TEXT = 300  # longer messages are cut before parsing (a pasted essay is not a critique)
NO_ITEM = ("Let's find an item first: tell me what you're looking for, "
           "for example \"show me a blue polo shirt\".")
REMOVED = "The item you were looking at is no longer available."
SOMETHING_WRONG = "Sorry, something went wrong on my side. Your session is saved; please try again."
CANNOT_NOW = "Sorry, I can't look at the catalog right now. Your session is saved; please try again later."
ALTERNATIVES = 3  # items side by side for "another one" on a channel that shows carousels
# Channels whose client draws a row of cards with a button each (assistant/rasa/web_channel.py turns
# the payloads into the widget's carousels): "another one" offers several there; other channels
# (REST clients, the terminal chat, voice) get the next one at once.
CAROUSEL_CHANNELS = frozenset({"socketio"})
LAST_ONE = "That was the last one like it. Try a change (\"darker\", \"shorter\") or \"start over\"."

Events = list[EventType]


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()[:MAX_TEXT]


def _safe(run: Callable[..., Events]) -> Callable[..., Events]:
    """An action never fails the webhook: errors become a helpful answer."""

    @functools.wraps(run)
    def wrapper(self: Action, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: dict[str, Any]) -> Events:
        try:
            with conversation(tracker.sender_id):
                return run(self, dispatcher, tracker, domain)
        except UnknownShopError as err:  # names only the shop the client sent
            log.info("%s: %s", self.name(), err)
            _say(dispatcher, tracker, f"Sorry, {err}.")
        except GradrecError as err:  # an index, store or encoder problem: paths are for the log only
            log.error("%s failed for %s: %s", self.name(), tracker.sender_id, err)
            _say(dispatcher, tracker, CANNOT_NOW)
        except Exception:  # noqa: BLE001 - the webhook must answer
            log.exception("%s failed for %s", self.name(), tracker.sender_id)
            _say(dispatcher, tracker, SOMETHING_WRONG)
        return []

    return wrapper


def _voice(tracker: Tracker) -> bool:
    return is_voice(tracker.get_latest_input_channel())


def _carousels(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in CAROUSEL_CHANNELS


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, about_price: bool = False,
         with_chips: bool = False) -> None:
    """A reply with no item: on a voice channel, said aloud (see actions/speech.py); elsewhere,
    `with_chips`: with the chips for the current item (what the shopper may say next)."""
    if _voice(tracker):
        dispatcher.utter_message(text=for_voice(text, about_price))
    elif with_chips:
        dispatcher.utter_message(text=text, buttons=_buttons(tracker))
    else:
        dispatcher.utter_message(text=text)


def _buttons(tracker: Tracker) -> list[dict[str, str]]:
    return [{"title": chip, "payload": chip} for chip in chips(tracker.sender_id)]


def _price(item: Item) -> str:
    """" It's $29.99." in the shop's currency, or nothing for an item without a price."""
    column = engine().index.schema.price
    raw = item.metadata.get(column.name) if column else None
    try:
        return f" It's {say_price(float(raw), currency())}." if raw not in (None, "") else ""
    except (TypeError, ValueError):
        return ""


def _show(dispatcher: CollectingDispatcher, tracker: Tracker, sentence: str, item: Item,
          step: dict[str, Any] | None = None, kind: str = "gradrec_item") -> None:
    """An item: the sentence, its image URL, quick-reply chips for its kind and the card (chat
    widgets); on a voice channel only the sentence, said aloud."""
    if _voice(tracker):
        dispatcher.utter_message(text=for_voice(sentence))
        return
    dispatcher.utter_message(
        text=sentence,
        image=image_url(item),
        buttons=_buttons(tracker),
        json_message={"type": kind, "item": item_card(item), "step": step or {}},
    )


def _state_of(dispatcher: CollectingDispatcher, tracker: Tracker) -> SessionState | None:
    """The sender's session when it has a current item. What the shopper last saw wins: the item
    the client says it shows (`metadata.item`, checked by the channel), else the `current_item`
    slot; a step whose reply never reached them (a crash between the engine's commit and the
    reply, a dropped connection) is rolled back first; an item the shop's catalog no longer has
    is replaced by the closest one, and the shopper is told."""
    hint = (tracker.latest_message.get("metadata") or {}).get("item")
    shown = hint if isinstance(hint, str) and hint else tracker.get_slot("current_item")
    state = engine().sync(tracker.sender_id, shown) if isinstance(shown, str) and shown else \
        engine().state(tracker.sender_id)
    if state is not None and state.removed is not None:  # the shop's catalog changed under the walk
        state = engine().replace_removed(tracker.sender_id)
        if state is not None and state.current is not None:
            _say(dispatcher, tracker, f"{REMOVED} The closest one still here is {spoken_name(state.current)}.")
    return state if state is not None and state.current is not None else None


def _current_state(dispatcher: CollectingDispatcher, tracker: Tracker) -> SessionState | None:
    """The sender's session when it has a current item; otherwise say how to start one."""
    state = _state_of(dispatcher, tracker)
    if state is None:
        _say(dispatcher, tracker, NO_ITEM)
    return state


def _asks_a_change(text: str) -> bool:
    """True when the text holds a comparative ("darker", "a bit cheaper"): a change of an item,
    which needs one; a value alone ("in black", "Puma heels") can describe a new item."""
    return any(not c.absolute for c in parse_critiques(text))


def _unsure(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events | None:
    """For an action that changes the shopper's state (choose, undo, restart): when the NLU was not
    sure of the intent (actions/confidence.py), the planner decides what the sentence asks
    (`action_refine`); None when it was sure and the action goes on."""
    if is_sure(tracker.latest_message):
        return None
    intent = tracker.latest_message.get("intent") or {}
    log.info("%s: %r not sure enough (%s), to the planner", tracker.sender_id, intent.get("name"),
             intent.get("confidence"))
    return ActionRefine().run(dispatcher, tracker, domain)


def _item_events(item: Item | None, step_number: int) -> Events:
    return [SlotSet("current_item", item.id if item else None), SlotSet("step_number", float(step_number))]


def _step_payload(step: WalkStep) -> dict[str, Any]:
    return {
        "attribute": step.attribute,
        "phrase": step.attribute,
        "intensity": step.intensity,
        "step_number": step.number,
        "confidence": round(step.confidence, 3),
        "low_confidence": step.low_confidence,
        "end_reached": step.end_reached,
    }


def _pick(item: Item, title: str) -> dict[str, Any]:
    """A card the shopper can pick: the widget's button sends `/another{"item_id": ...}`, which
    makes that item the current one (`action_another`, `Engine.pick`)."""
    return {**item_card(item), "pick": {"title": title,
                                        "payload": "/another" + json.dumps({"item_id": item.id})}}


def _turn_payload(turn: Turn) -> dict[str, Any]:
    step = turn.step
    return {
        "phrase": " and ".join(turn.plan.phrases),
        "plan": turn.plan.to_dict(),
        "step_number": step.number if step else None,
        "confidence": round(step.confidence, 3) if step else None,
        "low_confidence": bool(step and step.low_confidence),
        "end_reached": bool(step and step.end_reached),
        "alternatives": [_pick(i, "Show this one") for i in step.alternatives] if step else [],
        "values": [{"value": v, "count": n} for v, n in turn.values.values] if turn.values else [],
        # one item per value ("what colours does it come in?"): a carousel, each card pickable
        "examples": [{"value": e.value, "item": _pick(e.item, f"This one in {e.value}")}
                     for e in turn.values.examples] if turn.values else [],
    }


class ActionSessionStart(Action):
    """A new Rasa session restores the engine session kept for this sender, if any."""

    def name(self) -> str:
        return "action_session_start"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        events: Events = [SessionStarted()]
        state = engine().state(tracker.sender_id)
        if state is not None and state.current is not None:
            events += _item_events(state.current, len(state.steps))
        else:
            events += _item_events(None, 0)
        return events + [ActionExecuted("action_listen")]


class ActionGreet(Action):
    """"hi": the greeting (domain's `utter_greet`), with chips: a few searches this shop's catalog
    answers (its most common kinds), or, mid-conversation, the current item's chips."""

    def name(self) -> str:
        return "action_greet"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        if _voice(tracker):
            dispatcher.utter_message(response="utter_greet")
        else:
            dispatcher.utter_message(response="utter_greet", buttons=_buttons(tracker))
        return []


class ActionSearchItem(Action):
    """"show me a blue polo shirt": zero-shot retrieval; the best match seeds the walk.
    A widget may send the item directly: /search_item{"item_id": "polo-0005"}."""

    def name(self) -> str:
        return "action_search_item"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        eng = engine()
        item_id = next(tracker.get_latest_entity_values("item_id"), None)
        if item_id:
            try:
                item = eng.item(str(item_id))
            except UnknownItemError:
                # the id is not echoed: a widget may render replies as HTML
                _say(dispatcher, tracker, "I can't find that item in this shop. "
                                          "Tell me what you're looking for instead.")
                return []
        else:
            query = _text(tracker)
            if _changes_the_shown_item(tracker):  # "show me Puma ones", "what about jackets?" with an item shown
                return ActionRefine().run(dispatcher, tracker, domain)
            if not query or not any(ch.isalpha() for ch in query):
                _say(dispatcher, tracker, "What are you looking for? For example \"a long red skirt\".")
                return []
            found = eng.search(query, k=1)
            if not found:
                _say(dispatcher, tracker, "I found nothing like that. Try describing it another way.")
                return []
            item = found[0].item
        eng.start(tracker.sender_id, item.id)
        _show(dispatcher, tracker, f"How about this one: {spoken_name(item)}?", item)
        return _item_events(item, 0)


class ActionRefine(Action):
    """Any turn about the current item: "darker", "cheaper", "in black", "shorter, in black",
    "what colours does it come in?". The critique planner makes the plan; one engine call runs it.
    With no item yet, a sentence the NLU is sure of that asks no change ("anything from Puma?")
    is a search."""

    def name(self) -> str:
        return "action_refine"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        started = time.perf_counter()
        state = _state_of(dispatcher, tracker)
        if state is None:
            if _asks_a_change(_text(tracker)) or not is_sure(tracker.latest_message):
                _say(dispatcher, tracker, NO_ITEM)  # a change needs an item; a guess ("xxxx") searches nothing
                return []
            # no item yet, and the NLU is sure the sentence is about one ("Puma Women Casual Beige Heels"): a search
            return ActionSearchItem().run(dispatcher, tracker, domain)
        entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", [])
                    if isinstance(e, dict) and e.get("entity") in ("attribute", "direction", "intensity")}
        planned = time.perf_counter()
        turn = take_turn(engine(), tracker.sender_id, _text(tracker), entities, state, currency=currency())
        payload = _turn_payload(turn)  # timings for the latency benchmark (and a widget's network tab)
        payload["timing_ms"] = {"action": round((time.perf_counter() - started) * 1000, 3),
                                "engine": round((time.perf_counter() - planned) * 1000, 3)}
        if turn.plan.refused:
            log.warning("%s: refused entity values %s", tracker.sender_id, list(turn.plan.refused))
        shown = turn.step.item if turn.step and turn.step.item else None
        if shown is not None:
            _show(dispatcher, tracker, turn.answer, shown, payload)
            return _item_events(shown, turn.step.number)  # type: ignore[union-attr]
        if _voice(tracker):
            question = turn.plan.question
            _say(dispatcher, tracker, turn.answer, about_price=bool(question and question.topic == "price"))
            return []
        text = turn.answer + (" Pick one to see it." if payload["examples"] and _carousels(tracker) else "")
        dispatcher.utter_message(text=text, buttons=_buttons(tracker), json_message={
            "type": "gradrec_answer", "item": item_card(state.current), "step": payload})  # type: ignore[arg-type]
        return []


def _changes_the_shown_item(tracker: Tracker) -> bool:
    """True when an item is shown and the planner reads the text as a change of it (a kind, a
    brand, a colour: "show me sandals instead", "anything from Puma?"), not as a whole new item
    described ("show me Puma Women Casual Beige Heels"): the NLU's search intent then goes to the
    planner, which keeps the rest of the style."""
    state = engine().state(tracker.sender_id)
    if state is None or state.current is None:
        return False
    eng = engine()
    return plan_turn(state.current, _text(tracker), None, eng.index.schema, eng.categories()).kind == "critique"


def _planner_reads(tracker: Tracker) -> bool:
    """True when the planner makes a plan of the text for the item shown (a misspelt critique the
    NLU has never seen: "cheeper")."""
    state = engine().state(tracker.sender_id)
    if state is None or state.current is None:
        return False
    return plan_turn(state.current, _text(tracker), None, engine().index.schema).kind != "none"


class ActionNluFallback(Action):
    """The NLU was unsure (`nlu_fallback`). Unsure only whether a sentence about items describes a
    new one or changes the shown one, or the planner reads it as a change of the item shown
    ("cheeper"): `action_refine` (a search when no item is shown). Otherwise: "Sorry, I didn't get
    that" and an example."""

    def name(self) -> str:
        return "action_nlu_fallback"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        if about_an_item(tracker.latest_message) or _planner_reads(tracker):
            return ActionRefine().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_default")
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionAnother(Action):
    """"show me another one": on the web chat, a few alternatives side by side (the current item
    stays until the shopper picks one; they count as seen); elsewhere (voice, REST clients) the
    next one at once. A picked card sends `/another{"item_id": ...}`: that item becomes the current
    one, as one step (`Engine.pick`)."""

    def name(self) -> str:
        return "action_another"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        eng = engine()
        state = _current_state(dispatcher, tracker)
        if state is None:
            return []
        picked = next(tracker.get_latest_entity_values("item_id"), None)
        if picked:
            try:
                step = eng.pick(tracker.sender_id, str(picked), hold=_picked_for(tracker, str(picked)))
            except UnknownItemError:  # the id is not echoed: a widget may render replies as HTML
                _say(dispatcher, tracker, "I can't find that item in this shop. Say \"another one\" "
                                          "to see others.")
                return []
            assert step.item is not None
            _show(dispatcher, tracker, f"Here it is: {spoken_name(step.item)}. Tell me how it should change.",
                  step.item, {"step_number": step.number, "picked": True})
            return _item_events(step.item, step.number)
        if asks_for_another_style(_text(tracker)) or _asks_a_change(_text(tracker)):
            # "something completely different": not a near twin; "another, more relaxed": a critique
            return ActionRefine().run(dispatcher, tracker, domain)
        if not _carousels(tracker):  # no row of cards to pick from (a caller, a REST client): the next one
            step = eng.another(tracker.sender_id)
            if step.item is None:
                _say(dispatcher, tracker, LAST_ONE, with_chips=True)
                return []
            _show(dispatcher, tracker, f"Here's another one: {spoken_name(step.item)}.", step.item,
                  _step_payload(step))
            return _item_events(step.item, step.number)
        offered = eng.alternatives(tracker.sender_id, ALTERNATIVES)
        if offered.end_reached:
            _say(dispatcher, tracker, LAST_ONE, with_chips=True)
            return []
        _offer(dispatcher, offered, len(state.steps), _buttons(tracker))
        return []


def _picked_for(tracker: Tracker, item_id: str) -> tuple[str, ...]:
    """The column a picked card was offered for: when the last card reply was a "what colours"
    answer whose examples hold `item_id`, its column (the picked colour is then kept, as "in
    blue" would be); else nothing."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        if not isinstance(custom, dict) or not str(custom.get("type", "")).startswith("gradrec_"):
            continue
        step = custom.get("step") or {}
        examples = step.get("examples") or []
        question = (step.get("plan") or {}).get("question") or {}
        ids = {((e.get("item") or {}).get("id")) for e in examples if isinstance(e, dict)}
        column = question.get("column") if isinstance(question, dict) else None
        return (str(column),) if item_id in ids and isinstance(column, str) and column else ()
    return ()


def _offer(dispatcher: CollectingDispatcher, offered: Alternatives, step_number: int,
           buttons: list[dict[str, str]]) -> None:
    """Alternatives as cards the shopper picks from, with the chips for the current item."""
    items = offered.items
    names = [spoken_name(i) for i in items]
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    count = {2: "two others", 3: "three others"}.get(len(items), f"{len(items)} others")
    head = "Here's one other" if len(items) == 1 else f"Here are {count}"
    dispatcher.utter_message(
        text=f"{head} like it: {said}. Pick one to go on from it.",
        buttons=buttons,
        json_message={"type": "gradrec_alternatives", "item": item_card(offered.current),
                      "step": {"step_number": step_number,
                               "choices": [_pick(i, "Pick this one") for i in items]}},
    )


class ActionUndo(Action):
    """"go back", "the previous one was better": the previous item."""

    def name(self) -> str:
        return "action_undo"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        unsure = _unsure(dispatcher, tracker, domain)
        if unsure is not None:
            return unsure
        eng = engine()
        state = _current_state(dispatcher, tracker)
        if state is None:
            return []
        try:
            state = eng.undo(tracker.sender_id)
        except SessionError:
            _say(dispatcher, tracker, "This is the first item we looked at; there's nothing before it.",
                 with_chips=True)
            return []
        assert state.current is not None
        _show(dispatcher, tracker, f"Back to the previous one: {spoken_name(state.current)}.", state.current,
              {"step_number": len(state.steps), "undo": True})
        return _item_events(state.current, len(state.steps))


class ActionChoose(Action):
    """"I'll take it"."""

    def name(self) -> str:
        return "action_choose"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        unsure = _unsure(dispatcher, tracker, domain)
        if unsure is not None:
            return unsure
        state = engine().state(tracker.sender_id)
        if state is not None and state.removed is not None:  # not "great choice" on another item
            _current_state(dispatcher, tracker)  # says so and offers the closest one
            return []
        if state is None or state.current is None:
            _say(dispatcher, tracker, "There's nothing picked yet. " + NO_ITEM)
            return []
        item = state.current
        text = f"Great choice: {spoken_name(item)}.{_price(item)} It's saved for you; say \"start over\" to keep shopping."
        if _voice(tracker):
            _say(dispatcher, tracker, text)
            return []
        dispatcher.utter_message(
            text=text,
            image=image_url(item),
            json_message={"type": "gradrec_chosen", "item": item_card(item)},
        )
        return []


class ActionRestart(Action):
    """"start over": forget the walk (this replaces Rasa's own action_restart, so it also
    restarts the conversation's tracker)."""

    def name(self) -> str:
        return "action_restart"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        unsure = _unsure(dispatcher, tracker, domain)
        if unsure is not None:
            return unsure
        engine().reset(tracker.sender_id)
        _say(dispatcher, tracker, "Let's start over. What are you looking for?")
        return [Restarted()]


class ActionRepeat(Action):
    """"repeat that", "say that again": the last reply, again (on voice, said again)."""

    def name(self) -> str:
        return "action_repeat"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        last = next((e for e in reversed(tracker.events) if e.get("event") == "bot" and e.get("text")), None)
        if last is None:
            _say(dispatcher, tracker, "I haven't said anything yet. " + NO_ITEM)
            return []
        data = last.get("data") or {}
        if _voice(tracker):
            _say(dispatcher, tracker, str(last["text"]))
            return []
        dispatcher.utter_message(text=last["text"], image=data.get("image"), buttons=data.get("buttons") or [],
                                 json_message=data.get("custom"))
        return []


class ActionDescribe(Action):
    """"what is it?": the current item, named in full with its price."""

    def name(self) -> str:
        return "action_describe"

    @_safe
    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Events:
        state = _current_state(dispatcher, tracker)
        if state is None:
            return []
        item = state.current
        assert item is not None
        _show(dispatcher, tracker, f"This is {spoken_name(item)}.{_price(item)}", item,
              {"step_number": len(state.steps)})
        return []
