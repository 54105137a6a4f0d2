"""A simulated shopper looking for a target product, talking to the served assistant.

Each episode draws a target item and a start item that share the target's broad category (and, where
the catalog has one, its gender) and differ in 1-3 of the catalog's attributes (which columns those
are is data: benchmarks/shopper_catalogs.json). The shopper opens the start item (as a widget does,
`/search_item{"item_id": ...}`), then each turn names ONE attribute in which the shown item still
differs from the target, in everyday phrasing drawn from templates with a seed ("got this in navy?",
"one for the gym", "show me loafers instead", "anything from <brand>?"). It only sends text through
the REST channel (Rasa's NLU included) and reads the shown item's id from the reply's custom
payload; the ground truth is the catalog CSV's columns.

Measured per catalog: the share of episodes whose target attributes were all reached within 10
turns; mean turns against the oracle (one turn per difference) on the episodes reached; the share
of critiques that undid an attribute that was already right. In the same run, on the same
episodes, a baseline shopper retypes the description of every target attribute it knows (the ones
the start item already had, plus one more difference per turn) into the engine's plain `search`
and looks at the first result.

    python benchmarks/shopper.py [--catalogs sample,retail] [--episodes 60] [--seed 7] [--quick]

The retail catalog needs `make retail` first. Results: docs/results/shopper.json (quick runs:
var/bench/shopper_quick.json).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import json
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, VAR_BENCH, fmt, progress, save, table  # noqa: E402

CONFIG = Path(__file__).with_name("shopper_catalogs.json")
MAX_TURNS = 10

# --------------------------------------------------------------------------- phrasing
# The shopper's own words: written for this benchmark, not taken from data/nlu. {v} is the
# target's value as a shopper would write it (lower case; kinds in the plural).

TEMPLATES: dict[str, tuple[str, ...]] = {
    "colour": ("got this one in {v}?", "do you happen to have it in {v}?", "any of these in {v}?", "I'd like it in {v}",
               "can I see a {v} one?", "same thing but {v}", "can I see this in {v}?",
               "is there a {v} version?", "{v} would be better", "would it come in {v} too?"),
    "kind": ("show me some {v} instead", "and what about {v}?", "I'd rather go for {v}",
             "do you have any {v} like this one?", "actually I want {v}", "any {v} in this style?",
             "can you find me {v} like this one?", "switch to {v} please"),
    "brand": ("anything from {v}?", "do you have this by {v}?", "show me {v} ones",
              "I prefer {v}", "what does {v} have like this?", "same but from {v}",
              "is there one by {v}?"),
    "material": ("do you have one in {v}?", "I'd prefer {v}", "something made of {v}",
                 "same but in {v}", "is there a {v} one?"),
    "pattern": ("a {v} one?", "something {v} maybe", "got a {v} version?", "I'd like it {v}",
                "show me a {v} one"),
}
#: Occasion values a shopper names by what the item is for; other values get OCCASION_FALLBACK.
OCCASION: dict[str, tuple[str, ...]] = {
    "sports": ("one for the gym", "something sportier", "I need it for running",
               "something I can train in", "something for sports"),
    "athleisure": ("something sportier", "one for the gym", "something to lounge and work out in"),
    "formal": ("something more formal", "I need it for a formal dinner", "something dressier",
               "one for a black-tie event"),
    "business": ("something for the office", "one I can wear to work", "something more businesslike"),
    "casual": ("something more casual", "something for every day", "more relaxed please",
               "something laid-back for the weekend"),
    "smart casual": ("something a bit smart casual", "smart but relaxed please", "one for dinner out"),
    "ethnic": ("something more traditional", "something ethnic", "one for a festival"),
    "party": ("something to wear to a party", "one for a night out", "something more party-ready"),
    "travel": ("something for travelling", "one for a trip", "something for my travels"),
}
OCCASION_FALLBACK = ("something {v}", "one for {v} wear")
PATTERN_WORDS: dict[str, tuple[str, ...]] = {"plain": ("something plain", "no pattern please",
                                                       "a plain one?")}


def spoken(role: str, value: str) -> str:
    v = " ".join(value.lower().split())
    if role == "kind":  # kinds in the plural: "dresses", "polo shirts", "jeans"
        v += "es" if v.endswith(("ss", "sh", "ch")) else "" if v.endswith("s") else "s"
    return v


def phrase(role: str, value: str, rng: random.Random) -> str:
    """One everyday sentence naming `value` of an attribute with this role."""
    v = spoken(role, value)
    if role == "occasion":
        return rng.choice(OCCASION.get(v, OCCASION_FALLBACK)).format(v=v)
    if role == "pattern" and v in PATTERN_WORDS:
        return rng.choice(PATTERN_WORDS[v])
    return rng.choice(TEMPLATES[role]).format(v=value if role == "brand" else v)


# --------------------------------------------------------------------------- catalog and goals

@dataclass
class Catalog:
    """A catalog CSV read for ground truth, with the benchmark's per-catalog set-up."""

    name: str
    rows: dict[str, dict[str, str]]
    attributes: dict[str, dict[str, str]]
    same: list[str]
    group: dict[str, Any] | None
    describe: list[str]
    index: Path

    @classmethod
    def load(cls, name: str, config: dict[str, Any] | None = None, root: Path = REPO) -> "Catalog":
        spec = (config or json.loads(CONFIG.read_text()))[name]
        path = root / spec["csv"]
        if not path.is_file():
            raise SystemExit(f"{path}: no catalog; run `make {'retail' if name == 'retail' else 'catalog'}` first")
        with open(path, newline="", encoding="utf-8") as f:
            rows = {r["id"]: r for r in csv.DictReader(f)}
        return cls(name, rows, spec["attributes"], list(spec.get("same", [])), spec.get("group"),
                   list(spec["describe"]), root / spec["index"])

    def value(self, row: dict[str, str], attr: str) -> str:
        a = self.attributes[attr]
        text = row[a["column"]]
        if "brand_before" in a:  # the name starts with the brand, then that column's value
            return text.split(f" {row[a['brand_before']]} ", 1)[0]
        return text

    def values(self, item_id: str) -> dict[str, str]:
        row = self.rows[item_id]
        return {a: self.value(row, a) for a in self.attributes}

    def group_key(self, item_id: str) -> tuple[str, ...]:
        row = self.rows[item_id]
        key = tuple(row[c] for c in self.same)
        if self.group:
            key += (self.group["map"][row[self.group["column"]]],)
        return key


