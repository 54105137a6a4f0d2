"""Shared fixtures: the sample catalog and its index (built by `make setup`; built here if not)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

# One compute thread per test process (and the processes it starts), set before torch is imported:
# three test processes share two cores, where a second torch thread mostly spins (test_critiques.py:
# 28.5 s of CPU with two, 17.1 with one). The servers run one thread each anyway (assistant/servers.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("GRADREC_ENCODER_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = ROOT / "data" / "catalog" / "sample" / "items.csv"
SAMPLE_INDEX = ROOT / "var" / "index" / "sample"


@contextlib.contextmanager
def building(what: Path) -> Iterator[None]:
    """Held while `what` is checked and built, so that test processes running side by side
    (pytest-xdist workers) build it once, one after the other (an exclusive lock on a file)."""
    import fcntl

    what.parent.mkdir(parents=True, exist_ok=True)
    with open(what.parent / f".{what.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_sample_index() -> Path:
    """The sample catalog's index, exactly as `make setup` builds it (a no-op when up to date)."""
    from gradrec_core import CatalogSpec, index_catalog

    with building(SAMPLE_INDEX):
        if not SAMPLE_CSV.is_file():
            subprocess.run([sys.executable, str(ROOT / "data" / "catalog" / "generate.py"),
                            "--out", str(SAMPLE_CSV.parent)], check=True)
        index_catalog(SAMPLE_CSV, SAMPLE_INDEX, CatalogSpec(
            text_columns=("name", "description"), category_column="kind", image_column="image",
            name_column="name", numeric_columns=("price", "heel_cm")), backend="torch")  # as the Makefile
    return SAMPLE_INDEX


# modules that test the encoders themselves: every vector computed by the model, never read back
UNCACHED_MODULES = ("test_encoders.py", "test_encoders_onnx.py")


@pytest.fixture(scope="session", autouse=True)
def embedding_cache_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One embedding cache for the run ($GRADREC_EMBEDDING_CACHE, `gradrec_core.embedding_cache`),
    shared by every test process and every process they start: a text is embedded by the model once
    per run, not once per test that indexes or walks the same catalog. A new file each run."""
    from gradrec_core.embedding_cache import ENV

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's folder, all workers'
    path = root / "embeddings.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV, str(path))
        yield path


@pytest.fixture(scope="module", autouse=True)
def _uncached_encoders(request: pytest.FixtureRequest) -> Iterator[None]:
    """No embedding cache in the modules that test the encoders (their module fixtures included)."""
    from gradrec_core.embedding_cache import ENV

    with pytest.MonkeyPatch.context() as patch:
        if request.path.name in UNCACHED_MODULES:
            patch.delenv(ENV, raising=False)
        yield


@pytest.fixture(scope="session")
def sample_index_dir() -> Path:
    return ensure_sample_index()


@pytest.fixture(scope="session")
def truth(sample_index_dir: Path) -> dict[str, dict[str, str]]:
    """The sample catalog's ground truth, read from its CSV (never through the engine): id -> row."""
    import csv

    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="session")
def sample_engine(sample_index_dir: Path):  # type: ignore[no-untyped-def]
    from gradrec_core import Engine

    return Engine.open(sample_index_dir)


def private_settings(tmp_path_factory: pytest.TempPathFactory, name: str, index_dir: Path, **changes: object):  # type: ignore[no-untyped-def]
    """The settings from the environment with a private var folder, session store, shops folder
    and free ports, for servers a test starts; fails when `make setup` has not trained Rasa."""
    from assistant.servers import free_port
    from assistant.settings import Settings

    var = tmp_path_factory.mktemp(name)
    base = Settings.from_env()
    if not (base.rasa_venv / "bin" / "rasa").exists() or not list(base.models_dir.glob("*.tar.gz")):
        pytest.fail("the Rasa environment or model is missing: run `make setup` (make test does)")
    return dataclasses.replace(base, **{"index_dir": index_dir, "db_url": f"sqlite:///{var / 'sessions.db'}",
                                        "var_dir": var, "shops_dir": var / "shops", "action_port": free_port(),
                                        "rasa_port": free_port(), **changes})


@dataclasses.dataclass
class ServerPair:
    """The action server and `rasa run` of one settings key, shared by every test that asks for it."""

    settings: Any
    actions: Any  # assistant.servers.Server
    rasa: Any
    uses: int = 0

    @property
    def url(self) -> str:
        return str(self.rasa.url)

    def restart_actions(self) -> None:
        """The action server started again on its port (after a test stopped it)."""
        self.actions = self.actions.restart()

    def heal(self) -> None:
        """Start again a server that a test stopped and did not bring back, so that the next test
        finds the pair as the settings say."""
        if self.actions.process.poll() is not None:
            self.actions = self.actions.restart()
        if self.rasa.process.poll() is not None:
            self.rasa = self.rasa.restart()


