"""Starting, stopping and supervising the two servers: the action server (Python 3.11, rasa-sdk,
the engine) and the Rasa server (Python 3.10, `rasa run`), both on loopback by default.

Each server runs in its own process group (session), and stopping one stops its whole group:
rasa-sdk's action server is a Sanic manager process with a worker process under it.
The Rasa server reaches the action server with a shared token (`action_endpoint.token` in the
per-run endpoints file); Rasa's own HTTP API is off unless the settings turn it on with a token.

Replicas: with GRADREC_RASA_REPLICAS / GRADREC_ACTION_REPLICAS the launcher starts N Rasa
processes on consecutive ports from GRADREC_RASA_PORT and M action servers from
GRADREC_ACTION_PORT; Rasa process i calls action server i mod M. They share state only through
the stores in the settings: Rasa's tracker store (GRADREC_TRACKER_URL, PostgreSQL) and lock
store (GRADREC_LOCK_URL, Redis; Rasa's in-memory lock store cannot serialise one conversation's
turns across processes, so more than one Rasa process without it is refused), and the engine's
session store (GRADREC_DB_URL)."""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from .common.limits import REQUEST_MAX_SIZE
from .settings import ROOT, Settings

log = logging.getLogger("assistant")


class StartError(RuntimeError):
    """A server did not come up; the message says which and where its log is."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_ports(count: int, host: str = "127.0.0.1", tries: int = 50) -> int:
    """The first of `count` consecutive free ports (for replicas on port, port+1, ...)."""
    for _ in range(tries):
        base = free_port(host)
        if base + count > 65535:
            continue
        sockets: list[socket.socket] = []
        try:
            for port in range(base + 1, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind((host, port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise StartError(f"no {count} consecutive free ports on {host}")


def latest_model(settings: Settings) -> Path:
    models = sorted(settings.models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise StartError(f"no trained Rasa model in {settings.models_dir}; run `make setup` first")
    return models[-1]


ACTION_TOKEN_ENV = "GRADREC_ACTION_TOKEN"
SESSION_SECRET_ENV = "GRADREC_SESSION_SECRET"  # the key the web channel signs session ids with
_run_token: str | None = None
_run_session_secret: str | None = None
_started: dict[int, "Server"] = {}  # every server this process started and has not stopped, by pid


def run_action_token(settings: Settings) -> str:
    """The token the Rasa server shows the action server: the settings' (GRADREC_ACTION_TOKEN),
    else one random token for this process, so that servers started separately still agree."""
    global _run_token
    if settings.action_token:
        return settings.action_token
    if _run_token is None:
        _run_token = secrets.token_urlsafe(32)
    return _run_token


def run_session_secret() -> str:
    """The key every Rasa process of this launcher signs socket.io session ids with (the
    environment's GRADREC_SESSION_SECRET, else one random key per launcher run): replicas accept
    each other's ids; a relaunch starts new sessions."""
    global _run_session_secret
    if _run_session_secret is None:
        _run_session_secret = os.environ.get(SESSION_SECRET_ENV) or secrets.token_urlsafe(32)
    return _run_session_secret


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def secure_var(settings: Settings) -> None:
    """The var folder and its logs and per-run folders readable by their owner only (0700), its
    databases and logs too (0600): they hold conversations, tokens and passwords. The servers are
    started with umask 077, so what they create there is private from the start."""
    for folder in (settings.var_dir, settings.var_dir / "logs", settings.var_dir / "run"):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)
    for pattern in ("*.db", "*.db-wal", "*.db-shm", "*.db-journal", "logs/*", "run/*"):
        for path in settings.var_dir.glob(pattern):
            if path.is_file():
                os.chmod(path, PRIVATE_FILE)


def _listener_pids(port: int) -> list[int]:
    """The processes (of those this user may see) with a socket listening on TCP `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
        except OSError:
            continue
    return sorted(pids)


def check_port_free(host: str, port: int) -> None:
    """StartError naming the port and the process holding it when `port` on `host` is taken
    (say by servers a killed launcher left behind): a server started there could not listen, and
    the old one would answer the new launcher's health checks."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            return
        except OSError as err:
            reason = err.strerror or str(err)
    holders = []
    for pid in _listener_pids(port):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            command = "?"
        holders.append(f"pid {pid} ({command.strip()[:120]})")
    raise StartError(f"port {port} on {host} is taken ({reason}) by "
                     f"{', '.join(holders) or 'a process this user cannot see'}; stop it or choose another port")


PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _server_preexec(parent: int) -> Any:
    """What each server process runs before it starts: files it creates are private (umask
    077), and on Linux it gets SIGTERM when the launcher dies, however it dies (kill -9
    included), so that no server lives on unsupervised holding its port."""

    def setup() -> None:
        os.umask(0o077)
        if _libc is not None:
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the launcher died before the signal was asked for
                os.kill(os.getpid(), signal.SIGTERM)

    return setup


def check_security(settings: Settings) -> None:
    """Refuse settings that would open the Rasa server to anyone: the HTTP API without a token;
    and several Rasa processes without a shared lock store."""
    if settings.enable_api and not settings.api_token:
        raise StartError("GRADREC_ENABLE_API=1 needs GRADREC_API_TOKEN (the token Rasa's HTTP API will ask "
                         "for); set it in the environment, or leave the API off")
    for name, count in (("GRADREC_RASA_REPLICAS", settings.rasa_replicas), ("GRADREC_RASA_WORKERS", settings.rasa_workers)):
        if count > 1 and not settings.lock_url:
            raise StartError(f"{name}={count} needs GRADREC_LOCK_URL (a Redis lock store; Rasa's in-memory one "
                             "cannot keep one conversation's turns in order across processes); start one with "
                             "`gradrec-assistant services`")


def _yaml_str(value: object) -> str:
    return json.dumps(str(value))  # a JSON string is a YAML string


def tracker_store_yaml(settings: Settings) -> str:
    """Rasa's SQL tracker store: PostgreSQL from GRADREC_TRACKER_URL (host, port, db, username,
    password, query options as Rasa 3.6's SQLTrackerStore takes them), else SQLite in var/."""
    if not settings.tracker_url:
        return f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {_yaml_str(settings.var_dir / 'rasa_tracker.db')}\n"
    url = urlsplit(settings.tracker_url)
    if not url.hostname or not url.path.strip("/"):
        raise StartError("GRADREC_TRACKER_URL must name a host and a database: postgresql://user:password@host:port/db")
    lines = ["tracker_store:", "  type: SQL", "  dialect: postgresql", f"  url: {_yaml_str(url.hostname)}",
             f"  port: {url.port or 5432}", f"  db: {_yaml_str(unquote(url.path.strip('/')))}"]
    if url.username:
        lines.append(f"  username: {_yaml_str(unquote(url.username))}")
    if url.password:
        lines.append(f"  password: {_yaml_str(unquote(url.password))}")
    query = parse_qsl(url.query)
    if query:
        lines.append("  query:")
        lines += [f"    {_yaml_str(k)}: {_yaml_str(v)}" for k, v in query]
    return "\n".join(lines) + "\n"


def lock_store_yaml(settings: Settings) -> str:
    """Rasa's Redis lock store from GRADREC_LOCK_URL (redis://[:password@]host:port/db, rediss:// for
    TLS); empty without one (Rasa's in-memory lock store: one process only)."""
    if not settings.lock_url:
        return ""
    url = urlsplit(settings.lock_url)
    if not url.hostname:
        raise StartError("GRADREC_LOCK_URL must name a host: redis://[:password@]host:port/db")
    db = url.path.strip("/") or "1"
    if not db.isdigit():
        raise StartError(f"GRADREC_LOCK_URL: the Redis database must be a number, not {db!r}")
    lines = ["lock_store:", "  type: redis", f"  url: {_yaml_str(url.hostname)}", f"  port: {url.port or 6379}",
             f"  db: {int(db)}", '  key_prefix: "gradrec"']
    if url.username:
        lines.append(f"  username: {_yaml_str(unquote(url.username))}")
    if url.password:
        lines.append(f"  password: {_yaml_str(unquote(url.password))}")
    if url.scheme == "rediss":
        lines.append("  use_ssl: true")
    return "\n".join(lines) + "\n"


