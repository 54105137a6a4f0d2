"""Local PostgreSQL and Redis for running several Rasa and action-server processes on shared
state, on one machine: each in a data folder (`var/pg`, `var/redis` by default), listening on
127.0.0.1 on a free port, stopped whatever happens.

    with local_services(settings.var_dir) as (postgres_url, redis_url):
        ...  # GRADREC_DB_URL / GRADREC_TRACKER_URL = postgres_url, GRADREC_LOCK_URL = redis_url

PostgreSQL: `initdb` once (superuser `postgres`, trust only on the unix socket, which lives in
the data folder; TCP from 127.0.0.1 needs the password of role `gradrec`, generated once and
kept in the data folder with mode 0600), then `pg_ctl start` on a free port, database `gradrec`
created when missing; `pg_ctl stop -m fast` to stop. PostgreSQL refuses to run as root: as
root, the cluster belongs to the unprivileged user `postgres` (Debian's package creates it) or,
without it, `nobody`, and every command runs through `runuser`.

Redis: `redis-server` in the foreground in its own session (no persistence: the lock store's
tickets live seconds), with a generated password; stopped with SIGTERM, then SIGKILL.

Anything else (a managed PostgreSQL, a Redis on another machine) is just a URL in the settings;
this module is only for running them here."""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

log = logging.getLogger("assistant")

PG_PACKAGE = "postgresql"
REDIS_PACKAGE = "redis-server"
PG_DATABASE = "gradrec"
PG_ROLE = "gradrec"
PG_SUPERUSER = "postgres"


class ServiceError(RuntimeError):
    """A local service could not be started; the message says what is missing and where."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin(name: str) -> str:
    """A PostgreSQL program: on PATH, else in Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    raise ServiceError(f"PostgreSQL's `{name}` was not found (on PATH or in /usr/lib/postgresql/*/bin); "
                       f"install Debian's `{PG_PACKAGE}` package (`make services`)")


def redis_bin() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceError(f"`redis-server` was not found on PATH; install Debian's `{REDIS_PACKAGE}` "
                           "package (`make services`)")
    return found


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user PostgreSQL runs as when this process is root (it refuses root), else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServiceError("running as root, and neither the user `postgres` nor `nobody` exists for "
                       "PostgreSQL to run as (it refuses root); install Debian's `postgresql` package")


def _check_reachable(folder: Path, user: pwd.struct_passwd) -> None:
    """Every folder above `folder` must let `user` through (PostgreSQL runs as that user)."""
    for parent in folder.resolve().parents:
        st = parent.stat()
        if st.st_uid == user.pw_uid:
            continue
        bit = stat.S_IXGRP if st.st_gid == user.pw_gid else stat.S_IXOTH
        if not st.st_mode & bit:
            raise ServiceError(f"PostgreSQL runs as `{user.pw_name}` (it refuses root), who cannot enter "
                               f"{parent} (mode {stat.filemode(st.st_mode)}); put the data folder {folder} "
                               "somewhere that user can reach")


