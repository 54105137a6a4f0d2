"""Checks of `assistant.rasa.main` that need Rasa itself: run with Rasa's Python (.venv-rasa) by
tests/test_rasa_main.py: `python tests/rasa_side_checks.py CHECK FOLDER` runs one check and prints
"ok" when it passes; `python tests/rasa_side_checks.py all FOLDER` runs every check, each in a
process of its own forked after Rasa is imported, two at a time (no check sees another's installs,
and Rasa, its agent and TensorFlow are imported once), and prints one JSON object: check -> "ok"
or its traceback.

Each check raises AssertionError on failure. The tracker-store checks compare the caching store
with Rasa's own `SQLTrackerStore` reading the same database.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import rasa.core.tracker_store as rasa_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, Event, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.rasa import main as rasa_main, tracker_store as rasa_tracker_store  # noqa: E402

PLAIN_STORE = rasa_store.SQLTrackerStore  # Rasa's, kept before any install
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _turn(text: str, item: str, t: float) -> List[Event]:
    """The events of one refine turn, as Rasa and the action server produce them."""
    return [
        UserUttered(text, {"name": "refine", "confidence": 0.99}, [{"entity": "direction", "value": "darker"}],
                    timestamp=t),
        ActionExecuted("action_refine", timestamp=t + 0.01),
        BotUttered(f"How about {item}?", {"custom": {"item": {"id": item}}}, timestamp=t + 0.02),
        SlotSet("current_item", item, timestamp=t + 0.03),
        ActionExecuted("action_listen", timestamp=t + 0.04),
    ]


def _start(t: float) -> List[Event]:
    return [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t + 0.001),
            ActionExecuted("action_listen", timestamp=t + 0.002)]


async def _open(store: Any, sender: str) -> None:
    """A new conversation: its session start saved."""
    await store.save(DialogueStateTracker.from_events(sender, _start(1.0), DOMAIN.slots))


async def _play(store: Any, sender: str, text: str, item: str, t: float,
                tracker: Optional[DialogueStateTracker] = None) -> DialogueStateTracker:
    """One turn: the tracker retrieved (unless given), the turn's events appended, saved."""
    tracker = tracker if tracker is not None else await store.retrieve(sender)
    for event in _turn(text, item, t):
        tracker.update(event)
    await store.save(tracker)
    return tracker


def _stores(folder: Path, cache_size: int = 100) -> tuple[Any, Any]:
    db = str(folder / "tracker.db")
    cached = rasa_tracker_store.CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=db, cache_size=cache_size)
    plain = PLAIN_STORE(DOMAIN, dialect="sqlite", db=db)
    return cached, plain


def _state(tracker: DialogueStateTracker) -> Dict[str, Any]:
    state = tracker.current_state()
    state["events"] = [e.as_dict() for e in tracker.events]
    return state


async def _same_as_rasa(cached: Any, plain: Any, sender: str) -> DialogueStateTracker:
    """Retrieve through both stores; the trackers must be the same in every event and slot."""
    mine, rasas = await cached.retrieve(sender), await plain.retrieve(sender)
    assert _state(mine) == _state(rasas), (sender, len(mine.events), len(rasas.events))
    return mine


def _rows(db: Path, clock: bool = False) -> List[tuple]:
    """The stored rows in order; with `clock`, the time of the events stamped with the wall
    clock (`get_or_create_tracker`'s first `action_listen`; the scripted events' times are
    small numbers) left out."""
    import sqlite3

    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
                         "ORDER BY id").fetchall()
    if not clock:
        return rows
    out = []
    for sender, type_name, timestamp, intent, action, data in rows:
        if timestamp > 1e9:
            parsed = json.loads(data)
            parsed.pop("timestamp")
            timestamp, data = None, json.dumps(parsed)
        out.append((sender, type_name, timestamp, intent, action, data))
    return out