def write_endpoints(settings: Settings, action_port: int, path: Path, token: str | None = None) -> Path:
    """endpoints.yml for this run: the action server's port and token, the tracker store (SQLite,
    or PostgreSQL from GRADREC_TRACKER_URL), the Redis lock store when GRADREC_LOCK_URL is set.
    Only the owner may read it (it holds the token and the stores' passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "action_endpoint:\n"
        f'  url: "http://{settings.host}:{action_port}/webhook"\n'
        f"  token: {json.dumps(token or run_action_token(settings))}\n"
        '  token_name: "token"\n'
        + tracker_store_yaml(settings)
        + lock_store_yaml(settings)
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)
    return path


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes in process group `pgid`."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict, repr=False)
    health_path: str = "/health"
    start_timeout: float = 120.0
    failures: int = 0  # health checks failed in a row
    processes: int = 0  # live processes its group must hold (Rasa with several workers); 0: any

    @property
    def pid(self) -> int:
        return self.process.pid

    def healthy(self, timeout: float = 3.0) -> bool:
        """GET the health path: 200 within `timeout` seconds."""
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=timeout) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the server's whole process group (a Sanic manager does not stop on a SIGTERM
        to itself alone once its worker is gone), SIGKILL to what is left after `timeout` seconds;
        returns when no process of the group is left."""
        pgid = self.process.pid  # started with start_new_session: the group's id is the leader's pid
        try:
            if self.process.poll() is None or _group_members(pgid):
                _signal_group(pgid, signal.SIGTERM)
                if not self._wait_gone(pgid, time.monotonic() + timeout):
                    log.warning("the %s (pid %d) did not stop within %.0fs; killing its process group",
                                self.name, pgid, timeout)
                    _signal_group(pgid, signal.SIGKILL)
                    self._wait_gone(pgid, time.monotonic() + 10.0)
        finally:
            _started.pop(pgid, None)

    def _wait_gone(self, pgid: int, deadline: float) -> bool:
        while True:
            if self.process.poll() is not None and not _group_members(pgid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def restart(self) -> "Server":
        """Stop the whole group, start the same command on the same port, wait until it answers."""
        self.stop()
        server = _spawn(self.name, self.argv, self.env, self.log_path, self.url, self.health_path,
                        self.start_timeout)
        server.processes = self.processes
        _wait(server, server.health_path, server.start_timeout)
        return server


def _spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path, url: str,
           health_path: str = "/health", start_timeout: float = 120.0) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    address = urlsplit(url)
    check_port_free(address.hostname or "127.0.0.1", int(address.port or 80))
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    with os.fdopen(fd, "ab") as out:
        os.fchmod(out.fileno(), PRIVATE_FILE)
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   preexec_fn=_server_preexec(os.getpid()))
    server = Server(name, process, url, log_path, list(argv), dict(env), health_path, start_timeout)
    _started[process.pid] = server
    log.info("started the %s (pid %d) for %s", name, process.pid, url)
    return server


def _wait(server: Server, path: str, timeout: float) -> None:
    """Until `path` answers 200; on a timeout, an exit or an interruption the server is stopped."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                code = server.process.returncode
                server.stop()
                raise StartError(f"the {server.name} exited with status {code}; see {server.log_path}")
            try:
                with urllib.request.urlopen(server.url + path, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
    except BaseException:
        server.stop()
        raise
    server.stop()
    raise StartError(f"the {server.name} did not answer on {server.url} within {timeout:.0f}s; see {server.log_path}")


def stop_all() -> None:
    """Stop every server this process started and has not stopped yet."""
    for server in reversed(list(_started.values())):
        server.stop()


# One OpenMP thread per server unless the environment says otherwise (these come before the
# environment in each server's): a turn's work (a few prompts through the encoder, DIET on one
# message) is too small to share, and idle OpenMP threads spin on the cores the other server needs
# (measured on 2 cores: the action server's CPU per turn 15 -> 10.6 ms, docs/RESULTS.md section 7).
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def start_action_server(settings: Settings, port: int, env: dict[str, str] | None = None,
                        timeout: float = 120.0, *, token: str | None = None, wait: bool = True) -> Server:
    """rasa-sdk's action server over `actions/`, bound to the settings' host, refusing calls without
    the shared token (`token`, else GRADREC_ACTION_TOKEN in `env`, else `run_action_token(settings)`);
    with `wait=False` it returns once the process is started (then `wait_until_up`)."""
    token = token or (env or {}).get(ACTION_TOKEN_ENV) or run_action_token(settings)
    secure_var(settings)
    env = {**ONE_THREAD, **os.environ, "GRADREC_PUBLIC_URL": settings.base_url, "GRADREC_CURRENCY": settings.currency,
           **settings.child_env(), "GRADREC_DB_URL": settings.db_url,  # the settings', not the shell's
           **(env or {}), "SANIC_HOST": settings.host, "PYTHONPATH": str(ROOT), ACTION_TOKEN_ENV: token}
    argv = [sys.executable, "-m", "assistant.action_server", "--actions", "actions", "--port", str(port)]
    log_name = "action_server.log" if port == settings.action_port else f"action_server-{port}.log"
    server = _spawn("action server", argv, env, settings.var_dir / "logs" / log_name,
                    f"http://{settings.host}:{port}", "/health", timeout)
    if wait:
        _wait(server, "/health", timeout)
    return server


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[tuple[Server, Server]]:
    """The action server and the Rasa server on the settings' ports, the action server on the
    settings' index and session store; both stopped whatever happens (tests, benchmarks)."""
    actions = start_action_server(settings, settings.action_port)
    rasa = None
    try:
        rasa = start_rasa(settings, settings.rasa_port, settings.action_port)
        yield actions, rasa
    finally:
        if rasa is not None:
            rasa.stop()
        actions.stop()