def _run(argv: list[str], user: pwd.struct_passwd | None, what: str, timeout: float = 120.0) -> str:
    if user is not None:
        argv = ["runuser", "-u", user.pw_name, "--", *argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{what} did not finish within {timeout:.0f}s: {' '.join(argv)}") from None
    if done.returncode != 0:
        raise ServiceError(f"{what} failed (status {done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


@dataclass
class Postgres:
    """A local PostgreSQL cluster in `data_dir`; `url` is set while it runs."""

    data_dir: Path
    port: int = 0
    url: str = ""
    user: pwd.struct_passwd | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "postgres.log"

    def _password(self) -> str:
        path = self.data_dir / "gradrec.password"
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        return password

    def start(self, timeout: float = 60.0) -> "Postgres":
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        self.user = _unprivileged_user()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            _check_reachable(self.data_dir, self.user)
            os.chown(self.data_dir, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.data_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            log.info("initdb: a new PostgreSQL cluster in %s", self.data_dir)
            _run([initdb, "-D", str(self.data_dir), "-U", PG_SUPERUSER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"], self.user, "initdb")
        password = self._password()
        if self.user is not None:
            os.chown(self.data_dir / "gradrec.password", self.user.pw_uid, self.user.pw_gid)
        self.port = self.port or _free_port()
        options = (f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c fsync=on")
        _run([pg_ctl, "-D", str(self.data_dir), "-l", str(self.log_path), "-o", options, "-w",
              "-t", str(int(timeout)), "start"], self.user, f"pg_ctl start (log: {self.log_path})", timeout + 10)
        _live.append(self)
        self.url = f"postgresql://{PG_ROLE}:{quote(password, safe='')}@127.0.0.1:{self.port}/{PG_DATABASE}"
        try:
            self._create_database(password)
        except BaseException:
            self.stop()
            raise
        log.info("PostgreSQL is up on 127.0.0.1:%d (data %s)", self.port, self.data_dir)
        return self

    def _create_database(self, password: str) -> None:
        """Role `gradrec` (its password from the data folder) and database `gradrec`, over the socket."""
        with self._admin() as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PG_ROLE,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(f"{verb} ROLE {PG_ROLE} LOGIN PASSWORD {_literal(password)}")
        self.create_database(PG_DATABASE)

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(host=str(self.data_dir), port=self.port, user=PG_SUPERUSER, dbname="postgres",
                               autocommit=True)

    def create_database(self, name: str) -> str:
        """Database `name` owned by role `gradrec` (created when missing); its URL."""
        if not name.replace("_", "").isalnum():
            raise ServiceError(f"database name {name!r}: letters, digits and _ only")
        with self._admin() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f"CREATE DATABASE {name} OWNER {PG_ROLE}")
        return self.url.rsplit("/", 1)[0] + "/" + name if self.url else ""

    def stop(self) -> None:
        if self in _live:
            _live.remove(self)
        if not (self.data_dir / "postmaster.pid").exists():
            return
        if self.user is None:
            self.user = _unprivileged_user()
        try:
            _run([pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop"],
                 self.user, "pg_ctl stop", 45)
            log.info("PostgreSQL on port %d stopped", self.port)
        except ServiceError as err:
            log.warning("%s; killing the postmaster", err)
            try:
                pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Redis:
    """A local redis-server with its folder `data_dir`; `url` is set while it runs."""

    data_dir: Path
    port: int = 0
    url: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 30.0) -> "Redis":
        binary = redis_bin()
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        password = secrets.token_urlsafe(24)
        conf = self.data_dir / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:  # the password in a file, not on the command line
            out.write(f"port {self.port}\nbind 127.0.0.1\nprotected-mode yes\ndir {self.data_dir}\n"
                      f"save \"\"\nappendonly no\ndaemonize no\nrequirepass {password}\n")
        log_path = self.data_dir / "redis.log"
        with open(log_path, "ab") as out:
            self.process = subprocess.Popen([binary, str(conf)], stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        _live.append(self)
        deadline = time.monotonic() + timeout
        while not self._ping(password):
            if self.process.poll() is not None or time.monotonic() > deadline:
                code = self.process.poll()
                self.stop()
                raise ServiceError(f"redis-server did not come up on 127.0.0.1:{self.port} "
                                   f"({'exited with status ' + str(code) if code is not None else 'timed out'}); "
                                   f"see {log_path}")
            time.sleep(0.1)
        self.url = f"redis://:{quote(password, safe='')}@127.0.0.1:{self.port}/1"
        log.info("Redis is up on 127.0.0.1:%d (pid %d)", self.port, self.process.pid)
        return self

    def _ping(self, password: str) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(f"AUTH {password}\r\nPING\r\n".encode())
                data = b""
                while data.count(b"\r\n") < 2:
                    chunk = s.recv(256)
                    if not chunk:
                        break
                    data += chunk
                return b"+PONG" in data
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self in _live:
            _live.remove(self)
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        log.info("Redis on port %d stopped", self.port)


_live: list[Postgres | Redis] = []  # started and not stopped yet, in start order


def stop_services() -> None:
    """Stop every local service this process started and has not stopped (the launcher's clean-up)."""
    for service in reversed(list(_live)):
        service.stop()


@contextlib.contextmanager
def temporary_postgres() -> Iterator[Postgres]:
    """A throw-away PostgreSQL cluster (see `temporary_services`)."""
    with temporary_services(redis=False) as (pg, _):
        assert pg is not None
        yield pg


@contextlib.contextmanager
def temporary_services(*, postgres: bool = True, redis: bool = True) -> Iterator[tuple[Postgres | None, Redis | None]]:
    """Throw-away PostgreSQL and Redis in a fresh folder under the system's temporary folder
    (reachable by the unprivileged user PostgreSQL runs as when this is root), on free ports;
    stopped and removed afterwards whatever happens (tests)."""
    folder = Path(tempfile.mkdtemp(prefix="gradrec-services-"))
    os.chmod(folder, 0o755)
    started: list[Postgres | Redis] = []
    try:
        pg = Postgres(folder / "pg").start() if postgres else None
        if pg:
            started.append(pg)
        rd = Redis(folder / "redis").start() if redis else None
        if rd:
            started.append(rd)
        yield pg, rd
    finally:
        for service in reversed(started):
            service.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def local_services(var_dir: Path, *, postgres: bool = True, redis: bool = True) -> Iterator[tuple[str | None, str | None]]:
    """PostgreSQL in `var_dir/pg` and Redis in `var_dir/redis` on free ports; yields their URLs
    (None for one not asked for); both stopped whatever happens."""
    started: list[Postgres | Redis] = []
    try:
        pg = Postgres(var_dir / "pg").start() if postgres else None
        if pg:
            started.append(pg)
        rd = Redis(var_dir / "redis").start() if redis else None
        if rd:
            started.append(rd)
        yield (pg.url if pg else None, rd.url if rd else None)
    finally:
        for service in reversed(started):
            service.stop()