async def check_turns_match_rasa(folder: Path) -> None:
    """Turn after turn the cached tracker is the one Rasa would read back, and is reused; the
    rows written are the rows Rasa's own store writes for the same turns."""
    cached, plain = _stores(folder)
    (folder / "rasa").mkdir()
    rasa_only = PLAIN_STORE(DOMAIN, dialect="sqlite", db=str(folder / "rasa" / "tracker.db"))
    for store in (cached, rasa_only):
        await _open(store, "a")
        for n in range(8):
            await _play(store, "a", "something darker", f"item-{n}", 10.0 + n)
            if store is cached:
                await _same_as_rasa(cached, plain, "a")
    assert _rows(folder / "tracker.db") == _rows(folder / "rasa" / "tracker.db")
    assert (await cached.retrieve("a")).get_slot("current_item") == "item-7"
    # the first retrieve after a new session reads the database; the 7 after it are reused
    assert cached.hits >= 7, (cached.hits, cached.misses)
    stored = [e.as_dict() for e in (await plain.retrieve_full_tracker("a")).events]
    assert len(stored) == 3 + 8 * 5, len(stored)  # every event once
    assert len({(e["event"], e["timestamp"]) for e in stored}) == len(stored)


async def check_new_conversation_matches_rasa(folder: Path) -> None:
    """A conversation the database has never seen, as Rasa's processor runs its first turns
    (`get_or_create_tracker`, the session start and the turn appended to that tracker, saved;
    then the next turns): the same rows as Rasa's own store writes, the same tracker read back,
    and neither Rasa's count of stored events nor its event query run for it."""
    cached, plain = _stores(folder)
    (folder / "rasa").mkdir()
    rasa_only = PLAIN_STORE(DOMAIN, dialect="sqlite", db=str(folder / "rasa" / "tracker.db"))
    queried: List[str] = []  # Rasa's event query: its read back and its count of stored events
    query = PLAIN_STORE._event_query

    def _querying(store: Any, session: Any, sender_id: str, **kwargs: Any) -> Any:
        queried.append(sender_id)
        return query(store, session, sender_id, **kwargs)

    PLAIN_STORE._event_query = _querying  # type: ignore[method-assign]
    try:
        for store in (cached, rasa_only):
            for sender in ("n1", "n2"):
                queried.clear()
                tracker = await store.get_or_create_tracker(sender)
                assert [e.as_dict()["event"] for e in tracker.events] == ["action"]
                for event in [*_start(2.0), *_turn("something darker", f"{sender}-0", 3.0)]:
                    tracker.update(event)
                await store.save(tracker)
                if store is cached:
                    assert queried == [], queried  # nothing read back, nothing counted
                for n in range(1, 3):
                    await _play(store, sender, "a bit lighter", f"{sender}-{n}", 10.0 + n)
                if store is cached:
                    # one read from the new session's start (as Rasa reads it), then the kept tracker
                    assert queried == [sender], queried
                    await _same_as_rasa(cached, plain, sender)
    finally:
        PLAIN_STORE._event_query = query  # type: ignore[method-assign]
    assert _rows(folder / "tracker.db", clock=True) == _rows(folder / "rasa" / "tracker.db", clock=True)
    assert (await cached.retrieve("n2")).get_slot("current_item") == "n2-2"
    assert await cached.retrieve("never") is None and await plain.retrieve("never") is None


async def check_other_writer_is_seen(folder: Path) -> None:
    """Another process (here a second store on the same database) writing to the conversation:
    the next retrieve returns its events, and the next save stores only what is new."""
    one, plain = _stores(folder)
    two, _ = _stores(folder)
    await _open(one, "b")
    tracker = await _play(one, "b", "darker", "x1", 10.0)
    assert (await one.retrieve("b")) is tracker  # reused
    await _play(two, "b", "lighter", "x2", 20.0)
    seen = await _same_as_rasa(one, plain, "b")
    assert seen is not tracker and seen.get_slot("current_item") == "x2"
    await _play(one, "b", "cheaper", "x3", 30.0, seen)
    final = await _same_as_rasa(one, plain, "b")
    assert final.get_slot("current_item") == "x3"
    assert len((await plain.retrieve_full_tracker("b")).events) == 3 + 3 * 5


