"""`assistant.rasa.main`: Rasa started with its per-turn costs cut (a compiled validator for the
action server's response, SQLite in WAL mode on kept connections, the tracker store that reuses
the tracker it last read or saved). Each check runs in Rasa's own environment
(tests/rasa_side_checks.py); the servers' tests run every conversation through it as well."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from assistant.settings import ROOT, Settings

CHECKS = ["turns_match_rasa", "new_conversation_matches_rasa", "other_writer_is_seen",
          "stale_save_is_not_lost", "another_tracker_object_is_not_trusted", "failed_turn_is_forgotten",
          "new_session_reads_from_its_start", "cache_is_bounded", "action_response_validation",
          "sqlite_settings", "workers_share_sqlite", "graph_runner_matches_dask",
          "action_call_window", "model_load_matches_rasa", "lock_changes_are_atomic",
          "waiting_ticket_is_served"]


@pytest.fixture(scope="module")
def rasa_side(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every check's outcome, from one run of tests/rasa_side_checks.py in Rasa's environment
    (each check in its own forked process): check -> "ok" or its traceback."""
    python = Settings.from_env().rasa_venv / "bin" / "python"
    if not python.exists():
        pytest.fail("the Rasa environment is missing: run `make setup` (make test does)")
    from assistant.services import ServiceError, redis_bin, temporary_services

    try:
        redis_bin()
    except ServiceError as err:
        pytest.fail(f"{err} (make setup installs it)")
    with temporary_services(postgres=False) as (_, redis):
        assert redis is not None
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONWARNINGS": "ignore",
               "GRADREC_CHECK_MODEL": str(Settings.from_env().models_dir / "gradrec.tar.gz"),
               "GRADREC_CHECK_REDIS": redis.url}
        r = subprocess.run([str(python), str(ROOT / "tests" / "rasa_side_checks.py"), "all",
                            str(tmp_path_factory.mktemp("rasa-side"))],
                           cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("check", CHECKS)
def test_rasa_side(check: str, rasa_side: dict[str, str]) -> None:
    assert rasa_side[check] == "ok", rasa_side[check][-3000:]


def test_every_check_is_run() -> None:
    source = (ROOT / "tests" / "rasa_side_checks.py").read_text()
    defined = {line.split("def check_")[1].split("(")[0] for line in source.splitlines()
               if line.lstrip().startswith(("def check_", "async def check_"))}
    assert defined == set(CHECKS)


def test_the_launcher_starts_rasa_through_it() -> None:
    from assistant.servers import rasa_argv

    settings = Settings.from_env()
    argv = rasa_argv(settings, 5005, Path("e.yml"), Path("m.tar.gz"))
    assert argv[1:4] == ["-m", "assistant.rasa.main", "run"] and Path(argv[0]).parent.parent == settings.rasa_venv
