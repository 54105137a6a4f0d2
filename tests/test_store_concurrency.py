"""Sessions survive concurrent writers: several processes and threads stepping at once on one
SQLite file (WAL + BEGIN IMMEDIATE + busy timeout) or one PostgreSQL database (advisory lock +
SELECT ... FOR UPDATE) lose no step, no seen item and no undo. The PostgreSQL run starts a
throw-away local cluster (assistant/services.py) and is skipped, saying why, when Debian's
`postgresql` is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from synthetic import build_space, make_engine, seed_near

from gradrec_core.store import SeenRow, StepRow

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_space(tmp_path_factory.mktemp("space") / "index")


def counts(engine, sid: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(all steps, active steps, seen items) of a session, read straight from the tables."""
    with engine.store.transaction() as tx:
        total = tx.scalar(select(func.count()).select_from(StepRow).where(StepRow.session_id == sid))
        active = tx.scalar(select(func.count()).select_from(StepRow)
                           .where(StepRow.session_id == sid, StepRow.active.is_(True)))
        seen = tx.scalar(select(func.count()).select_from(SeenRow).where(SeenRow.session_id == sid))
    return int(total), int(active), int(seen)


@pytest.fixture(scope="module")
def postgres():  # type: ignore[no-untyped-def]
    from assistant.services import ServiceError, pg_bin, temporary_postgres

    try:
        pg_bin("initdb")
    except ServiceError as err:
        pytest.skip(str(err))
    with temporary_postgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessions.db'}"
    return str(request.getfixturevalue("postgres").create_database(f"t_{tmp_path.name.lower()[-40:].replace('-', '_')}"))


def test_processes_and_threads_write_concurrently(space: Path, db: str) -> None:
    engine = make_engine(space, db)
    seed = seed_near(engine, "polo", 0.05)
    groups = [[f"p{p}-s{s}" for s in range(3)] for p in range(3)]
    thread_sessions = [f"t{t}" for t in range(3)]
    for sid in [s for g in groups for s in g] + thread_sessions + ["shared"]:
        engine.start(sid, seed)

    rounds = 3
    procs = [
        subprocess.Popen([sys.executable, str(HERE / "synthetic.py"), str(space), db, str(rounds), *g],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for g in groups
    ]
    returned: dict[str, int] = {}
    shared_items: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def own_session(sid: str) -> None:
        try:
            e = make_engine(space, db)
            n = 0
            for _ in range(rounds):
                for action in ("refine", "undo", "refine"):
                    if action == "undo":
                        e.undo(sid)
                    elif e.refine(sid, "polo", "dark polo").item is not None:
                        n += 1
            with lock:
                returned[sid] = n
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    def shared_session() -> None:
        try:
            e = make_engine(space, db)
            for _ in range(4):
                s = e.refine("shared", "polo", "dark polo")
                if s.item is not None:
                    with lock:
                        shared_items.append(s.item.id)
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=own_session, args=(sid,)) for sid in thread_sessions]
    threads += [threading.Thread(target=shared_session) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        returned.update(json.loads(out.strip().splitlines()[-1]))
    assert not errors, errors

    for sid, n in returned.items():
        assert n >= rounds, (sid, n)  # the walk had room; every refine that returned an item...
        total, active, seen = counts(engine, sid)
        assert total == 1 + n, sid  # ...is one stored step (plus the seed)
        assert active == 1 + n - rounds, sid  # every undo deactivated exactly one step
        assert seen == 1 + n, sid  # every item shown is remembered as seen
    # two writers on one session: every step kept, no item shown twice, numbers in order
    state = engine.state("shared")
    assert sorted(s.item.id for s in state.steps) == sorted(shared_items)
    assert len(set(shared_items)) == len(shared_items)
    assert [s.number for s in state.steps] == list(range(1, len(shared_items) + 1))