async def check_stale_save_is_not_lost(folder: Path) -> None:
    """A process saving the tracker it cached after another process wrote in between: Rasa's own
    count decides what is new (nothing the other wrote is overwritten or duplicated)."""
    one, plain = _stores(folder)
    two, _ = _stores(folder)
    await _open(one, "c")
    mine = await one.retrieve("c")
    await one.save(mine)
    mine = await one.retrieve("c")
    await _play(two, "c", "lighter", "t1", 10.0)
    await _play(one, "c", "darker", "m1", 20.0, mine)  # as Rasa's store would: the count of stored events decides
    rasas = await PLAIN_STORE(DOMAIN, dialect="sqlite", db=str(folder / "plain.db")).retrieve("c")
    assert rasas is None
    stored = (await plain.retrieve_full_tracker("c")).events
    assert len(stored) == 3 + 5 + 0, len(stored)  # Rasa's count: mine has 8 events, 8 stored
    assert (await one.retrieve("c")).get_slot("current_item") == "t1"


async def check_another_tracker_object_is_not_trusted(folder: Path) -> None:
    """A save of a tracker object other than the kept one (Rasa's API replacing a conversation's
    events builds a new one): what is stored and read back is decided as Rasa decides."""
    cached, plain = _stores(folder)
    await _open(cached, "g")
    tracker = await _play(cached, "g", "darker", "g1", 10.0)
    kept = list(tracker.events)
    other = DialogueStateTracker.from_events("g", [*kept[:-2], SlotSet("current_item", "g2", timestamp=11.0)],
                                             DOMAIN.slots)
    await cached.save(other)
    assert (await _same_as_rasa(cached, plain, "g")).get_slot("current_item") == "g1"


async def check_failed_turn_is_forgotten(folder: Path) -> None:
    """A turn that changed the tracker and then failed before saving: the next retrieve reads the
    database again, not the half-done tracker."""
    cached, plain = _stores(folder)
    await _open(cached, "d")
    await _play(cached, "d", "darker", "ok-1", 10.0)
    half = await cached.retrieve("d")
    half.update(UserUttered("lighter", {"name": "refine", "confidence": 1.0}, timestamp=20.0))
    half.update(SlotSet("current_item", "never-shown", timestamp=20.1))
    again = await _same_as_rasa(cached, plain, "d")
    assert again is not half and again.get_slot("current_item") == "ok-1"


async def check_new_session_reads_from_its_start(folder: Path) -> None:
    """A session that starts within a tracker's events (expiry): the store reads the conversation
    back from the new session's start, as Rasa does."""
    cached, plain = _stores(folder)
    tracker = DialogueStateTracker.from_events("e", _start(1.0), DOMAIN.slots)
    await cached.save(tracker)
    tracker = await cached.retrieve("e")
    for event in [*_turn("darker", "old", 10.0), *_start(5000.0)]:
        tracker.update(event)
    await cached.save(tracker)
    again = await _same_as_rasa(cached, plain, "e")
    assert again is not tracker and len(again.events) < len(tracker.events)


async def check_cache_is_bounded(folder: Path) -> None:
    """At most `cache_size` conversations are kept, the least recently used leave first, and
    a cache of 0 keeps none."""
    cached, plain = _stores(folder, cache_size=3)
    for n in range(5):
        tracker = DialogueStateTracker.from_events(f"s{n}", _start(1.0), DOMAIN.slots)
        await cached.save(tracker)
        tracker = await cached.retrieve(f"s{n}")
        tracker.update(SlotSet("current_item", f"i{n}", timestamp=2.0))
        await cached.save(tracker)
    assert list(cached._saved) == ["s2", "s3", "s4"]
    for n in range(5):
        await _same_as_rasa(cached, plain, f"s{n}")
    off, _ = _stores(folder, cache_size=0)
    tracker = await off.retrieve("s1")
    tracker.update(SlotSet("current_item", "j", timestamp=3.0))
    await off.save(tracker)
    assert not off._saved and off.hits == 0
    assert (await _same_as_rasa(off, plain, "s1")).get_slot("current_item") == "j"