def rasa_argv(settings: Settings, port: int, endpoints: Path, model: Path) -> list[str]:
    """`rasa run` with the REST and socket.io channels; the HTTP API only when the settings turn it
    on (with its token), CORS only for the configured origins. Started through
    `assistant.rasa.main` (Rasa's own entry point with its per-turn costs cut, see there) unless
    the settings ask for Rasa as shipped."""
    check_security(settings)
    entry = ([str(settings.rasa_venv / "bin" / "rasa")] if settings.rasa_as_shipped
             else [str(settings.rasa_venv / "bin" / "python"), "-m", "assistant.rasa.main"])
    argv = [
        *entry, "run", "-i", settings.host, "-p", str(port),
        "--model", str(model), "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
    ]
    if settings.enable_api:
        argv += ["--enable-api", "--auth-token", str(settings.api_token)]
    if settings.cors_origins:
        argv += ["--cors", *settings.cors_origins]
    return argv


RASA_RESPONSE_TIMEOUT = 3600  # seconds; rasa.core.constants.DEFAULT_RESPONSE_TIMEOUT
RASA_HEALTH_PATH = "/"  # "Hello from Rasa", served with or without the HTTP API (/status is the API's)


def start_rasa(settings: Settings, port: int, action_port: int, env: dict[str, str] | None = None,
               timeout: float = 240.0, *, action_token: str | None = None, wait: bool = True) -> Server:
    """`rasa run` (see `rasa_argv`) with the SQL tracker store, calling the action server on
    `action_port` with the shared token; with `wait=False` it returns once the process is started
    (then `wait_until_up`)."""
    check_security(settings)
    rasa = settings.rasa_venv / "bin" / "rasa"
    if not rasa.exists():
        raise StartError(f"{rasa} not found; run `make setup` first")
    secure_var(settings)
    endpoints = write_endpoints(settings, action_port, settings.var_dir / "run" / f"endpoints-{port}.yml",
                                action_token)
    # one TensorFlow thread each for DIET's tiny per-message graph unless the environment says
    # otherwise: more only spin on cores the action server needs (measured: no loss in turns/s,
    # lower latency on 2 cores); the channels in assistant/ (the guarded REST channel, the web
    # channel) are imported from this folder; the web channel serves /images/<id> from this index;
    # Sanic refuses request bodies over its size limit with 413 before anything reads them
    env = {**ONE_THREAD, "TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1",
           **os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "SANIC_REQUEST_MAX_SIZE": str(REQUEST_MAX_SIZE), **settings.child_env(),
           SESSION_SECRET_ENV: run_session_secret(),
           # how long a ticket on a conversation in the lock store lives (Rasa reads it at import)
           "TICKET_LOCK_LIFETIME": str(max(1, round(settings.lock_lifetime))),
           # without --enable-api Rasa 3.6 leaves Sanic's 60 s response timeout in place (its own
           # --response-timeout, 3600 s, only reaches the API app): a turn slower than 60 s is then
           # cancelled after the action ran but before the tracker is saved, and the REST channel
           # still answers 200 with the replies collected so far: the shopper sees an item the
           # conversation never recorded. Rasa's own default for every app:
           "SANIC_RESPONSE_TIMEOUT": str(RASA_RESPONSE_TIMEOUT),
           "GRADREC_TRACKER_CACHE": str(settings.tracker_cache),
           "GRADREC_ACTION_CALL_TURNS": str(settings.action_call_turns),
           # Sanic workers of this Rasa process, on one port (Rasa takes more than one only with a
           # lock store other than its in-memory one; `check_security` asks for Redis)
           "SANIC_WORKERS": str(settings.rasa_workers),
           **(env or {})}
    log_name = "rasa_server.log" if port == settings.rasa_port else f"rasa_server-{port}.log"
    server = _spawn("Rasa server", rasa_argv(settings, port, endpoints, latest_model(settings)), env,
                    settings.var_dir / "logs" / log_name, f"http://{settings.host}:{port}",
                    RASA_HEALTH_PATH, timeout)
    if settings.rasa_workers > 1:
        server.processes = settings.rasa_workers + 1  # Sanic's main process and its workers
    if wait:
        _wait(server, RASA_HEALTH_PATH, timeout)
    return server