@dataclass
class Episode:
    target: str
    start: str
    differences: list[str]  # attributes start and target differ in, in the order the shopper names them


def make_episodes(cat: Catalog, n: int, rng: random.Random) -> list[Episode]:
    """`n` (target, start) pairs of one broad category differing in 1-3 attributes (1, 2 and 3
    equally often), every attribute present on both."""
    by_group: dict[tuple[str, ...], list[str]] = {}
    values = {i: cat.values(i) for i in cat.rows}
    for i in cat.rows:
        if all(values[i].values()):
            by_group.setdefault(cat.group_key(i), []).append(i)
    ids = sorted(i for g in by_group.values() for i in g)
    out: list[Episode] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 200 * n:
            raise SystemExit(f"{cat.name}: cannot find {n} target/start pairs differing in 1-3 attributes")
        want = 1 + len(out) % 3
        target = rng.choice(ids)
        tv = values[target]
        starts = [i for i in by_group[cat.group_key(target)]
                  if sum(values[i][a] != tv[a] for a in tv) == want]
        if not starts:
            continue
        start = rng.choice(starts)
        diffs = [a for a in tv if values[start][a] != tv[a]]
        rng.shuffle(diffs)
        out.append(Episode(target, start, diffs))
    return out


def wrong(cat: Catalog, shown: str, target: str) -> list[str]:
    """The attributes in which the shown item differs from the target."""
    s, t = cat.values(shown), cat.values(target)
    return [a for a in t if s[a] != t[a]]


@dataclass
class Outcome:
    """One shopper's episode: reached within MAX_TURNS, turns used, critiques that undid a right attribute."""

    oracle: int
    reached: bool = False
    turns: int = 0
    undid: int = 0
    no_item: int = 0
    named: dict[str, list[int]] = field(default_factory=dict)  # attribute -> [critiques after which it is right, critiques]
    said: list[tuple[str, str | None]] = field(default_factory=list)  # (sentence, item shown after it)
    trace: list[dict[str, Any]] = field(default_factory=list)  # one record per turn (see `trace_turn`)


