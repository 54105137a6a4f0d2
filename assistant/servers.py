"""Starting and stopping the two servers: the action server (Python 3.11, rasa-sdk, the engine)
and the Rasa server (Python 3.10, `rasa run`), both on loopback."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .settings import ROOT, Settings

log = logging.getLogger("assistant")


class StartError(RuntimeError):
    """A server did not come up; the message says which and where its log is."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def latest_model(settings: Settings) -> Path:
    models = sorted(settings.models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise StartError(f"no trained Rasa model in {settings.models_dir}; run `make setup` first")
    return models[-1]


def write_endpoints(settings: Settings, action_port: int, path: Path) -> Path:
    """endpoints.yml for this run: the action server's port and the SQLite tracker store."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tracker_db = settings.var_dir / "rasa_tracker.db"
    path.write_text(
        "action_endpoint:\n"
        f'  url: "http://{settings.host}:{action_port}/webhook"\n'
        "tracker_store:\n"
        "  type: SQL\n"
        "  dialect: sqlite\n"
        f'  db: "{tracker_db}"\n'
    )
    return path


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def _spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path, url: str) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Server(name, process, url, log_path)


def _wait(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise StartError(f"the {server.name} exited with status {server.process.returncode}; see {server.log_path}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    server.stop()
    raise StartError(f"the {server.name} did not answer on {server.url} within {timeout:.0f}s; see {server.log_path}")


def start_action_server(settings: Settings, port: int, env: dict[str, str] | None = None,
                        timeout: float = 120.0) -> Server:
    """rasa-sdk's action server over `actions/`, bound to the settings' host."""
    env = {**os.environ, **(env or {}), "SANIC_HOST": settings.host, "PYTHONPATH": str(ROOT)}
    server = _spawn("action server",
                    [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                    env, settings.var_dir / "logs" / "action_server.log", f"http://{settings.host}:{port}")
    _wait(server, "/health", timeout)
    return server


def start_rasa(settings: Settings, port: int, action_port: int, env: dict[str, str] | None = None,
               timeout: float = 240.0) -> Server:
    """`rasa run --enable-api` with the REST and socket.io channels and the SQL tracker store."""
    rasa = settings.rasa_venv / "bin" / "rasa"
    if not rasa.exists():
        raise StartError(f"{rasa} not found; run `make setup` first")
    endpoints = write_endpoints(settings, action_port, settings.var_dir / "run" / f"endpoints-{port}.yml")
    env = {**os.environ, **(env or {})}
    server = _spawn("Rasa server", [
        str(rasa), "run", "--enable-api", "-i", settings.host, "-p", str(port),
        "--model", str(latest_model(settings)), "--endpoints", str(endpoints),
        "--credentials", str(ROOT / "credentials.yml"), "--cors", "*",
    ], env, settings.var_dir / "logs" / "rasa_server.log", f"http://{settings.host}:{port}")
    _wait(server, "/status", timeout)
    return server


@dataclass
class Assistant:
    """Both servers, started in order and stopped together."""

    settings: Settings
    servers: list[Server] = field(default_factory=list)

    def start(self) -> "Assistant":
        s = self.settings
        self.servers.append(start_action_server(s, s.action_port))
        try:
            self.servers.append(start_rasa(s, s.rasa_port, s.action_port))
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def rasa_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.rasa_port}"

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()


def send(rasa_url: str, sender: str, message: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """One turn through the REST channel: the bot's messages."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return list(json.loads(r.read().decode() or "[]"))