def check_action_response_validation(folder: Path) -> None:
    """The compiled validator accepts and refuses exactly what Rasa's `jsonschema.validate` does,
    with Rasa's message."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    action = RemoteAction("action_refine", EndpointConfig("http://127.0.0.1:1/webhook"))
    responses = [
        {"events": [], "responses": []},
        {"events": [{"event": "slot", "name": "current_item", "value": "x"}],
         "responses": [{"text": "hi", "custom": {"item": {"id": "x"}}}]},
        {"events": [{"event": "followup", "name": "action_listen"}]},
        {"events": [{"event": "slot", "value": "x"}]},  # no name
        {"events": [{"event": "no_such_event"}]},
        {"events": "not a list"},
        {"responses": [3]},
    ]
    original = [_verdict(action._validate_action_result, r) for r in responses]
    rasa_main.install_action_response_validator()
    action = RemoteAction("action_refine", EndpointConfig("http://127.0.0.1:1/webhook"))
    compiled = [_verdict(action._validate_action_result, r) for r in responses]
    assert compiled == original, (compiled, original)
    assert original[:3] == ["valid"] * 3 and all(v != "valid" for v in original[3:]), original
    try:
        action._validate_action_result({"events": "not a list"})
    except ValidationError as e:
        assert "Failed to validate Action server response" in e.message
    else:
        raise AssertionError("an invalid response passed")


def _verdict(validate: Callable[[Dict[str, Any]], bool], response: Dict[str, Any]) -> str:
    from jsonschema import ValidationError

    try:
        return "valid" if validate(response) else "false"
    except ValidationError as e:
        return f"invalid: {e.message.split('. Failed')[0]}"


def check_sqlite_settings(folder: Path) -> None:
    """The tracker store's SQLite connections run in WAL mode, synchronous=NORMAL, kept open."""
    rasa_main.install_sqlite_settings()
    store = PLAIN_STORE(DOMAIN, dialect="sqlite", db=str(folder / "wal.db"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    assert type(store.engine.pool).__name__ == "QueuePool", type(store.engine.pool)


def _worker(db: str, name: str, turns: int) -> None:
    """One Rasa worker's share of `check_workers_share_sqlite` (a forked process)."""
    rasa_main.install_sqlite_settings()

    async def play() -> None:
        store = rasa_tracker_store.CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
        for sender in (f"{name}-{k}" for k in range(3)):
            await _open(store, sender)
        for n in range(turns):
            await _play(store, f"{name}-{n % 3}", "darker", f"{name}-item-{n}", 10.0 + n)

    asyncio.run(play())


def check_workers_share_sqlite(folder: Path) -> None:
    """Two processes (as two Sanic workers of Rasa) writing turns to one SQLite file at once:
    no write fails (each transaction takes the write lock when it begins and waits for the
    other's), every event is stored once."""
    import multiprocessing

    db = str(folder / "shared.db")
    rasa_main.install_sqlite_settings()
    PLAIN_STORE(DOMAIN, dialect="sqlite", db=db)  # the tables, as Rasa's start-up creates them
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_worker, args=(db, name, 60)) for name in ("w1", "w2")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(240)
    assert [w.exitcode for w in workers] == [0, 0], [w.exitcode for w in workers]
    rows = _rows(Path(db))
    assert len(rows) == 2 * (3 * 3 + 60 * 5), len(rows)
    assert len(set(rows)) == len(rows)


def check_action_call_window(folder: Path) -> None:
    """An action call carries the events of the last `ACTION_CALL_TURNS` user turns and, apart
    from the events, exactly what Rasa sends; a short conversation's events whole."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    endpoint = EndpointConfig("http://127.0.0.1:1/webhook")
    action = RemoteAction("action_refine", endpoint)
    long = DialogueStateTracker.from_events("w", _start(1.0), DOMAIN.slots)
    for n in range(12):
        for event in _turn(f"darker {n}", f"item-{n}", 10.0 + n):
            long.update(event)
    short = DialogueStateTracker.from_events("v", _start(1.0), DOMAIN.slots)
    for event in _turn("darker", "item-0", 10.0):
        short.update(event)
    as_rasa = {name: action._action_call_format(t, DOMAIN) for name, t in (("long", long), ("short", short))}
    rasa_main.install_action_call_window()
    action = RemoteAction("action_refine", endpoint)
    windowed = {name: action._action_call_format(t, DOMAIN) for name, t in (("long", long), ("short", short))}
    turns = rasa_main.ACTION_CALL_TURNS
    for name in ("long", "short"):
        full, cut = as_rasa[name]["tracker"].pop("events"), windowed[name]["tracker"].pop("events")
        assert windowed[name] == as_rasa[name], name
        users = [i for i, e in enumerate(full) if e["event"] == "user"]
        start = users[-turns] if len(users) >= turns else 0
        assert cut == full[start:], (name, len(cut), len(full))
    assert len(cut) == len(full)  # the short one: everything
    assert len(users) == 1


def check_graph_runner_matches_dask(folder: Path) -> None:
    """The trained model's NLU and policy graphs give the same outputs run node by node as
    through dask: intents with their confidences, entities, and the policies' predictions for
    trackers of a conversation (the model: GRADREC_CHECK_MODEL, loaded as the server loads it,
    without Rasa's training step: `check_model_load_matches_rasa` shows the same weights)."""
    import os

    from rasa.core.agent import Agent
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.core.channels.channel import UserMessage

    through_dask = DaskGraphRunner.run
    rasa_main.install_model_load()  # Rasa's own load traces a training step: ~15 s of CPU more
    agent = Agent.load(os.environ["GRADREC_CHECK_MODEL"])
    processor = agent.processor
    assert processor is not None
    runner = processor.graph_runner
    nlu_target = processor.model_metadata.nlu_target
    core_target = processor.model_metadata.core_target
    texts = ["show me a blue polo shirt", "something darker", "a bit shorter, in black", "go back",
             "what colours does it come in?", "hi", "I'll take it", "\u00e9\u00e9 !!", "cheaper please"]

    def nlu(run: Callable[..., Dict[str, Any]], text: str) -> Any:
        blank = DialogueStateTracker.from_events("g", _start(1.0), DOMAIN.slots)
        out = run(runner, inputs={"__message__": [UserMessage(text)], "__tracker__": blank}, targets=[nlu_target])
        data = out[nlu_target][0].as_dict(only_output_properties=True)
        return (data.get("intent"), data.get("entities"), data.get("intent_ranking"))

    expected = [nlu(through_dask, t) for t in texts]
    tracker = DialogueStateTracker.from_events("g", _start(1.0), DOMAIN.slots)
    trackers = []
    for n, text in enumerate(texts):
        intent = expected[n][0] or {"name": "nlu_fallback", "confidence": 1.0}
        tracker.update(UserUttered(text, intent, expected[n][1], timestamp=2.0 + n))
        trackers.append(tracker.copy())
        tracker.update(ActionExecuted("action_refine", timestamp=2.5 + n))
        trackers.append(tracker.copy())
        tracker.update(ActionExecuted("action_listen", timestamp=2.6 + n))

    def core(run: Callable[..., Dict[str, Any]], t: DialogueStateTracker) -> Any:
        prediction = run(runner, inputs={"__tracker__": t}, targets=[core_target])[core_target]
        return (prediction.max_confidence_index, prediction.policy_name, list(prediction.probabilities))

    expected_core = [core(through_dask, t) for t in trackers]
    rasa_main.install_graph_runner()
    assert DaskGraphRunner.run is not through_dask
    got = [nlu(DaskGraphRunner.run, t) for t in texts]
    assert got == expected, (got, expected)
    got_core = [core(DaskGraphRunner.run, t) for t in trackers]
    assert got_core == expected_core, (got_core, expected_core)
    assert len({c[0] for c in expected_core}) > 1  # the checked predictions are not all alike
    assert {e[0]["name"] for e in expected if e[0]} >= {"refine", "search_item", "undo"}


def _heldout_texts() -> List[str]:
    """The texts of the held-out NLU examples (tests/nlu_test.yml, tests/nlu_heldout.yml)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    return [m.get("text") for name in ("nlu_test.yml", "nlu_heldout.yml")
            for m in RasaYAMLReader().read(ROOT / "tests" / name).training_examples]


def check_model_load_matches_rasa(folder: Path) -> None:
    """The model loaded without a training step (`install_model_load`) parses every held-out NLU
    example exactly as the model loaded by Rasa's own `RasaModel.load`: intent, confidence,
    ranking and entities (the model: GRADREC_CHECK_MODEL)."""
    import os
    import resource

    from rasa.core.agent import Agent

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    texts = _heldout_texts()
    assert len(texts) > 500, len(texts)

    def parses() -> tuple[List[Dict[str, Any]], float]:
        start = cpu()
        agent = Agent.load(os.environ["GRADREC_CHECK_MODEL"])
        seconds = cpu() - start
        return [asyncio.run(agent.parse_message(text)) for text in texts], seconds

    expected, rasa_seconds = parses()
    rasa_main.install_model_load()
    got, our_seconds = parses()
    differ = [(t, g, e) for t, g, e in zip(texts, got, expected) if g != e]
    assert not differ, differ[:3]
    assert len({p["intent"]["name"] for p in expected}) > 5  # the compared parses are not all alike
    assert our_seconds < rasa_seconds, (our_seconds, rasa_seconds)  # the point of the cut
    print(f"model load CPU: {rasa_seconds:.1f} s by Rasa, {our_seconds:.1f} s without the training step")


def check_lock_changes_are_atomic(folder: Path) -> None:
    """Two processes' Redis lock stores (here two stores in two threads, with the time between
    reading a conversation's lock and writing it back stretched to 0.3 s) changing one lock at
    once: with Rasa's own methods both take ticket 0, or a clean-up deletes a ticket just issued;
    with `install_atomic_lock_changes` every ticket is distinct and kept (the Redis server:
    GRADREC_CHECK_REDIS, started by tests/test_rasa_main.py)."""
    import os
    import threading
    import time
    from urllib.parse import unquote, urlparse

    from rasa.core.lock_store import RedisLockStore

    url = urlparse(os.environ["GRADREC_CHECK_REDIS"])
    stores = [RedisLockStore(host=url.hostname, port=url.port, db=int(url.path.strip("/") or 0),
                             password=unquote(url.password or "") or None) for _ in range(2)]
    read = RedisLockStore.get_lock

    def slow_read(self: RedisLockStore, conversation_id: str) -> Any:
        lock = read(self, conversation_id)
        time.sleep(0.3)  # another process runs here
        return lock

    RedisLockStore.get_lock = slow_read  # type: ignore[method-assign]

    def at_once(*calls: Callable[[], Any]) -> List[Any]:
        out: List[Any] = [None] * len(calls)

        def run(i: int) -> None:
            out[i] = calls[i]()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join()
        return out

    def race(conversation: str) -> tuple[List[int], Any]:
        tickets = at_once(lambda: stores[0].issue_ticket(conversation, 30),
                          lambda: stores[1].issue_ticket(conversation, 30))
        # the first turn done while another is issued: its clean-up must not drop the new ticket
        later = at_once(lambda: stores[0].cleanup(conversation, tickets[0]),
                        lambda: stores[1].issue_ticket(conversation, 30))[1]
        lock = read(stores[0], conversation)
        return sorted(tickets) + [later], (sorted(t.number for t in lock.tickets) if lock else [])

    plain = race("plain")
    assert plain[0][0] == plain[0][1] or plain[0][2] not in plain[1], plain  # Rasa's own methods: the race is real
    rasa_main.install_atomic_lock_changes()
    rasa_main.install_atomic_lock_changes()  # installed once however often it is called
    tickets, kept = race("atomic")
    assert len(set(tickets)) == 3, tickets
    assert kept == sorted(set(tickets) - {min(tickets)}), (tickets, kept)


async def check_waiting_ticket_is_served(folder: Path) -> None:
    """A Rasa process died mid-turn, leaving its ticket; the conversation's next turn (a retry on
    another process) takes a ticket 0.1 s later and waits, polling once a second. With Rasa's own
    methods both tickets expire between two polls and the turn waits forever (here: 6 s, then
    given up); with `install_waiting_tickets_kept` the waiting ticket lives on, the turn is served
    once the dead ticket expires (its lifetime after it was issued), and it then has most of a
    lifetime to run, however long it waited."""
    import time

    from rasa.core import lock_store as rasa_lock_store
    from rasa.core.lock_store import InMemoryLockStore

    life = 2.5
    rasa_lock_store.LOCK_LIFETIME = life  # TICKET_LOCK_LIFETIME, as the launcher sets it

    async def retry_after_a_dead_turn(conversation: str) -> Optional[tuple[float, float]]:
        store = InMemoryLockStore()
        store.issue_ticket(conversation, life)  # the dead process's: never cleaned up
        await asyncio.sleep(0.1)
        started = time.time()

        async def turn() -> tuple[float, float]:
            async with store.lock(conversation, lock_lifetime=life, wait_time_in_seconds=1.0) as lock:
                return time.time() - started, lock.tickets[0].expires - time.time()

        try:
            return await asyncio.wait_for(turn(), 6.0)
        except asyncio.TimeoutError:
            return None

    assert await retry_after_a_dead_turn("plain") is None  # Rasa's own methods: never served
    rasa_main.install_waiting_tickets_kept()
    rasa_main.install_waiting_tickets_kept()  # installed once however often it is called
    served = await retry_after_a_dead_turn("kept")
    assert served is not None, "the waiting turn was not served"
    waited, left = served
    assert life - 0.2 <= waited <= life + 1.2, waited  # served at the first poll after the dead ticket expired
    assert left >= life - 1.2, left  # its own lifetime counted from its last poll, not from its issue


CHECKS = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}


def _run(name: str, folder: Path) -> None:
    result = CHECKS[name](folder)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


SLOWEST = ("model_load_matches_rasa", "graph_runner_matches_dask")  # started first: they load the model
AT_ONCE = 2  # checks running at a time (the slowest is mostly one model load, CPU-bound on one core)


def _run_all(folder: Path) -> Dict[str, str]:
    """Every check in a child process forked from this one (Rasa imported, nothing installed),
    `AT_ONCE` at a time: check -> "ok" or the child's traceback (or how it died). Importing
    TensorFlow starts no thread (checked: the same 3 before and after), so the children fork
    safely after it."""
    import os
    import traceback

    import rasa.core.agent  # noqa: F401 - TensorFlow and Rasa's agent imported once, before the forks

    results: Dict[str, str] = {}
    pending = sorted(CHECKS, key=lambda name: name not in SLOWEST)
    running: Dict[int, str] = {}
    while pending or running:
        while pending and len(running) < AT_ONCE:
            name = pending.pop(0)
            sub = folder / name
            sub.mkdir()
            pid = os.fork()
            if pid == 0:  # the child: run one check, report, leave without running the parent's exit code
                try:
                    _run(name, sub)
                    message = "ok"
                except BaseException:
                    message = traceback.format_exc()
                (folder / f"{name}.result").write_text(message)
                sys.stdout.flush()
                os._exit(0)
            running[pid] = name
        pid, status = os.wait()
        name = running.pop(pid)
        report = folder / f"{name}.result"
        message = report.read_text() if report.exists() else ""
        results[name] = message or f"the check's process died (wait status {status})"
    return {name: results[name] for name in CHECKS}


def main() -> None:
    name, folder = sys.argv[1], Path(sys.argv[2])
    if name == "all":
        print(json.dumps(_run_all(folder)))
        return
    _run(name, folder)
    print("ok")


if __name__ == "__main__":
    main()