def next_critique(cat: Catalog, ep: Episode, shown: str, rng: random.Random) -> tuple[str, str] | None:
    """(attribute, sentence) for one remaining difference, in the episode's order; None when reached."""
    left = wrong(cat, shown, ep.target)
    if not left:
        return None
    attr = min(left, key=lambda a: ep.differences.index(a) if a in ep.differences else len(ep.differences))
    role = cat.attributes[attr]["role"]
    return attr, phrase(role, cat.values(ep.target)[attr], rng)


def trace_turn(cat: Catalog, out: Outcome, before: str, after: str | None, target: str, named: str, text: str,
               route: dict[str, Any]) -> None:
    """One turn's record: what was said, how the assistant routed it (`route`: intent, action, plan
    ops, reply), the item shown, and which target attributes were right before and after."""
    right = lambda item: sorted(set(cat.attributes) - set(wrong(cat, item, target)))  # noqa: E731
    shown = after if after in cat.rows else None
    out.trace.append({"said": text, "named": named, "value": cat.values(target)[named], **route,
                      "before": before, "after": after, "right_before": right(before),
                      "right_after": right(shown) if shown else None,
                      "shown_after": cat.values(shown) if shown else None})


def score_turn(cat: Catalog, out: Outcome, before: str, after: str | None, target: str, named: str) -> str:
    """Count the turn; returns the item shown after it."""
    out.turns += 1
    tally = out.named.setdefault(named, [0, 0])
    tally[1] += 1
    if after is None or after not in cat.rows:
        out.no_item += 1
        return before
    tally[0] += named not in wrong(cat, after, target)
    right_before = set(cat.attributes) - set(wrong(cat, before, target)) - {named}
    if right_before & set(wrong(cat, after, target)):
        out.undid += 1
    return after


# --------------------------------------------------------------------------- the two shoppers

def shown_id(replies: Sequence[dict[str, Any]] | None) -> str | None:
    """The id of the item a reply shows (its custom payload), if any."""
    for m in replies or []:
        item = (m.get("custom") or {}).get("item") if isinstance(m.get("custom"), dict) else None
        if isinstance(item, dict) and item.get("id") is not None:
            return str(item["id"])
    return None


