"""The load benchmark (benchmarks/load.py): its integrity checker against transcripts whose faults
are known (a lost turn, a duplicated step, another conversation's item, a tracker or engine
that disagrees with what the shopper saw), and a tiny run of every phase against the real
servers. It asserts nothing about speed: the numbers come from `make bench`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import load  # noqa: E402

KIND = "polo shirt"


def item(item_id: str, number: int | None = None, kind: str = KIND, end: bool = False,
         answer: bool = False) -> list[dict[str, Any]]:
    """The REST channel's messages for one item reply (text, then the custom card)."""
    step: dict[str, Any] = {} if number is None else {"step_number": number, "end_reached": end}
    return [{"recipient_id": "s", "text": f"Here's {item_id}."},
            {"recipient_id": "s", "custom": {"type": "gradrec_answer" if answer else "gradrec_item",
                                             "item": {"id": item_id, "category": kind}, "step": step}}]


def good_transcript() -> load.Transcript:
    """seed -> a -> b, back to a, back to seed, back again (nothing before the seed), c."""
    t = load.Transcript("s", "seed", KIND)
    t.turns += [('/search_item{"item_id": "seed"}', item("seed")),
                ("something darker", item("a", 1)),
                ("a bit lighter", item("b", 2)),
                ("go back", item("a", 1)),
                ("go back", item("seed", 0)),
                ("go back", [{"recipient_id": "s", "text": load.FIRST_ITEM + "; there's nothing before it."}]),
                ("something darker", item("c", 1)),
                ("a bit lighter", item("c", 2, end=True, answer=True))]
    return t


def final(**changes: Any) -> load.FinalState:
    base = dict(engine_current="c", engine_active_steps=1, engine_seen=frozenset({"seed", "a", "b", "c"}),
                tracker_current_item="c", tracker_user_turns=8)
    return load.FinalState(**{**base, **changes})  # type: ignore[arg-type]


def counts(problems: dict[str, list[str]]) -> dict[str, int]:
    return {k: len(v) for k, v in problems.items()}


def test_a_consistent_conversation_has_no_problem() -> None:
    assert counts(load.check_conversation(good_transcript(), final())) == {"lost": 0, "duplicated": 0, "mixed": 0}


def test_a_turn_without_an_answer_is_lost() -> None:
    t = good_transcript()
    t.turns[2] = ("a bit lighter", None)
    assert counts(load.check_conversation(t, final()))["lost"] == 1


def test_a_step_applied_twice_is_duplicated() -> None:
    t = good_transcript()
    t.turns[2] = ("a bit lighter", item("b", 3))  # the engine counted one step more than was asked
    problems = load.check_conversation(t, final())
    assert counts(problems)["duplicated"] == 1 and "step number 3, expected 2" in problems["duplicated"][0]
    assert counts(load.check_conversation(good_transcript(), final(tracker_user_turns=9)))["duplicated"] == 1
    assert counts(load.check_conversation(good_transcript(), final(engine_active_steps=2)))["duplicated"] == 1


def test_another_conversations_item_or_state_is_mixed() -> None:
    t = good_transcript()
    t.turns[3] = ("go back", item("x", 1))  # back to an item this walk never showed
    assert counts(load.check_conversation(t, final()))["mixed"] >= 1
    t = good_transcript()
    t.turns[1] = ("something darker", item("a", 1, kind="skirt"))
    assert counts(load.check_conversation(t, final()))["mixed"] == 1
    t = good_transcript()
    t.turns[6] = ("something darker", item("a", 1))  # an item already seen in this conversation
    assert counts(load.check_conversation(t, final()))["mixed"] >= 1
    for wrong in (final(engine_current="x"), final(tracker_current_item="x"),
                  final(engine_seen=frozenset({"seed", "a", "b", "c", "x"}))):
        assert counts(load.check_conversation(good_transcript(), wrong))["mixed"] == 1, wrong


def test_no_engine_session_at_the_end_is_lost() -> None:
    assert counts(load.check_conversation(good_transcript(), None))["lost"] == 1


def test_seeds_are_distinct_and_cover_every_kind(sample_index_dir: Path) -> None:
    from gradrec_core import load_index

    index = load_index(sample_index_dir)
    kinds = {i.category for i in index.items}
    seeds = load.pick_seeds(sample_index_dir, 2 * len(kinds))
    assert len({s for s, _ in seeds}) == len(seeds) == 2 * len(kinds)
    assert {k for _, k in seeds} == kinds
    assert all(index.items[index.row(s)].category == k for s, k in seeds)


