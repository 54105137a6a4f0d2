"""Many shoppers at once: the real servers under load, through the REST channel.

Starts the action server and `rasa run` (`assistant.servers.running`) on free ports on 127.0.0.1
and talks to `POST /webhooks/rest/webhook` with many conversations at once (asyncio + httpx, one
connection per conversation). Three phases:

(a) one conversation: refine turns ("something darker", "a bit lighter", each followed by "go
    back" so the walk never runs out), p50 / p95 latency;
(b) 100 concurrent conversations, each from its own seed item: sustained turns/s (every turn
    counted, wall clock) and p50 / p95;
(c) integrity: 200 concurrent conversations x 20 turns, each seeded from its own catalog item
    (`/search_item{"item_id": ...}`). Every reply is checked against the conversation's own history
    (`check_conversation`): lost (no answer, or no item where one is due), duplicated (a step
    number or a tracker that counts a turn twice, an item the engine saw that the shopper was
    never shown), mixed (an item that is not this walk's: "go back" to anything but the previous
    item, another kind, an item already seen, an engine state or `current_item` slot that is not
    the last item shown). The final engine state is read from the session store, the tracker's
    from Rasa's SQLite tracker store.

Phases (a) and (b) run twice in the same run on the same model: with Rasa started the way the
launcher starts it (`assistant.rasa.main`: Rasa's per-turn costs cut) and, as the baseline, with
`rasa run` as shipped (GRADREC_RASA_AS_SHIPPED), so the table compares the two on the same
machine state. (The previous change's baseline, a model with TEDPolicy, is in docs/RESULTS.md.)
The engine's own share is timed in-process (`take_turn`: the planner and
`Engine.apply`). The CPU time each server and this load generator used is read from /proc.

    python benchmarks/load.py [--quick] [--no-baseline] [--index DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.servers import _group_members, free_port, running  # noqa: E402
from assistant.settings import ROOT, Settings  # noqa: E402
from benchmarks.common import VAR_BENCH, fmt, percentile_ms, progress, save, table  # noqa: E402

log = logging.getLogger("benchmarks.load")

REFINES = ("something darker", "a bit lighter")
SEARCH = "show me a blue polo shirt"
INTEGRITY_CYCLE = ("something darker", "a bit lighter", "go back", "go back")
FIRST_ITEM = "This is the first item we looked at"
BEFORE = "`rasa run` as shipped (before)"
AFTER = "`assistant.rasa.main` (this change)"
WORKERS = "`assistant.rasa.main`, {n} Sanic workers, Redis lock store (this change)"
TODAY_TURNS_PER_S = 12.0  # the starting point: ~12 turns/s on 2 cores at any concurrency

FULL = {"single": 30, "concurrent": (100, 4), "baseline_concurrent": (100, 4), "integrity": (200, 20)}
QUICK = {"single": 4, "concurrent": (4, 3), "baseline_concurrent": (4, 2), "integrity": (6, 6)}


# --------------------------------------------------------------------------- the client

def _custom(replies: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m["custom"] for m in replies if isinstance(m.get("custom"), dict)), None)


def _texts(replies: Sequence[dict[str, Any]]) -> str:
    return " ".join(str(m.get("text") or "") for m in replies)


class Client:
    """One HTTP/1.1 client for every conversation; each turn is timed. With `keep_alive` False
    every turn opens its own connection (so that each turn goes to whichever Rasa worker accepts
    it: with keep-alive a connection stays with the worker that accepted it)."""

    def __init__(self, url: str, connections: int, timeout: float = 300.0, keep_alive: bool = True) -> None:
        import httpx

        self.url = url + "/webhooks/rest/webhook"
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(
            max_connections=connections, max_keepalive_connections=connections if keep_alive else 0),
            headers={} if keep_alive else {"Connection": "close"})

    async def turn(self, sender: str, text: str) -> tuple[float, list[dict[str, Any]] | None]:
        """(seconds, the bot's messages) or (seconds, None) when the turn got no answer."""
        started = time.perf_counter()
        try:
            r = await self.http.post(self.url, json={"sender": sender, "message": text})
            replies = r.json() if r.status_code == 200 else None
            if replies is None:
                log.warning("%s: %r got HTTP %d: %s", sender, text, r.status_code, r.text[:200])
        except Exception as err:  # noqa: BLE001 - a lost turn is counted, not raised
            log.warning("%s: %r got no answer: %s", sender, text, err)
            replies = None
        return time.perf_counter() - started, replies

    async def close(self) -> None:
        await self.http.aclose()


# --------------------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` from /proc (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the live processes in process group `pgid` (the servers run
    in their own groups; the launcher lists a group's members), from /proc."""
    return sum(process_cpu_s(pid) for pid in _group_members(pgid))


class CpuMeter:
    """CPU seconds used by the Rasa server, the action server and this process over a phase."""

    def __init__(self, pgids: tuple[int, int] | None) -> None:
        """`pgids`: the Rasa and action servers' process groups; None: only this process."""
        self.pgids = dict(zip(("rasa", "action server"), pgids)) if pgids else {}
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        out = {k: group_cpu_s(p) for k, p in self.pgids.items()}
        out["load generator"] = time.process_time()
        return out

    def used(self) -> dict[str, float]:
        end = self._now()
        return {k: round(end[k] - self.start[k], 2) for k in end}


# --------------------------------------------------------------------------- phases (a) and (b)

async def _refine_conversation(client: Client, sender: str, search: str, turns: int, warmup: int,
                               out: list[dict[str, float]], all_turns: list[float], bar: Any) -> None:
    """A search, then `warmup + turns` refines, each followed by "go back"."""
    seconds, _ = await client.turn(sender, search)
    all_turns.append(seconds)
    for n in range(warmup + turns):
        seconds, replies = await client.turn(sender, REFINES[n % len(REFINES)])
        all_turns.append(seconds)
        timing = ((_custom(replies or []) or {}).get("step") or {}).get("timing_ms")
        back, _ = await client.turn(sender, "go back")
        all_turns.append(back)
        if n >= warmup and timing:
            out.append({"total": seconds, "action": timing["action"] / 1000, "engine": timing["engine"] / 1000})
        bar.update(1)


async def warm_up(url: str) -> None:
    """One conversation before any phase: the encoder loads and the first directions are built
    on first use, not in a measured turn."""
    client = Client(url, 1)
    try:
        for text in (SEARCH, *REFINES, "go back"):
            await client.turn(f"load-warm-up-{os.getpid()}", text)
    finally:
        await client.close()


def _slug(label: str) -> str:
    """A sender id part the guarded REST channel accepts (letters, digits, dashes)."""
    return "-".join("".join(c if c.isalnum() else " " for c in label).split())


async def measure(url: str, pgids: tuple[int, int] | None, conversations: int, turns: int, label: str,
                  warmup: int = 2, seeds: Sequence[str] = ()) -> dict[str, Any]:
    """`conversations` at once, each `turns` timed refine turns (plus its search, warm-up refines
    and "go back" turns, all counted in turns/s). The first conversation opens with "show me a
    blue polo shirt", the others with their own seed item (`seeds`, as a widget sends it)."""
    client = Client(url, conversations)
    samples: list[dict[str, float]] = []
    every: list[float] = []
    try:
        with progress(total=conversations * (turns + warmup), desc=f"{label}: refine turns") as bar:
            cpu = CpuMeter(pgids)
            started = time.perf_counter()
            await asyncio.gather(*(
                _refine_conversation(client, f"load-{_slug(label)}-{os.getpid()}-{i}",
                                     f'/search_item{{"item_id": "{seeds[i - 1]}"}}' if i else SEARCH,
                                     turns, warmup, samples, every, bar) for i in range(conversations)))
            wall = time.perf_counter() - started
            used = cpu.used()
    finally:
        await client.close()
    parts = {"total": [s["total"] for s in samples],
             "rasa": [s["total"] - s["action"] for s in samples],
             "action server": [s["action"] - s["engine"] for s in samples],
             "engine": [s["engine"] for s in samples]}
    return {
        "conversations": conversations, "refine_turns": len(samples), "all_turns": len(every),
        "wall_s": round(wall, 2), "turns_per_s": round(len(every) / wall, 2),
        "all_p50_ms": round(percentile_ms(every, 50), 1), "all_p95_ms": round(percentile_ms(every, 95), 1),
        "p50_ms": {k: round(percentile_ms(v, 50), 1) for k, v in parts.items()},
        "p95_ms": {k: round(percentile_ms(v, 95), 1) for k, v in parts.items()},
        "cpu_s": used, "cpu_ms_per_turn": {k: round(v / max(len(every), 1) * 1000, 1) for k, v in used.items()},
    }


# --------------------------------------------------------------------------- phase (c): integrity

@dataclasses.dataclass
class Transcript:
    """One conversation as the shopper saw it: the seed item and each (text, replies) turn;
    replies None when the turn got no answer."""

    sender: str
    seed: str
    kind: str
    turns: list[tuple[str, list[dict[str, Any]] | None]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class FinalState:
    """Where the servers left a conversation: the engine's session and Rasa's tracker."""

    engine_current: str | None
    engine_active_steps: int
    engine_seen: frozenset[str]
    tracker_current_item: str | None
    tracker_user_turns: int


def check_conversation(t: Transcript, final: FinalState | None) -> dict[str, list[str]]:
    """The problems of one conversation, by class, checked against its own history only."""
    lost: list[str] = []
    duplicated: list[str] = []
    mixed: list[str] = []
    history: list[str] = []  # the active walk as shown: seed first
    shown: set[str] = set()
    for n, (text, replies) in enumerate(t.turns):
        where = f"{t.sender} turn {n} {text!r}"
        if not replies:
            lost.append(f"{where}: no answer")
            return {"lost": lost, "duplicated": duplicated, "mixed": mixed}  # the history is unknown from here
        custom = _custom(replies)
        card = (custom or {}).get("item") or {}
        item = card.get("id")
        if n == 0:
            if item != t.seed:
                (lost if item is None else mixed).append(f"{where}: seed {t.seed} shown as {item}")
                return {"lost": lost, "duplicated": duplicated, "mixed": mixed}
            history, shown = [t.seed], {t.seed}
        elif text == "go back":
            if len(history) == 1:
                if item is not None or FIRST_ITEM not in _texts(replies):
                    mixed.append(f"{where}: at the first item, answered {item or _texts(replies)!r}")
            elif item is None:
                lost.append(f"{where}: no item (expected {history[-2]})")
            elif item != history[-2]:
                mixed.append(f"{where}: back to {item}, expected {history[-2]}")
            else:
                history.pop()
        else:
            step = (custom or {}).get("step") or {}
            if item is None:
                lost.append(f"{where}: no item card")
            elif step.get("end_reached") or custom.get("type") == "gradrec_answer":  # type: ignore[union-attr]
                if item != history[-1]:
                    mixed.append(f"{where}: answer about {item}, current is {history[-1]}")
            else:
                number = step.get("step_number")
                if item in shown:
                    mixed.append(f"{where}: {item} was already shown in this conversation")
                if card.get("category") != t.kind:
                    mixed.append(f"{where}: {item} is a {card.get('category')}, this walk is {t.kind}")
                if number != len(history):
                    (duplicated if isinstance(number, int) and number > len(history) else mixed).append(
                        f"{where}: step number {number}, expected {len(history)}")
                history.append(item)
                shown.add(item)
    if final is None:
        lost.append(f"{t.sender}: no engine session at the end")
        return {"lost": lost, "duplicated": duplicated, "mixed": mixed}
    if final.engine_current != history[-1]:
        mixed.append(f"{t.sender}: engine's current item {final.engine_current}, last shown {history[-1]}")
    if final.engine_active_steps != len(history) - 1:  # the seed is not a step
        (duplicated if final.engine_active_steps > len(history) - 1 else lost).append(
            f"{t.sender}: engine holds {final.engine_active_steps} active steps after the seed, "
            f"shown {len(history) - 1}")
    if final.engine_seen - shown:
        mixed.append(f"{t.sender}: the engine saw {sorted(final.engine_seen - shown)}, never shown here")
    if shown - final.engine_seen:
        lost.append(f"{t.sender}: shown {sorted(shown - final.engine_seen)}, not in the engine's session")
    if final.tracker_current_item != history[-1]:
        mixed.append(f"{t.sender}: tracker's current_item {final.tracker_current_item}, last shown {history[-1]}")
    if final.tracker_user_turns != len(t.turns):
        (duplicated if final.tracker_user_turns > len(t.turns) else lost).append(
            f"{t.sender}: the tracker holds {final.tracker_user_turns} user turns, {len(t.turns)} sent")
    return {"lost": lost, "duplicated": duplicated, "mixed": mixed}


def pick_seeds(index_dir: Path, n: int) -> list[tuple[str, str]]:
    """`n` distinct items (id, kind), spread over every kind of the catalog, deterministically."""
    from gradrec_core import load_index

    items = sorted(load_index(index_dir).items, key=lambda i: i.id)
    by_kind: dict[str, list[Any]] = {}
    for item in items:
        by_kind.setdefault(item.category or "", []).append(item)
    kinds = sorted(by_kind)
    out: list[tuple[str, str]] = []
    round_ = 0
    while len(out) < n:
        added = False
        for kind in kinds:
            group = by_kind[kind]
            pos = (round_ * 37) % len(group) if round_ < len(group) else None
            if pos is not None and len(out) < n and all(group[pos].id != s for s, _ in out):
                out.append((group[pos].id, kind))
                added = True
        round_ += 1
        if not added and round_ > max(len(g) for g in by_kind.values()):
            raise SystemExit(f"{index_dir}: only {len(out)} distinct seeds for {n} conversations")
    return out


def tracker_facts(db: Path, senders: Sequence[str]) -> dict[str, tuple[str | None, int]]:
    """sender -> (the last `current_item` slot value, the number of user turns) from Rasa's SQL
    tracker store (table `events`)."""
    out: dict[str, tuple[str | None, int]] = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for sender in senders:
            current: str | None = None
            users = 0
            for type_name, data in conn.execute(
                    "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)):
                if type_name == "user":
                    users += 1
                elif type_name == "slot":
                    event = json.loads(data)
                    if event.get("name") == "current_item":
                        current = event.get("value")
            out[sender] = (current, users)
    return out


async def _integrity_conversation(client: Client, t: Transcript, turns: int, latencies: list[float],
                                  bar: Any) -> None:
    script = [f'/search_item{{"item_id": "{t.seed}"}}'] + [
        INTEGRITY_CYCLE[n % len(INTEGRITY_CYCLE)] for n in range(turns - 1)]
    for text in script:
        seconds, replies = await client.turn(t.sender, text)
        latencies.append(seconds)
        t.turns.append((text, replies))
        bar.update(1)


async def integrity(settings: Settings, pgids: tuple[int, int] | None, conversations: int, turns: int,
                    keep_alive: bool = True) -> dict[str, Any]:
    from gradrec_core import Engine

    url = f"http://{settings.host}:{settings.rasa_port}"
    tag = f"mix-{os.getpid()}-{int(time.time())}"
    transcripts = [Transcript(f"{tag}-{i}", seed, kind)
                   for i, (seed, kind) in enumerate(pick_seeds(settings.index_dir, conversations))]
    client = Client(url, conversations, keep_alive=keep_alive)
    latencies: list[float] = []
    try:
        with progress(total=conversations * turns, desc=f"integrity: {conversations} x {turns} turns") as bar:
            cpu = CpuMeter(pgids)
            started = time.perf_counter()
            await asyncio.gather(*(_integrity_conversation(client, t, turns, latencies, bar) for t in transcripts))
            wall = time.perf_counter() - started
            used = cpu.used()
    finally:
        await client.close()
    engine = Engine.open(settings.index_dir, db_url=settings.db_url)
    facts = tracker_facts(settings.var_dir / "rasa_tracker.db", [t.sender for t in transcripts])
    problems: dict[str, list[str]] = {"lost": [], "duplicated": [], "mixed": []}
    for t in transcripts:
        state = engine.state(t.sender)
        current, users = facts.get(t.sender, (None, 0))
        final = None if state is None else FinalState(
            state.current.id if state.current else None, len(state.steps), frozenset(state.seen), current, users)
        for k, v in check_conversation(t, final).items():
            problems[k] += v
    sent = sum(len(t.turns) for t in transcripts)
    return {
        "conversations": conversations, "turns_per_conversation": turns, "turns": sent,
        "answered": sum(1 for t in transcripts for _, r in t.turns if r),
        "walk_steps": sum(1 for t in transcripts for text, r in t.turns
                          if r and text in REFINES and not (((_custom(r) or {}).get("step") or {}).get("end_reached"))),
        "wall_s": round(wall, 2), "turns_per_s": round(sent / wall, 2),
        "p50_ms": round(percentile_ms(latencies, 50), 1), "p95_ms": round(percentile_ms(latencies, 95), 1),
        "cpu_s": used,
        **{k: len(v) for k, v in problems.items()},
        "examples": {k: v[:5] for k, v in problems.items()},
    }


# --------------------------------------------------------------------------- the engine alone

def engine_only(index_dir: Path, turns: int) -> dict[str, Any]:
    """`take_turn` (planner + Engine.apply) in this process, in-memory session store: the engine's
    share of a refine turn without any server."""
    from gradrec_core import Engine
    from gradrec_core.critique.turn import take_turn

    engine = Engine.open(index_dir, db_url="sqlite:///:memory:")
    seed = engine.search(SEARCH, k=1)[0].item
    engine.start("engine-only", seed.id)
    times: list[float] = []
    for n in range(turns + 2):
        started = time.perf_counter()
        turn = take_turn(engine, "engine-only", REFINES[n % len(REFINES)], {})
        elapsed = time.perf_counter() - started
        if turn.step is not None and turn.step.item is not None:
            engine.undo("engine-only")
        if n >= 2:
            times.append(elapsed)
    return {"turns": len(times), "p50_ms": round(percentile_ms(times, 50), 2),
            "p95_ms": round(percentile_ms(times, 95), 2)}


# --------------------------------------------------------------------------- the run

def cpu_probe_ms(repeats: int = 5) -> float:
    """The fastest of `repeats` runs of a fixed pure-Python loop, in ms of this process's CPU: how
    fast the shared machine ran then (a run whose probe is slower ran on a slower machine; CPU per
    turn in different runs compares only next to it)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        sum(i * i for i in range(2_000_000))
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def _settings(label: str, models_dir: Path, index: str | None, as_shipped: bool = False) -> Settings:
    base = Settings.from_env()
    var = VAR_BENCH / "load" / label
    var.mkdir(parents=True, exist_ok=True)
    for old in var.glob("*.db*"):
        old.unlink()
    return dataclasses.replace(
        base, index_dir=Path(index) if index else base.index_dir, models_dir=models_dir,
        db_url=f"sqlite:///{var / 'sessions.db'}", var_dir=var, action_port=free_port(), rasa_port=free_port(),
        rasa_as_shipped=as_shipped)


def phases(settings: Settings, url: str, pgids: tuple[int, int] | None, sizes: dict[str, Any],
           with_integrity: bool, label: str) -> dict[str, Any]:
    """Phases (a), (b) and, with `with_integrity`, (c) against servers already running with
    `settings` (Rasa at `url`; `pgids`: the Rasa and action servers' process groups, for CPU)."""
    out: dict[str, Any] = {}
    asyncio.run(warm_up(url))
    out["single"] = asyncio.run(measure(url, pgids, 1, sizes["single"], f"{label}, 1 conversation"))
    conversations, turns = sizes["concurrent" if with_integrity else "baseline_concurrent"]
    seeds = [s for s, _ in pick_seeds(settings.index_dir, conversations)]
    out["concurrent"] = asyncio.run(measure(url, pgids, conversations, turns,
                                            f"{label}, {conversations} conversations", warmup=0, seeds=seeds))
    if with_integrity:
        conversations, turns = sizes["integrity"]
        out["integrity"] = asyncio.run(integrity(settings, pgids, conversations, turns))
    return out


def run_model(label: str, settings: Settings, sizes: dict[str, Any], with_integrity: bool) -> dict[str, Any]:
    """Start both servers on `settings` (its models_dir's model), run the phases, stop them."""
    print(f"== load: {label} ({settings.models_dir})", file=sys.stderr, flush=True)
    with running(settings) as (actions, rasa):
        out = phases(settings, rasa.url, (rasa.pid, actions.pid), sizes, with_integrity, label)
    out["rasa_workers"] = settings.rasa_workers
    out["model_dir"] = (str(settings.models_dir.relative_to(ROOT)) if settings.models_dir.is_relative_to(ROOT)
                        else settings.models_dir.name)
    return out


def run(quick: bool = False, index: str | None = None, baseline: bool | None = None,
        sizes: dict[str, Any] | None = None, workers: int | None = None) -> dict[str, Any]:
    """This change (phases (a)-(c)); with `workers` > 1 (default 2, 1 in quick runs) the same with
    that many Sanic workers in the Rasa process on a throw-away Redis lock store (phases (a)-(c));
    the baseline unless `baseline` is False (quick runs skip it unless True; phases (a), (b)); the
    engine alone. Saved as docs/results/load.json (var/bench for quick)."""
    workers = (1 if quick else 2) if workers is None else workers
    sizes = sizes or (QUICK if quick else FULL)
    with_baseline = (not quick) if baseline is None else baseline
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.perf_counter()
    load_start = os.getloadavg()[0]
    result_probe = [cpu_probe_ms()]
    result: dict[str, Any] = {"quick": quick, "started": started, "sizes": sizes,
                              "today_turns_per_s": TODAY_TURNS_PER_S}
    current = _settings("after", Settings.from_env().models_dir, index)
    result["after"] = run_model(AFTER, current, sizes, True)
    if workers > 1:
        from assistant.services import temporary_services

        with temporary_services(postgres=False) as (_, redis):
            assert redis is not None
            several = dataclasses.replace(_settings("workers", current.models_dir, index), rasa_workers=workers,
                                          lock_url=redis.url)
            result["workers"] = run_model(WORKERS.format(n=workers), several, sizes, True)
    if with_baseline:
        base = _settings("before", current.models_dir, index, as_shipped=True)
        result["before"] = run_model(BEFORE, base, sizes, False)
    result["engine_only"] = engine_only(current.index_dir, 10 if quick else 60)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["load_start"], result["load_end"] = load_start, os.getloadavg()[0]
    result["cpu_probe_ms"] = [*result_probe, cpu_probe_ms()]
    save("load" + ("_quick" if quick else ""), result)
    print(markdown(result))
    return result


# --------------------------------------------------------------------------- the report

def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def markdown(r: dict[str, Any]) -> str:
    rows = []
    labels = (("before", BEFORE), ("after", AFTER),
              ("workers", WORKERS.format(n=(r.get("workers") or {}).get("rasa_workers", 2))))
    for key, label in labels:
        m = r.get(key)
        if not m:
            continue
        for phase in ("single", "concurrent"):
            p = m[phase]
            cpu = p["cpu_ms_per_turn"]
            rows.append([label, f"{p['conversations']}", p["p50_ms"]["total"], p["p95_ms"]["total"],
                         p["p50_ms"]["rasa"], p["p50_ms"]["engine"], p["all_p95_ms"], p["turns_per_s"],
                         cpu.get("rasa"), cpu.get("action server"), cpu.get("load generator")])
    out = [table(["Rasa", "conversations", "refine p50 ms", "refine p95 ms", "Rasa's share p50 ms",
                  "engine p50 ms", "any turn p95 ms", "turns/s", "Rasa CPU ms/turn", "action server CPU ms/turn",
                  "load generator CPU ms/turn"], rows, 1), ""]
    after = r["after"]
    runs = [(label, r[key]) for key, label in labels if key != "before" and r.get(key)]
    rows = [[label, f"{i['conversations']} x {i['turns_per_conversation']}", i["turns"], i["answered"], i["lost"],
             i["duplicated"], i["mixed"], i["turns_per_s"], i["p50_ms"], i["p95_ms"]]
            for label, i in ((label, m["integrity"]) for label, m in runs)]
    out.append(table(["Rasa", "conversations x turns", "turns sent", "answered", "lost", "duplicated", "mixed",
                      "turns/s", "p50 ms", "p95 ms"], rows, 1))
    out.append("")
    e = r["engine_only"]
    out.append(f"The engine alone (`take_turn`: planner + `Engine.apply`, in-process, {e['turns']} refine turns): "
               f"{fmt(e['p50_ms'], 1)} ms p50 / {fmt(e['p95_ms'], 1)} ms p95.")
    out.append("")
    one = after["single"]["p95_ms"]["total"]
    out.append("Targets (2 cores):")
    out.append(f"- a refine turn under 100 ms p95 with one conversation: {_verdict(one < 100)} ({fmt(one, 1)} ms"
               + (f"; before: {fmt(r['before']['single']['p95_ms']['total'], 1)} ms)" if r.get("before") else ")"))
    many = [(label, m["concurrent"]) for label, m in runs]
    best = max((c for _, c in many), key=lambda c: c["turns_per_s"])
    out.append(f"- >= 50 turns/s sustained with {best['conversations']} concurrent conversations: "
               f"{_verdict(best['turns_per_s'] >= 50 and best['conversations'] >= 100)} ("
               + "; ".join(f"{fmt(c['turns_per_s'], 1)} turns/s with {label}" for label, c in many)
               + (f"; before, same run: {fmt(r['before']['concurrent']['turns_per_s'], 1)}" if r.get("before") else "")
               + f"; the issue's starting point: {fmt(r['today_turns_per_s'], 0)})")
    for label, m in runs:
        i = m["integrity"]
        ok = i["lost"] == i["duplicated"] == i["mixed"] == 0 and i["conversations"] >= 200
        out.append(f"- {i['conversations']} concurrent conversations x {i['turns_per_conversation']} turns with 0 "
                   f"lost, duplicated or mixed, {label}: {_verdict(ok)} ({i['lost']} / {i['duplicated']} / {i['mixed']})")
        for k, v in i["examples"].items():
            for line in v:
                out.append(f"  - {k}: {line}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, no baseline (smoke run)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline (Rasa as shipped)")
    ap.add_argument("--baseline", action="store_true", help="measure the baseline in a quick run too")
    ap.add_argument("--index", default=None, help="index folder (default var/index/sample)")
    ap.add_argument("--workers", type=int, default=None,
                    help="also run with this many Sanic workers for Rasa on a Redis lock store (default 2; 1: skip)")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(a.quick, a.index, False if a.no_baseline else (True if a.baseline else None), workers=a.workers)


if __name__ == "__main__":
    main()