def reply_route(replies: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    """How the assistant answered, read from its replies: the custom payload's type and plan ops
    (when the planner ran) and the reply's text."""
    out: dict[str, Any] = {"reply": " | ".join(str(m.get("text")) for m in replies or [] if m.get("text"))[:300]}
    for m in replies or []:
        custom = m.get("custom") if isinstance(m.get("custom"), dict) else None
        if custom:
            out["action"] = custom.get("type")
            plan = (custom.get("step") or {}).get("plan")
            if isinstance(plan, dict):
                out["plan"] = plan.get("kind")
                out["ops"] = [_op_label(o) for o in plan.get("steps") or []]
    return out


def _op_label(op: dict[str, Any]) -> str:
    """'require baseColour=navy blue', 'comparative formal', 'change_kind Shirts'."""
    kind = op.get("op", "?")
    if "column" in op and "values" in op:
        return f"{kind} {op['column']}={'|'.join(op['values'])}"
    if "kinds" in op:
        return f"{kind} {'|'.join(op['kinds'])}"
    return f"{kind} {op.get('attribute', '')}".strip()


async def chat_episode(http: Any, url: str, sender: str, cat: Catalog, ep: Episode, rng: random.Random,
                       max_turns: int = MAX_TURNS, tracker: Any = None) -> Outcome:
    """The critiquing shopper: opens the start item, then names one difference a turn over REST.
    `tracker`: an async function of the sender giving the NLU's last intent (the trace's), if any."""
    out = Outcome(oracle=len(ep.differences))

    route: dict[str, Any] = {}

    async def say(text: str) -> str | None:
        r = await http.post(url, json={"sender": sender, "message": text})
        r.raise_for_status()
        route.clear()
        route.update(reply_route(r.json()))
        if tracker is not None:
            route["intent"] = await tracker(sender)
        return shown_id(r.json())

    shown = await say(f'/search_item{{"item_id": "{ep.start}"}}')
    if shown != ep.start:
        raise RuntimeError(f"{sender}: opening item {ep.start} showed {shown}")
    while out.turns < max_turns:
        step = next_critique(cat, ep, shown, rng)
        if step is None:
            break
        attr, text = step
        after = await say(text)
        out.said.append((text, after))
        trace_turn(cat, out, shown, after, ep.target, attr, text, dict(route))
        shown = score_turn(cat, out, shown, after, ep.target, attr)
    out.reached = not wrong(cat, shown, ep.target)
    return out


def direct_episode(engine: Any, sender: str, cat: Catalog, ep: Episode, rng: random.Random,
                   max_turns: int = MAX_TURNS) -> Outcome:
    """The critiquing shopper without Rasa: every sentence goes straight to the planner
    (`take_turn`, as the chat's refine action calls it). Isolates the planner and engine from the
    NLU's routing, for reading failures; the REST run is the measured one."""
    from gradrec_core.critique.turn import take_turn

    out = Outcome(oracle=len(ep.differences))
    engine.start(sender, ep.start)
    shown = ep.start
    while out.turns < max_turns:
        step = next_critique(cat, ep, shown, rng)
        if step is None:
            break
        attr, text = step
        turn = take_turn(engine, sender, text)
        after = turn.item.id if turn.item is not None else shown
        out.said.append((text, after))
        trace_turn(cat, out, shown, after, ep.target, attr, text,
                   {"plan": turn.plan.kind, "ops": [_op_label(dataclasses.asdict(o)) for o in turn.plan.ops],
                    "reply": turn.answer[:300]})
        shown = score_turn(cat, out, shown, after, ep.target, attr)
    out.reached = not wrong(cat, shown, ep.target)
    return out


def describe(cat: Catalog, target: str, known: set[str]) -> str:
    """The baseline's query: the known target attributes (and shared columns) in the catalog's order."""
    row, values = cat.rows[target], cat.values(target)
    words = []
    for slot in cat.describe:
        if slot in cat.attributes and slot in known:
            role, v = cat.attributes[slot]["role"], values[slot]
            words.append(f"for {v.lower()}" if role == "occasion" else
                         v if role == "brand" else spoken(role, v) if role == "kind" else v.lower())
        elif slot in cat.same:
            words.append(row[slot].lower())
    return " ".join(words)


def search_episode(engine: Any, cat: Catalog, ep: Episode, max_turns: int = MAX_TURNS) -> Outcome:
    """The retyping shopper: each turn one more difference is known; it types every known target
    attribute into the plain search and looks at the first result."""
    out = Outcome(oracle=len(ep.differences))
    known = set(cat.attributes) - set(ep.differences)
    shown = ep.start
    # once every difference is known the query no longer changes, nor does its first result
    for t in range(1, min(max_turns, len(ep.differences)) + 1):
        named = ep.differences[t - 1]
        known.add(named)
        query = describe(cat, ep.target, known)
        hits = engine.search(query, k=1)
        after = hits[0].item.id if hits else None
        out.said.append((query, after))
        shown = score_turn(cat, out, shown, after, ep.target, named)
        if not wrong(cat, shown, ep.target):
            break
    out.reached = not wrong(cat, shown, ep.target)
    return out


# --------------------------------------------------------------------------- runs

def failures(cat: Catalog, episodes: Sequence[Episode], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Failed turns by attribute named and cause: 'missed' (the attribute named is still wrong),
    'undid <attr>' (a right attribute made wrong), 'no item'; with up to 5 examples each."""
    causes: dict[str, dict[str, Any]] = {}
    for ep, out in zip(episodes, outcomes):
        for t in out.trace:
            kinds = []
            if t["right_after"] is None:
                kinds.append("no item")
            else:
                if t["named"] not in t["right_after"]:
                    kinds.append("missed")
                kinds += [f"undid {a}" for a in t["right_before"] if a != t["named"] and a not in t["right_after"]]
            for k in kinds:
                slot = causes.setdefault(t["named"], {}).setdefault(k, {"count": 0, "examples": []})
                slot["count"] += 1
                if len(slot["examples"]) < 5:
                    slot["examples"].append({"from": cat.values(t["before"]), "target": cat.values(ep.target),
                                             **{k2: t.get(k2) for k2 in ("said", "intent", "action", "plan", "ops",
                                                                           "shown_after", "reply")}})
    return causes


def write_trace(name: str, tag: str, episodes: Sequence[Episode], outcomes: Sequence[Outcome],
                cat: Catalog) -> Path:
    """The per-episode trace (JSON lines) and the failure summary, under var/bench/shopper/<catalog>/."""
    var = VAR_BENCH / "shopper" / name
    var.mkdir(parents=True, exist_ok=True)
    path = var / f"trace_{tag}.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for ep, out in zip(episodes, outcomes):
            f.write(json.dumps({"start": cat.values(ep.start), "target": cat.values(ep.target),
                                "differences": ep.differences, "reached": out.reached, "turns": out.trace}) + "\n")
    (var / f"failures_{tag}.json").write_text(json.dumps(failures(cat, episodes, outcomes), indent=1))
    return path


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    reached = [o for o in outcomes if o.reached]
    critiques = sum(o.turns for o in outcomes)
    return {
        "episodes": len(outcomes),
        "reached": len(reached) / len(outcomes) if outcomes else float("nan"),
        "mean_turns": sum(o.turns for o in reached) / len(reached) if reached else float("nan"),
        "mean_oracle": sum(o.oracle for o in reached) / len(reached) if reached else float("nan"),
        "undo_share": sum(o.undid for o in outcomes) / critiques if critiques else 0.0,
        "no_item_share": sum(o.no_item for o in outcomes) / critiques if critiques else 0.0,
        "critiques": critiques,
        "named_right": {a: sum(o.named.get(a, [0, 0])[0] for o in outcomes) /
                        max(1, sum(o.named.get(a, [0, 0])[1] for o in outcomes))
                        for a in sorted({a for o in outcomes for a in o.named})},
    }


async def chat_all(url: str, cat: Catalog, episodes: Sequence[Episode], seed: int, concurrency: int,
                   max_turns: int = MAX_TURNS, tag: str = "", token: str | None = None) -> list[Outcome]:
    """Every episode through the REST channel at `url` (the Rasa server), `concurrency` at once.
    `token`: the HTTP API's, when it is on: each turn's intent is read from the tracker."""
    import httpx

    gate = asyncio.Semaphore(concurrency)
    endpoint = url + "/webhooks/rest/webhook"
    run = f"{tag or cat.name}-{os.getpid()}-{int(time.time())}"
    async with httpx.AsyncClient(timeout=300.0) as http:
        async def last_intent(sender: str) -> str | None:
            r = await http.get(f"{url}/conversations/{sender}/tracker", params={"token": token, "include_events": "NONE"})
            if r.status_code != 200:
                return None
            latest = r.json().get("latest_message") or {}
            intent = latest.get("intent") or {}
            return f"{intent.get('name')} {intent.get('confidence', 0):.2f}" if intent.get("name") else None

        with progress(total=len(episodes), desc=f"{cat.name}: shoppers") as bar:
            async def one(i: int, ep: Episode) -> Outcome:
                async with gate:
                    out = await chat_episode(http, endpoint, f"shopper-{run}-{i}", cat, ep,
                                             random.Random(seed * 100_003 + i), max_turns,
                                             last_intent if token else None)
                bar.update(1)
                return out
            return list(await asyncio.gather(*(one(i, ep) for i, ep in enumerate(episodes))))


def _settings(cat: Catalog) -> Any:
    from assistant.servers import free_port
    from assistant.settings import Settings

    var = VAR_BENCH / "shopper" / cat.name
    var.mkdir(parents=True, exist_ok=True)
    for old in var.glob("*.db*"):
        old.unlink()
    # the HTTP API (127.0.0.1 only, a one-run token) lets the trace read each turn's intent
    return dataclasses.replace(Settings.from_env(), index_dir=cat.index, db_url=f"sqlite:///{var / 'sessions.db'}",
                               var_dir=var, shops_dir=var / "shops", action_port=free_port(),
                               rasa_port=free_port(), public_url=None, enable_api=True,
                               api_token=secrets.token_hex(16))


def run_catalog(name: str, episodes: int, seed: int, concurrency: int, direct: bool = False,
                baseline: bool = True) -> dict[str, Any]:
    from gradrec_core import Engine

    cat = Catalog.load(name)
    if not (cat.index / "manifest.json").is_file():
        raise SystemExit(f"{cat.index}: no index; run `make {'retail' if name == 'retail' else 'index'}` first")
    eps = make_episodes(cat, episodes, random.Random(seed))
    t0 = time.perf_counter()
    if direct:
        engine = Engine.open(cat.index)
        chat = [direct_episode(engine, f"direct-{i}", cat, ep, random.Random(seed * 100_003 + i))
                for i, ep in enumerate(progress(eps, desc=f"{name}: shoppers (planner only)"))]
    else:
        from assistant.servers import running

        settings = _settings(cat)
        with running(settings) as (_, rasa):
            chat = asyncio.run(chat_all(rasa.url, cat, eps, seed, concurrency, token=settings.api_token))
        engine = Engine.open(cat.index)
    chat_s = time.perf_counter() - t0
    trace = write_trace(name, "direct" if direct else "rest", eps, chat, cat)
    print(f"{name}: per-turn trace {trace.relative_to(REPO)}, failures by attribute in {trace.with_name(trace.name.replace('trace', 'failures')).with_suffix('.json').relative_to(REPO)}")
    search = [search_episode(engine, cat, ep) for ep in progress(eps, desc=f"{name}: search baseline")] \
        if baseline else []
    examples = [{"start": cat.values(ep.start), "target": cat.values(ep.target), "said": o.said}
                for ep, o in list(zip(eps, chat))[:6]]
    return {"assistant": summarise(chat), "search": summarise(search), "seconds": round(chat_s, 1),
            "examples": examples}


def markdown(result: dict[str, Any]) -> str:
    rows, named = [], []
    for name, r in result["catalogs"].items():
        for who, label in (("assistant", "planner only (no NLU)" if result.get("direct") else "assistant (REST, Rasa NLU)"),
                           ("search", "retyping into search")):
            s = r[who]
            if not s["episodes"]:
                continue
            rows.append([name, label, s["episodes"], s["reached"], s["mean_turns"], s["mean_oracle"],
                         s["undo_share"], s["no_item_share"]])
            named.append([name, label, ", ".join(f"{a} {fmt(v)}" for a, v in s.get("named_right", {}).items())])
    return (table(["catalog", "shopper", "episodes", f"reached in {MAX_TURNS}", "mean turns (reached)",
                   "oracle (same)", "critiques undoing a right attribute", "turns with no item"], rows)
            + "\n\nShare of critiques after which the attribute named is right, by attribute:\n\n"
            + table(["catalog", "shopper", "attribute named: right after the turn"], named) + "\n")


def run(quick: bool = False, catalogs: Sequence[str] = ("sample", "retail"), episodes: int | None = None,
        seed: int = 7, concurrency: int = 4, direct: bool = False, baseline: bool = True) -> dict[str, Any]:
    n = episodes or (6 if quick else 60)
    result: dict[str, Any] = {"quick": quick, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "seed": seed,
                              "episodes": n, "max_turns": MAX_TURNS, "direct": direct, "catalogs": {}}
    for name in catalogs:
        result["catalogs"][name] = run_catalog(name, n, seed, concurrency, direct, baseline)
    if direct:  # the planner alone is not the measured shopper: never the results file
        (VAR_BENCH / "shopper").mkdir(parents=True, exist_ok=True)
        (VAR_BENCH / "shopper" / "direct.json").write_text(json.dumps(result, indent=1, default=str))
    else:
        save("shopper_quick" if quick else "shopper", result)
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogs", default="sample,retail", help="comma-separated, from shopper_catalogs.json")
    ap.add_argument("--episodes", type=int, default=None, help="per catalog (default 60; quick: 6)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--concurrency", type=int, default=4, help="conversations at once")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--direct", action="store_true",
                    help="no servers: each sentence straight to the planner (for reading failures; not the measured run)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the retyping shopper")
    a = ap.parse_args(argv)
    known = json.loads(CONFIG.read_text())
    names = [c.strip() for c in a.catalogs.split(",") if c.strip()]
    bad = [c for c in names if c not in known or c.startswith("_")]
    if bad:
        raise SystemExit(f"--catalogs: unknown {', '.join(bad)} (known: {', '.join(k for k in known if not k.startswith('_'))})")
    result = run(a.quick, names, a.episodes, a.seed, a.concurrency, a.direct, not a.no_baseline)
    print(markdown(result))
    for name, r in result["catalogs"].items():
        print(f"{name}: chat episodes took {fmt(r['seconds'], 1)} s")


if __name__ == "__main__":
    main()