def test_baseline_is_rasa_as_shipped() -> None:
    """The benchmark's baseline starts plain `rasa run`; this change's run goes through
    `assistant.rasa.main`; both on the same model."""
    from assistant.servers import rasa_argv

    models = Path("models")
    after, before = load._settings("smoke-after", models, None), load._settings("smoke-before", models, None, True)
    argv_after = rasa_argv(after, 5005, Path("e.yml"), models / "m.tar.gz")
    argv_before = rasa_argv(before, 5005, Path("e.yml"), models / "m.tar.gz")
    assert argv_after[1:4] == ["-m", "assistant.rasa.main", "run"]
    assert Path(argv_before[0]).name == "rasa" and argv_before[1] == "run" and "assistant.rasa.main" not in argv_before
    assert argv_after[argv_after.index("--model"):] == argv_before[argv_before.index("--model"):]


def test_every_phase_runs_against_the_real_servers(assistant_servers: Any) -> None:
    """A tiny run of phases (a)-(c) on the shared test servers: every turn answered, the
    integrity check finds nothing, and the report renders its targets."""
    settings = assistant_servers
    url = f"http://{settings.host}:{settings.rasa_port}"
    sizes = {"single": 2, "concurrent": (2, 1), "baseline_concurrent": (2, 1), "integrity": (3, 5)}
    out = load.phases(settings, url, None, sizes, True, "smoke")
    assert out["single"]["refine_turns"] == 2 and out["concurrent"]["refine_turns"] == 2
    i = out["integrity"]
    assert i["turns"] == i["answered"] == 15
    assert (i["lost"], i["duplicated"], i["mixed"]) == (0, 0, 0), i["examples"]
    assert i["walk_steps"] >= 1
    text = load.markdown({"after": out, "engine_only": {"turns": 0, "p50_ms": None, "p95_ms": None},
                          "today_turns_per_s": load.TODAY_TURNS_PER_S})
    assert "0 lost, duplicated or mixed" in text and "turns/s" in text


@pytest.mark.slow
def test_two_rasa_workers_on_redis_share_the_load_and_lose_nothing(
        sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """GRADREC_RASA_WORKERS=2 with a Redis lock store (the configuration the load benchmark
    measures next to one worker): one port, Sanic's main process and two workers; concurrent
    conversations, each turn on a connection of its own so that one conversation's turns land on
    both workers (each uses CPU for them), are every one answered, in order, with engine and
    tracker agreeing (the benchmark's checker). Both workers share the SQLite tracker store, each
    with its own kept trackers, so a turn after one on the other worker must read the store."""
    import asyncio

    from assistant.servers import _group_members, running
    from assistant.services import temporary_services
    from conftest import private_settings

    with temporary_services(postgres=False) as (_, redis):
        assert redis is not None
        settings = private_settings(tmp_path_factory, "two-workers", sample_index_dir, public_url=None,
                                    rasa_workers=2, lock_url=redis.url)
        with running(settings) as (_actions, rasa):
            members = _group_members(rasa.pid)
            assert rasa.processes == 3 and len(members) == 3, members
            workers = [pid for pid in members if pid != rasa.pid]
            before = {pid: load.process_cpu_s(pid) for pid in workers}
            i = asyncio.run(load.integrity(settings, None, 24, 8, keep_alive=False))
            used = {pid: load.process_cpu_s(pid) - before[pid] for pid in workers}
    assert i["turns"] == i["answered"] == 24 * 8
    assert (i["lost"], i["duplicated"], i["mixed"]) == (0, 0, 0), i["examples"]
    assert min(used.values()) >= 0.1 * sum(used.values()), used  # both workers served turns


def test_a_rasa_process_missing_a_worker_is_restarted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Supervision counts a multi-worker Rasa's processes: with one gone (its port still answered
    by the other worker) the server is restarted at the next check, without waiting for failed
    health checks."""
    import dataclasses
    import subprocess

    from assistant import servers
    from assistant.settings import Settings

    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        server = servers.Server("Rasa server", process, "http://127.0.0.1:9", tmp_path / "log", processes=3)
        restarted: list[servers.Server] = []
        monkeypatch.setattr(servers.Server, "restart", lambda self: restarted.append(self) or self)
        assistant = servers.Assistant(dataclasses.replace(Settings.from_env(), health_failures=3), [server])
        assistant.check()
        assert restarted == [server]
        server.processes, restarted[:] = 0, []
        assistant.check()  # any number of processes: one failed health check is not yet a restart
        assert restarted == [] and server.failures == 1
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