def wait_until_up(server: Server) -> None:
    """Until a server started with `wait=False` answers its health path (stopped on failure)."""
    _wait(server, server.health_path, server.start_timeout)


@dataclass
class Assistant:
    """Both servers, started in order, supervised, and stopped together."""

    settings: Settings
    servers: list[Server] = field(default_factory=list)

    def start(self) -> "Assistant":
        """The action servers (GRADREC_ACTION_REPLICAS) and the Rasa processes (GRADREC_RASA_REPLICAS;
        process i calls action server i mod M), all started at once; returns when all answer. Rasa
        calls an action server only on a turn, so neither waits for the other to load (one after
        the other, `gradrec-assistant chat` took 35-90 s to start on 2 busy cores: the action
        server's ~25 s, then Rasa's ~60 s)."""
        s = self.settings
        check_security(s)  # before anything starts
        token = run_action_token(s)
        try:
            for i in range(s.action_replicas):
                self.servers.append(start_action_server(s, s.action_port + i, token=token, wait=False))
            for i in range(s.rasa_replicas):
                self.servers.append(start_rasa(s, s.rasa_port + i, s.action_port + i % s.action_replicas,
                                               action_token=token, wait=False))
            for server in self.servers:
                wait_until_up(server)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa process's address (for a load balancer in front of them)."""
        return [f"http://{self.settings.host}:{self.settings.rasa_port + i}" for i in range(self.settings.rasa_replicas)]

    @property
    def rasa_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.rasa_port}"

    def check(self) -> None:
        """One supervision round: a server whose process exited, or that failed its health check
        `health_failures` times in a row, is stopped (its whole group) and started again."""
        s = self.settings
        for i, server in enumerate(list(self.servers)):
            code = server.process.poll()
            live = len(_group_members(server.pid)) if server.processes else 0
            if code is not None:
                reason = f"exited with status {code}"
            elif live < server.processes:  # the port still answers from the workers left
                reason = f"has {live} of its {server.processes} processes left"
            elif server.healthy(s.health_timeout):
                server.failures = 0
                continue
            else:
                server.failures += 1
                if server.failures < s.health_failures:
                    log.info("the %s (pid %d) failed a health check (%d of %d)", server.name, server.pid,
                             server.failures, s.health_failures)
                    continue
                reason = (f"failed {server.failures} health checks in a row "
                          f"(GET {server.url}{server.health_path}, timeout {s.health_timeout:g}s)")
            log.warning("the %s (pid %d) %s; restarting it on %s", server.name, server.pid, reason, server.url)
            try:
                self.servers[i] = server.restart()
            except StartError as err:
                log.error("the %s did not come back: %s; trying again in %gs", server.name, err, s.health_interval)
            else:
                log.warning("the %s is back on %s (pid %d)", server.name, server.url, self.servers[i].pid)

    def supervise(self) -> None:
        """Health-check both servers every `health_interval` seconds, restarting failed ones; runs
        until interrupted (the launcher's signal handler raises)."""
        log.info("supervising: a health check every %gs, a restart after %d failed in a row",
                 self.settings.health_interval, self.settings.health_failures)
        while True:
            time.sleep(self.settings.health_interval)
            self.check()

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def send(rasa_url: str, sender: str | None, message: str, timeout: float = 60.0, *,
         shop: str | None = None, token: str | None = None) -> list[dict[str, Any]]:
    """One turn through the REST channel (in `shop`, with a signed `token` when given): the bot's
    messages."""
    body: dict[str, Any] = {"message": message}
    if sender is not None:
        body["sender"] = sender
    if shop is not None:
        body["metadata"] = {"shop": shop}
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return list(json.loads(r.read().decode() or "[]"))
