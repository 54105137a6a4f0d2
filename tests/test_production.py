"""A service a shop can deploy: bad catalogs fail loudly, the launcher stops and supervises what
it starts, and nothing but the Rasa server gets into the action server."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from assistant.servers import free_port
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def gradrec(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gradrec_core.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)


# ---------------------------------------------------------------------------------------------
# 1. bad catalogs


@pytest.mark.parametrize("content, message", [
    # the quote on line 2 never closes: before, the rest of the file became one field, exit 0
    ('id,name\nc1,"blue polo shirt\nc2,red skirt\n', "line 2: unbalanced quote"),
    ('id,name\nc1,blue polo shirt\nc2,"red skirt\nc3,green hat\nc4,navy dress\n', "line 3: unbalanced quote"),
    # the quote closes on a later line with text after it
    ('id,name\nc1,"blue polo\nc2,"red skirt"\n', "line 2: bad quoting"),
    # one field over the csv module's limit: the error names the field
    ("id,name,description\nc0,a,b\nc1,x," + "y" * 200_000 + "\n",
     "line 3: field 'description': longer than the limit of 131072 characters"),
])
def test_malformed_csv_rows_are_errors_naming_the_line(tmp_path: Path, content: str, message: str) -> None:
    catalog = tmp_path / "shop.csv"
    catalog.write_text(content)
    r = gradrec("index", str(catalog), "--out", str(tmp_path / "idx"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert str(catalog) in r.stderr
    assert not (tmp_path / "idx" / "manifest.json").exists()



# ---------------------------------------------------------------------------------------------
# 2., 3. the launcher: security defaults (no process needed)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return dataclasses.replace(Settings.from_env(), var_dir=tmp_path, enable_api=False, api_token=None,
                               cors_origins=(), action_token=None)


def test_api_on_without_a_token_refuses_to_start(settings: Settings) -> None:
    from assistant import servers

    unsafe = dataclasses.replace(settings, enable_api=True, api_token=None)
    before = dict(servers._started)  # a session-wide fixture's servers may be running
    for start in (lambda: servers.Assistant(unsafe).start(),
                  lambda: servers.start_rasa(unsafe, free_port(), free_port())):
        with pytest.raises(servers.StartError, match="GRADREC_ENABLE_API=1 needs GRADREC_API_TOKEN"):
            start()
    assert servers._started == before  # nothing was started


def test_rasa_api_and_cors_are_off_unless_configured(settings: Settings) -> None:
    from assistant.servers import rasa_argv

    model, endpoints = Path("m.tar.gz"), Path("e.yml")
    argv = rasa_argv(settings, 5005, endpoints, model)
    assert "--enable-api" not in argv and "--cors" not in argv and "--auth-token" not in argv
    on = dataclasses.replace(settings, enable_api=True, api_token="s3cret",
                             cors_origins=("https://shop.example", "https://www.shop.example"))
    argv = rasa_argv(on, 5005, endpoints, model)
    assert argv[argv.index("--enable-api") + 1: argv.index("--enable-api") + 3] == ["--auth-token", "s3cret"]
    assert argv[argv.index("--cors") + 1:] == ["https://shop.example", "https://www.shop.example"]
    assert "127.0.0.1" in argv and "*" not in argv


def test_settings_read_the_security_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRADREC_ENABLE_API", "GRADREC_API_TOKEN", "GRADREC_CORS_ORIGINS", "GRADREC_ACTION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    default = Settings.from_env()
    assert (default.enable_api, default.api_token, default.cors_origins, default.action_token) == (False, None, (), None)
    assert default.host == "127.0.0.1" or os.environ.get("GRADREC_HOST")
    monkeypatch.setenv("GRADREC_ENABLE_API", "1")
    monkeypatch.setenv("GRADREC_API_TOKEN", "api-secret")
    monkeypatch.setenv("GRADREC_CORS_ORIGINS", "https://shop.example, https://m.shop.example")
    monkeypatch.setenv("GRADREC_ACTION_TOKEN", "action-secret")
    s = Settings.from_env()
    assert (s.enable_api, s.api_token, s.action_token) == (True, "api-secret", "action-secret")
    assert s.cors_origins == ("https://shop.example", "https://m.shop.example")
    assert "secret" not in repr(s)  # tokens stay out of logs


def test_endpoints_file_carries_the_action_token_and_only_its_owner_reads_it(settings: Settings) -> None:
    from assistant.servers import run_action_token, write_endpoints

    path = write_endpoints(settings, 5055, settings.var_dir / "run" / "endpoints.yml")
    endpoint = yaml.safe_load(path.read_text())["action_endpoint"]
    token = run_action_token(settings)
    assert len(token) >= 32 and endpoint["token"] == token and endpoint.get("token_name", "token") == "token"
    assert run_action_token(settings) == token  # one token per run, whoever asks
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fixed = dataclasses.replace(settings, action_token="from-the-environment")
    assert yaml.safe_load(write_endpoints(fixed, 5055, path).read_text())["action_endpoint"]["token"] == "from-the-environment"


# ---------------------------------------------------------------------------------------------
# 2., 3. the launcher for real: `gradrec-assistant serve` on private ports, a private GRADREC_VAR


def _processes_with_var(var: Path) -> list[int]:
    """Live (not zombie) processes whose environment has GRADREC_VAR=var: all the launcher started."""
    needle = f"GRADREC_VAR={var}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if state not in ("Z", "X") and needle in environ:
            found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _listening_pids(port: int, candidates: list[int]) -> list[int]:
    """Those of `candidates` holding the socket that listens on `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                inodes.add(f"socket:[{parts[9]}]")
    holders = []
    for pid in candidates:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if links & inodes:
            holders.append(pid)
    return holders


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _get(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None,
         method: str = "GET", data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _item_card(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    cards = [m["custom"]["item"] for m in messages if (m.get("custom") or {}).get("type") == "gradrec_item"]
    return cards[0] if cards else None


class Launcher:
    """`python -m assistant.cli serve` in its own session, with everything it starts findable by
    its private GRADREC_VAR; `cleanup` kills whatever is left, whatever happened."""

    def __init__(self, tmp: Path, index_dir: Path, **extra: str) -> None:
        base = Settings.from_env()
        if not (base.rasa_venv / "bin" / "rasa").exists() or not list(base.models_dir.glob("*.tar.gz")):
            pytest.fail("the Rasa environment or model is missing: run `make setup` (make test does)")
        self.var = tmp / "var"
        self.action_port, self.rasa_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("GRADREC_DB_URL", "GRADREC_ENABLE_API", "GRADREC_API_TOKEN", "GRADREC_CORS_ORIGINS",
                            "GRADREC_ACTION_TOKEN", "GRADREC_HOST")}
        env.update({
            "PYTHONPATH": str(ROOT), "GRADREC_VAR": str(self.var), "GRADREC_INDEX": str(index_dir),
            "GRADREC_ACTION_PORT": str(self.action_port), "GRADREC_RASA_PORT": str(self.rasa_port),
            "GRADREC_RASA_VENV": str(base.rasa_venv), "GRADREC_MODELS": str(base.models_dir),
            "GRADREC_HEALTH_INTERVAL": "2", "GRADREC_HEALTH_TIMEOUT": "3", "GRADREC_HEALTH_FAILURES": "3",
            "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", **extra,
        })
        self.log_path = tmp / "launcher.log"
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve"], cwd=ROOT, env=env,
                                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.action_url = f"http://127.0.0.1:{self.action_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the launcher exited ({self.process.returncode}) before {what}:\n{self.log()[-3000:]}")
            if ready():
                return
            time.sleep(0.5)
        pytest.fail(f"not {what} within {timeout:.0f}s:\n{self.log()[-3000:]}")

    def action_up(self) -> bool:
        try:
            return _get(self.action_url + "/health", 2)[0] == 200
        except OSError:
            return False

    def rasa_up(self) -> bool:
        try:
            return _get(self.rasa_url + "/", 2)[0] == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 400.0) -> None:
        self.wait_until(lambda: self.action_up() and self.rasa_up(), timeout, "both servers answered")

    def stopped_cleanly(self, signum: int, timeout: float = 20.0) -> None:
        """Send `signum` to the launcher: within `timeout` it has exited, and with it every
        process it started, and both ports are free."""
        started = _processes_with_var(self.var)
        assert self.process.pid in started and len(started) >= 2, started
        self.process.send_signal(signum)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.process.poll() is not None and not _processes_with_var(self.var)
                    and _port_free(self.action_port) and _port_free(self.rasa_port)):
                break
            time.sleep(0.25)
        left = [(pid, _cmdline(pid)[:120]) for pid in _processes_with_var(self.var)]
        assert self.process.poll() is not None, f"the launcher is still running:\n{self.log()[-2000:]}"
        assert not left, f"left running: {left}"
        assert _port_free(self.action_port) and _port_free(self.rasa_port)

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in _processes_with_var(self.var):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture(scope="module")
def index_dir(request: pytest.FixtureRequest) -> Path:
    configured = Settings.from_env().index_dir
    if (configured / "manifest.json").exists():
        return configured
    return Path(request.getfixturevalue("sample_index_dir"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path_factory.mktemp("served"), index_dir, GRADREC_CORS_ORIGINS="http://shop.example")
    try:
        launcher.wait_ready()
        yield launcher
        if launcher.process.poll() is None:
            launcher.stopped_cleanly(signal.SIGINT)
    finally:
        launcher.cleanup()


@pytest.mark.slow
@pytest.mark.rasa
def test_the_action_server_refuses_calls_without_the_token_but_rasa_gets_through(served: Launcher) -> None:
    from assistant.servers import send

    body = json.dumps({"next_action": "action_search_item", "sender_id": "intruder", "tracker": {},
                       "domain": {}, "version": "3.6.21"}).encode()
    headers = {"Content-Type": "application/json"}
    for query in ("", "?token=", "?token=guess"):
        status, _, _ = _get(f"{served.action_url}/webhook{query}", method="POST", data=body, headers=headers)
        assert status == 401, query
    assert _get(f"{served.action_url}/actions")[0] == 401
    assert _get(f"{served.action_url}/health")[0] == 200  # health stays open for the supervisor
    # the Rasa server has the launcher's per-run token
    card = _item_card(send(served.rasa_url, "turn-shopper", "show me a blue polo shirt", timeout=120))
    assert card is not None and card["category"] == "polo shirt"


@pytest.mark.slow
@pytest.mark.rasa
def test_rasa_api_is_off_and_cors_only_for_the_configured_origins(served: Launcher) -> None:
    assert _get(f"{served.rasa_url}/")[0] == 200
    for path in ("/status", "/conversations/someone/tracker", "/version"):
        assert _get(served.rasa_url + path)[0] == 404, path
    for method in ("GET", "OPTIONS"):
        _, evil, _ = _get(f"{served.rasa_url}/webhooks/rest/", method=method,
                          headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        allowed = {k.lower(): v for k, v in evil.items()}.get("access-control-allow-origin")
        assert allowed not in ("http://evil.example", "*"), (method, evil)
    _, shop, _ = _get(f"{served.rasa_url}/webhooks/rest/", headers={"Origin": "http://shop.example"})
    assert {k.lower(): v for k, v in shop.items()}.get("access-control-allow-origin") == "http://shop.example"
    # the chat's socket.io: the configured origin, the server's own, and no other
    polling = f"{served.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert _get(polling, headers={"Origin": "http://evil.example"})[0] == 400
    assert _get(polling, headers={"Origin": served.rasa_url})[0] == 200
    request = urllib.request.Request(polling, headers={"Origin": "http://shop.example"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200 and r.headers.get_all("Access-Control-Allow-Origin") == ["http://shop.example"]


def _turn_until_an_item(rasa_url: str, since: float, limit: float, who: str) -> dict[str, Any] | None:
    """Send a turn (a new conversation each time) until one gets an item card, for `limit` seconds."""
    from assistant.servers import send

    attempt = 0
    while time.monotonic() - since < limit:
        attempt += 1
        try:
            card = _item_card(send(rasa_url, f"{who}-{attempt}", "show me a blue polo shirt",
                                   timeout=max(5.0, limit - (time.monotonic() - since))))
        except OSError:
            card = None
        if card is not None:
            return card
        time.sleep(1)
    return None


@pytest.mark.slow
@pytest.mark.rasa
def test_a_killed_action_worker_is_detected_and_restarted(served: Launcher) -> None:
    leaders = [pid for pid in _children(served.process.pid) if "assistant.action_server" in _cmdline(pid)]
    assert len(leaders) == 1, [(p, _cmdline(p)) for p in _children(served.process.pid)]
    workers = _listening_pids(served.action_port, _children(leaders[0]))
    assert len(workers) == 1, [(p, _cmdline(p)) for p in _children(leaders[0])]
    os.kill(workers[0], signal.SIGKILL)  # the manager keeps the port: connections hang, nothing exits
    card = _turn_until_an_item(served.rasa_url, time.monotonic(), 90, "after-kill")
    assert card is not None and card["category"] == "polo shirt", served.log()[-3000:]
    # the turn may get through the new server before the launcher's own check logs it back
    served.wait_until(lambda: bool(re.search(r"WARNING .*the action server is back", served.log())), 60,
                      "the launcher saw the action server back")
    log = served.log()
    assert re.search(r"WARNING .*the action server \(pid \d+\) (failed \d+ health checks|exited).*restarting"
                     r"(.|\n)*WARNING .*the action server is back", log), log
    new_leaders = [pid for pid in _children(served.process.pid) if "assistant.action_server" in _cmdline(pid)]
    assert new_leaders and new_leaders != leaders
    assert not Path(f"/proc/{leaders[0]}").exists() or _cmdline(leaders[0]) == ""


@pytest.mark.slow
@pytest.mark.rasa
def test_a_dead_action_server_is_restarted_and_its_orphans_killed(served: Launcher) -> None:
    leaders = [pid for pid in _children(served.process.pid) if "assistant.action_server" in _cmdline(pid)]
    assert len(leaders) == 1
    group = [pid for pid in _processes_with_var(served.var) if os.getpgid(pid) == leaders[0]]
    assert len(group) >= 2  # the manager and its worker (which keeps the port when the manager dies)
    os.kill(leaders[0], signal.SIGKILL)  # its orphaned worker would go on serving, unsupervised
    killed_at = time.monotonic()
    served.wait_until(lambda: bool(re.search(
        rf"WARNING .*the action server \(pid {leaders[0]}\) exited with status -9; restarting(.|\n)*"
        r"WARNING .*the action server is back", served.log())), 60, "the action server was restarted")
    assert not [pid for pid in group if Path(f"/proc/{pid}").exists() and _cmdline(pid)], group
    card = _turn_until_an_item(served.rasa_url, killed_at, 90, "after-exit")
    assert card is not None and card["category"] == "polo shirt", served.log()[-3000:]


def _tracker_current_items(db: Path) -> dict[str, str | None]:
    """Each conversation's last `current_item` slot value in Rasa's SQLite tracker store."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as c:
        rows = c.execute("SELECT sender_id, data FROM events WHERE type_name = 'slot' ORDER BY id").fetchall()
    found: dict[str, str | None] = {}
    for sender, data in rows:
        event = json.loads(data)
        if event.get("name") == "current_item":
            found[sender] = event.get("value")
    return found


@pytest.mark.slow
@pytest.mark.rasa
def test_kill_9_of_rasa_during_a_burst_leaves_engine_and_conversations_agreeing(served: Launcher,
                                                                                  index_dir: Path) -> None:
    """The issue's reproduction: 20 concurrent refines, kill -9 of Rasa mid-burst. Whatever each
    shopper was shown, the walk continues from it ("something darker" then "go back" returns to
    the item they last saw, never one they were not shown), and afterwards the engine's current
    item is the conversation's `current_item` for everyone."""
    from assistant.servers import send
    from gradrec_core import Engine

    senders = [f"burst-{i}" for i in range(20)]
    shown: dict[str, list[str]] = {s: [] for s in senders}

    def turn(sender: str, text: str, timeout: float = 120) -> str | None:
        card = _item_card(send(served.rasa_url, sender, text, timeout=timeout))
        if card is not None:
            shown[sender].append(card["id"])
        return card["id"] if card else None

    with concurrent.futures.ThreadPoolExecutor(len(senders)) as pool:
        assert all(pool.map(lambda s: turn(s, "show me a blue polo shirt"), senders))
        rasa = [pid for pid in _children(served.process.pid) if "assistant.rasa.main run" in _cmdline(pid)]
        assert len(rasa) == 1, [(p, _cmdline(p)) for p in _children(served.process.pid)]

        def darker(sender: str) -> str | None:
            try:
                return turn(sender, "something darker", timeout=30)
            except OSError:
                return None  # the reply never reached this shopper

        burst = [pool.submit(darker, s) for s in senders]
        # mid-burst: as soon as the first shopper has their reply (the issue killed at 0.8 s; on a
        # busy machine that can be before any turn reached the action server)
        concurrent.futures.wait(burst, timeout=60, return_when=concurrent.futures.FIRST_COMPLETED)
        os.kill(rasa[0], signal.SIGKILL)
        answered = sum(f.result() is not None for f in burst)
    assert 0 < answered < len(senders), answered
    served.wait_until(lambda: bool(re.search(rf"WARNING .*the Rasa server \(pid {rasa[0]}\) exited with status -9; "
                                             r"restarting(.|\n)*WARNING .*the Rasa server is back", served.log())),
                      300, "the Rasa server was restarted")
    lost = len(senders) - answered
    for sender in senders:
        # the walk continues from what this shopper saw: one step on, then back to exactly it
        # (without the engine's reconciliation, a lost step's item came back here, never shown)
        last = shown[sender][-1]
        if turn(sender, "something darker") is not None:
            assert turn(sender, "go back") == last, (sender, shown[sender])
    engine = Engine.open(index_dir, f"sqlite:///{served.var / 'sessions.db'}")
    tracked = _tracker_current_items(served.var / "rasa_tracker.db")
    for sender in senders:
        state = engine.state(sender)
        assert state is not None and state.current is not None
        assert state.current.id == tracked[sender], (sender, state.current.id, tracked[sender], shown[sender])
    rolled = re.findall(r"rolled back (\d+) step", (served.var / "logs" / "action_server.log").read_text(errors="replace"))
    print(f"kill -9 of Rasa during 20 concurrent turns: {answered} answered, {lost} not; "
          f"{sum(map(int, rolled))} unseen step(s) rolled back; all 20 agree after")


def test_a_port_taken_stops_start_up_naming_the_port_and_its_holder(tmp_path: Path) -> None:
    from assistant.servers import StartError, start_action_server

    settings = dataclasses.replace(Settings.from_env(), var_dir=tmp_path / "var")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(StartError) as err:
            start_action_server(settings, port)
    assert f"port {port} on 127.0.0.1 is taken" in str(err.value) and f"pid {os.getpid()} (" in str(err.value)


@pytest.mark.slow
@pytest.mark.rasa
def test_the_var_folder_is_private_and_servers_die_with_a_killed_launcher(served: Launcher, tmp_path: Path,
                                                                       index_dir: Path) -> None:
    """The last test on `served`: it kills the launcher with SIGKILL."""
    assert stat.S_IMODE(served.var.stat().st_mode) == 0o700
    private = [served.var / "sessions.db", served.var / "rasa_tracker.db", served.var / "logs" / "rasa_server.log",
               served.var / "logs" / "action_server.log", *(served.var / "run").iterdir()]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))
    for folder in (served.var / "logs", served.var / "run"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder

    # a second launcher on the same ports stops at once, naming the port and who holds it
    second = Launcher(tmp_path, index_dir, GRADREC_ACTION_PORT=str(served.action_port),
                      GRADREC_RASA_PORT=str(served.rasa_port))
    try:
        assert second.process.wait(120) == 2, second.log()
        assert re.search(rf"port {served.action_port} on 127.0.0.1 is taken .* by pid \d+ \(.*assistant"
                         r"\.action_server", second.log()), second.log()
        assert "ready:" not in second.log()
    finally:
        second.cleanup()

    # kill -9 of the launcher: its servers do not live on unsupervised
    started = [pid for pid in _processes_with_var(served.var) if pid != served.process.pid]
    assert len(started) >= 3, started  # the action server's manager and worker, the Rasa server
    os.kill(served.process.pid, signal.SIGKILL)
    served.process.wait(10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (_processes_with_var(served.var) or not _port_free(served.rasa_port)
                                           or not _port_free(served.action_port)):
        time.sleep(0.5)
    left = [(pid, _cmdline(pid)[:100]) for pid in _processes_with_var(served.var)]
    assert not left and _port_free(served.rasa_port) and _port_free(served.action_port), left


@pytest.mark.slow
@pytest.mark.rasa
def test_the_api_on_with_a_token_then_sigterm_stops_everything(tmp_path: Path, index_dir: Path) -> None:
    launcher = Launcher(tmp_path, index_dir, GRADREC_ENABLE_API="1", GRADREC_API_TOKEN="shop-api-token")
    try:
        launcher.wait_ready()
        assert _get(f"{launcher.rasa_url}/status")[0] == 401
        assert _get(f"{launcher.rasa_url}/status?token=wrong")[0] == 401
        status, _, body = _get(f"{launcher.rasa_url}/status?token=shop-api-token")
        assert status == 200 and "model_file" in json.loads(body)
        assert "shop-api-token" not in launcher.log()
        launcher.stopped_cleanly(signal.SIGTERM)
    finally:
        launcher.cleanup()


@pytest.mark.slow
@pytest.mark.rasa
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT], ids=["SIGHUP", "SIGINT"])
def test_a_signal_while_starting_stops_everything(tmp_path: Path, index_dir: Path, signum: int) -> None:
    launcher = Launcher(tmp_path, index_dir)
    try:
        launcher.wait_until(launcher.action_up, 120, "the action server answered")
        time.sleep(1.0)  # the Rasa server is starting now
        launcher.stopped_cleanly(signum)
    finally:
        launcher.cleanup()
