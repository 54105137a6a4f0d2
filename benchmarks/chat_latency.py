"""A chat turn end to end: the REST channel through Rasa to the action server and the engine.

Starts the real action server and `rasa run` on free ports on 127.0.0.1 (as the
product runs), holds conversations through `POST /webhooks/rest/webhook`, and times refine
turns ("something darker", "a bit lighter", with "go back" between them so walks never run
out). Each refine reply carries the action's own time and the engine's time
(`step.timing_ms`), so a turn splits into: engine (Engine.refine), action server (the rest of
the action: parsing, prompts, state read, reply), and Rasa (everything else: HTTP, NLU,
policies, the webhook round trip, the tracker store).

    python benchmarks/chat_latency.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.servers import free_port, running, send  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from benchmarks.common import VAR_BENCH, fmt, percentile_ms, progress, save, table  # noqa: E402

REFINES = ("something darker", "a bit lighter")
WARMUP_TURNS = 2  # per conversation: the first refine builds directions and loads caches


def _conversation(url: str, sender: str, turns: int, out: list[dict[str, float]], bar: Any) -> None:
    send(url, sender, "show me a blue polo shirt")
    for n in range(turns + WARMUP_TURNS):
        text = REFINES[n % len(REFINES)]
        started = time.perf_counter()
        replies = send(url, sender, text)
        total = time.perf_counter() - started
        timing = next(((m.get("custom") or {}).get("step", {}).get("timing_ms")
                       for m in replies if (m.get("custom") or {}).get("step", {}).get("timing_ms")), None)
        send(url, sender, "go back")
        if n >= WARMUP_TURNS and timing:
            out.append({"total": total, "action": timing["action"] / 1000, "engine": timing["engine"] / 1000})
            bar.update(1)


def _measure(url: str, conversations: int, turns: int, label: str) -> dict[str, Any]:
    samples: list[dict[str, float]] = []
    with progress(total=conversations * turns, desc=f"chat turns, {label}") as bar:
        threads = [threading.Thread(target=_conversation, args=(url, f"bench-{label}-{i}", turns, samples, bar))
                   for i in range(conversations)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    parts = {
        "total": [s["total"] for s in samples],
        "rasa": [s["total"] - s["action"] for s in samples],
        "action server": [s["action"] - s["engine"] for s in samples],
        "engine": [s["engine"] for s in samples],
    }
    return {
        "conversations": conversations,
        "turns": len(samples),
        "turns_per_s": round(len(samples) / wall, 2),
        "p50_ms": {k: round(percentile_ms(v, 50), 1) for k, v in parts.items()},
        "p95_ms": {k: round(percentile_ms(v, 95), 1) for k, v in parts.items()},
    }


def run(quick: bool = False, index: str | None = None) -> dict[str, Any]:
    base = Settings.from_env()
    var = VAR_BENCH / "chat"
    var.mkdir(parents=True, exist_ok=True)
    for old in var.glob("*.db*"):
        old.unlink()
    settings = dataclasses.replace(
        base, index_dir=Path(index) if index else base.index_dir, db_url=f"sqlite:///{var / 'sessions.db'}",
        var_dir=var, action_port=free_port(), rasa_port=free_port())
    with running(settings) as (_, rasa):
        one = _measure(rasa.url, 1, 5 if quick else 40, "1 conversation")
        many = _measure(rasa.url, 4 if quick else 20, 2 if quick else 6, "20 conversations" if not quick else "4 conversations")
    result = {"single": one, "concurrent": many, "quick": quick}
    save("chat_latency" + ("_quick" if quick else ""), result)
    print(markdown(result))
    return result


def markdown(r: dict[str, Any]) -> str:
    rows = []
    for key in ("single", "concurrent"):
        m = r[key]
        for part in ("total", "rasa", "action server", "engine"):
            rows.append([f"{m['conversations']} conversation(s)", part, m["p50_ms"][part], m["p95_ms"][part],
                         m["turns"], m["turns_per_s"] if part == "total" else ""])
    out = [table(["load", "part", "p50 ms", "p95 ms", "turns", "turns/s"], rows, 1), ""]
    one = r["single"]["p95_ms"]["total"]
    verdict = "met" if one < 100 else "missed"
    out.append(f"Target: a warm refine turn under 100 ms p95 end to end with one user: **{verdict}** "
               f"({fmt(one, 1)} ms). Rasa's share is NLU (DIET on TensorFlow), the policies, the webhook "
               "round trip and the SQL tracker store; the engine's share is `Engine.refine` (session "
               "read, walk step, session write).")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--index", default=None)
    a = ap.parse_args()
    run(a.quick, a.index)