class ServerPool:
    """One server pair per distinct settings (index, changed fields, extra Rasa environment),
    started on first use, on free ports on 127.0.0.1 with a private var folder, and stopped when
    the session ends, whatever happens. Tests that must kill or reconfigure a server in ways a
    restart does not undo start their own (`private_settings` and `assistant.servers.running`)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.pairs: dict[tuple[Any, ...], ServerPair] = {}

    def get(self, index_dir: Path, rasa_env: dict[str, str] | None = None, **changes: object) -> ServerPair:
        """The pair for these settings (`rasa_env` values may name `{base_url}`), healed if a test
        stopped one of its servers."""
        key = (str(index_dir), tuple(sorted((k, repr(v)) for k, v in changes.items())),
               tuple(sorted((rasa_env or {}).items())))
        pair = self.pairs.get(key)
        if pair is None:
            pair = self.pairs[key] = self._start(index_dir, rasa_env or {}, changes)
        pair.heal()
        pair.uses += 1
        return pair

    def _start(self, index_dir: Path, rasa_env: dict[str, str], changes: dict[str, object]) -> ServerPair:
        from assistant.servers import start_action_server, start_rasa, wait_until_up

        settings = private_settings(self.tmp_path_factory, f"servers-{len(self.pairs)}", index_dir, **changes)
        env = {k: v.format(base_url=settings.base_url) for k, v in rasa_env.items()}
        # both at once: Rasa calls the action server only on a turn (as `Assistant.start` does)
        actions = start_action_server(settings, settings.action_port, wait=False)
        rasa = None
        try:
            rasa = start_rasa(settings, settings.rasa_port, settings.action_port, env, wait=False)
            wait_until_up(actions)
            wait_until_up(rasa)
        except BaseException:
            if rasa is not None:
                rasa.stop()
            actions.stop()
            raise
        return ServerPair(settings, actions, rasa)

    def stop(self) -> None:
        """Every pair's servers stopped, all at once (each stop waits for its process group to go);
        how many pairs served how many asks is written for the run's summary."""
        import concurrent.futures

        if self.pairs:
            summary = self.tmp_path_factory.getbasetemp() / "server-pool.txt"
            summary.write_text(f"{len(self.pairs)} {sum(p.uses for p in self.pairs.values())}\n")
        servers = [server for pair in self.pairs.values() for server in (pair.rasa, pair.actions)]
        with concurrent.futures.ThreadPoolExecutor(max(1, len(servers))) as stopping:
            for done in [stopping.submit(server.stop) for server in servers]:
                done.result()


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """Shared server pairs keyed by settings (`server_pool.get(index_dir, **changes)`)."""
    pool = ServerPool(tmp_path_factory)
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module")
def assistant_pair(server_pool: ServerPool, sample_index_dir: Path) -> ServerPair:
    """The default pair on the sample index: the action server and `rasa run` (all channels of
    credentials.yml), shared by every module that needs no other settings."""
    return server_pool.get(sample_index_dir, public_url=None)


@pytest.fixture(scope="module")
def assistant_servers(assistant_pair: ServerPair):  # type: ignore[no-untyped-def]
    """The default pair's settings (its `base_url` is the Rasa server's)."""
    return assistant_pair.settings


def sender_id(prefix: str) -> str:
    """A sender id no other test uses (the shared servers keep every conversation)."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# Modules by their time in a run (longest first; docs/testing.md), run in this order: each test
# process takes the next module when it is free, so a long module started last would end the run
# alone. `make test` passes --no-loadscope-reorder: pytest-xdist would otherwise reorder modules
# by their number of tests (test_replicas.py, two tests and the longest, would start last).
SLOW_FIRST = ("test_replicas.py", "test_rasa_main.py", "test_production.py", "test_any_catalog.py", "test_cli.py",
              "test_hostile_input.py", "test_benchmarks_smoke.py", "test_shopper_turns.py", "test_critiques.py",
              "test_web_turns.py", "test_web.py", "test_load_smoke.py", "test_rasa.py", "test_encoders.py",
              "test_shops.py", "test_actions.py", "test_critique_turns.py", "test_prices.py",
              "test_graded_equivalence.py", "test_nlu_heldout.py", "test_walk_semantic.py", "test_encoders_onnx.py",
              "test_terminal_chat.py", "test_value_turns_equivalence.py", "test_retail_e2e.py", "test_voice.py")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow modules first, each module's tests together and in their own order."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), order[id(item)]))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """How many server pairs the pools shared, and how many times a Rasa server started in this
    run (counted in the servers' logs under the run's temporary folder, launchers' included, every
    pytest-xdist worker's folder under it)."""
    try:
        base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return
    pools = [tuple(map(int, f.read_text().split())) for f in Path(base).rglob("server-pool.txt")]
    if pools:
        terminalreporter.write_line(f"shared server pairs: {sum(p[0] for p in pools)} started in {len(pools)} "
                                    f"test process(es), asked for {sum(p[1] for p in pools)} times")
    starts = sum(log.read_text(errors="replace").count("Starting Rasa server on")
                 for log in Path(base).rglob("rasa_server*.log"))
    if starts:
        terminalreporter.write_line(f"Rasa server starts: {starts}")


def sio(settings, clients: list) -> dict:  # type: ignore[no-untyped-def]
    """Socket.io clients run at once against the settings' Rasa server (tests/sio_client.py, in
    Rasa's Python): {name: [bot messages], name + "#session": the confirmed session id}."""
    import json

    r = subprocess.run([str(settings.rasa_venv / "bin" / "python"), str(ROOT / "tests" / "sio_client.py"),
                        settings.base_url, json.dumps(clients)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def post_form(url: str, form: dict, signature: str | None = None) -> tuple[int, str]:
    """A form-encoded POST (a Twilio webhook call), with an `X-Twilio-Signature` when given."""
    import urllib.error
    import urllib.parse
    import urllib.request

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
