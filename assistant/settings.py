"""One place for the application's settings: environment variables with embedded defaults.

    GRADREC_INDEX          index folder the action server walks   (var/index/sample)
    GRADREC_DB_URL         session store, any SQLAlchemy URL      (sqlite:///var/sessions.db)
    GRADREC_HOST           where the servers listen               (127.0.0.1)
    GRADREC_ACTION_PORT    the action server's port               (5055)
    GRADREC_RASA_PORT      the Rasa server's port                 (5005)
    GRADREC_RASA_VENV      the Python 3.10 venv with rasa         (.venv-rasa)
    GRADREC_VAR            logs, per-run files, the SQLite stores (var)
    GRADREC_MODELS         the trained Rasa models                (models)
    GRADREC_PUBLIC_URL     the base URL browsers and phones reach the Rasa server at; item
                           image URLs and the chat page's URL are built on it
                                                   (http://GRADREC_HOST:GRADREC_RASA_PORT)
    GRADREC_CURRENCY       the currency word voice replies say prices in         (dollars)

Security (secrets come only from the environment, never from a file in the repository):

    GRADREC_ENABLE_API     1: Rasa's HTTP API (/status, /conversations, /model ...) is on;
                           it then needs GRADREC_API_TOKEN                         (off)
    GRADREC_API_TOKEN      the token the API asks for (`?token=...`)               (none)
    GRADREC_CORS_ORIGINS   comma-separated origins a browser may call Rasa from, and open
                           the chat's socket.io from                 (none: same origin only)
    GRADREC_ACTION_TOKEN   the token Rasa shows the action server; unset: a random one
                           per launcher run                                        (random)

Shops and signed senders (docs/operations.md: "Many shops, one deployment", "Signed sender ids"):

    GRADREC_SHOPS          the folder of the shops' index folders: metadata `shop: NAME` routes a
                           conversation to GRADREC_SHOPS/NAME (picked up without a restart);
                           without a shop, GRADREC_INDEX is the catalog              (var/shops)
    GRADREC_JWT_SECRET     set: every chat message needs a token signed with it (HS256, at least
                           32 bytes) naming its sender (`sub`) and optionally its shop (`shop`);
                           `gradrec-assistant token` mints one                      (none)

Supervision (`gradrec-assistant serve`):

    GRADREC_HEALTH_INTERVAL  seconds between health checks                        (5)
    GRADREC_HEALTH_TIMEOUT   seconds a health check may take                      (3)
    GRADREC_HEALTH_FAILURES  failed checks in a row before a restart              (3)

Replicas (several Rasa and action-server processes on shared state; see assistant/services.py
for a local PostgreSQL and Redis, `gradrec-assistant services`):

    GRADREC_TRACKER_URL      Rasa's tracker store: a postgresql:// URL; unset: SQLite in
                             GRADREC_VAR/rasa_tracker.db                          (SQLite)
    GRADREC_LOCK_URL         Rasa's lock store: redis://[:password@]host:port/db; needed for
                             more than one Rasa process                     (in memory)
    GRADREC_LOCK_LIFETIME    seconds a Rasa replica's ticket on a conversation lives; a
                             replica killed mid-turn blocks the conversation that long (60)
    GRADREC_RASA_REPLICAS    Rasa processes, on GRADREC_RASA_PORT, +1, ...            (1)
    GRADREC_RASA_WORKERS     Sanic workers in each Rasa process, on the same port (Rasa's
                             SANIC_WORKERS); more than 1 needs GRADREC_LOCK_URL         (1)
    GRADREC_ACTION_REPLICAS  action servers, on GRADREC_ACTION_PORT, +1, ...; Rasa process
                             i calls action server i mod this                          (1)

Rasa's per-turn costs (docs/operations.md, "Many shoppers at once"; assistant/rasa/main.py):

    GRADREC_TRACKER_CACHE    conversations whose tracker each Rasa process keeps in memory
                             between turns (checked against the tracker store every turn); 0: none
                                                                                      (2000)
    GRADREC_ACTION_CALL_TURNS  user turns whose events a call to the action server carries
                             (the slots and the latest message always); 0: every event, as
                             Rasa sends them                                          (3)
    GRADREC_RASA_AS_SHIPPED  1: start `rasa run` as shipped, without assistant.rasa.main's cuts
                             (the load benchmark's baseline; to rule them out)        (off)

Relative paths are taken from the repository root, so the servers behave the same from any
working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _path(value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else ROOT / p


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a port number") from None
    if not 0 <= port < 65536:
        raise SystemExit(f"{name}={raw!r} is not a port number")
    return port


def _number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SystemExit(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"{name}={raw!r} is not 1 or 0")


def _secret(name: str) -> str | None:
    raw = os.environ.get(name) or None
    if raw is not None and len(raw.encode()) < 32:
        raise SystemExit(f"{name} must have at least 32 bytes (it has {len(raw.encode())}); "
                         "e.g. `openssl rand -hex 32`")
    return raw


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in raw.split(",") if o.strip())


@dataclass(frozen=True)
class Settings:
    index_dir: Path
    db_url: str
    host: str
    action_port: int
    rasa_port: int
    rasa_venv: Path
    var_dir: Path
    models_dir: Path
    enable_api: bool = False
    api_token: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    action_token: str | None = field(default=None, repr=False)
    health_interval: float = 5.0
    health_timeout: float = 3.0
    health_failures: int = 3
    public_url: str | None = None
    currency: str = "dollars"
    tracker_url: str | None = field(default=None, repr=False)
    lock_url: str | None = field(default=None, repr=False)
    lock_lifetime: float = 60.0
    rasa_replicas: int = 1
    rasa_workers: int = 1
    action_replicas: int = 1
    shops_dir: Path = ROOT / "var" / "shops"
    jwt_secret: str | None = field(default=None, repr=False)
    tracker_cache: int = 2000
    action_call_turns: int = 3
    rasa_as_shipped: bool = False

    def child_env(self) -> dict[str, str]:
        """What both servers read from their environment to route shops and check tokens."""
        env = {"GRADREC_INDEX": str(self.index_dir), "GRADREC_SHOPS": str(self.shops_dir),
               "GRADREC_CORS_ORIGINS": ",".join(self.cors_origins)}
        if self.jwt_secret:
            env["GRADREC_JWT_SECRET"] = self.jwt_secret
        return env

    @property
    def base_url(self) -> str:
        """Where clients reach the Rasa server (and its /chat page and /images/<id>): GRADREC_PUBLIC_URL,
        else the Rasa server's own address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.rasa_port}"

    @property
    def chat_url(self) -> str:
        """The self-hosted chat page."""
        return f"{self.base_url}/chat"

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = _path(os.environ.get("GRADREC_VAR", "var"))
        db_url = os.environ.get("GRADREC_DB_URL") or f"sqlite:///{var_dir / 'sessions.db'}"
        return cls(
            index_dir=_path(os.environ.get("GRADREC_INDEX", "var/index/sample")),
            db_url=db_url,
            host=os.environ.get("GRADREC_HOST", "127.0.0.1"),
            action_port=_port("GRADREC_ACTION_PORT", 5055),
            rasa_port=_port("GRADREC_RASA_PORT", 5005),
            rasa_venv=_path(os.environ.get("GRADREC_RASA_VENV", ".venv-rasa")),
            var_dir=var_dir,
            models_dir=_path(os.environ.get("GRADREC_MODELS", "models")),
            enable_api=_flag("GRADREC_ENABLE_API"),
            api_token=os.environ.get("GRADREC_API_TOKEN") or None,
            cors_origins=_origins(os.environ.get("GRADREC_CORS_ORIGINS", "")),
            action_token=os.environ.get("GRADREC_ACTION_TOKEN") or None,
            health_interval=_number("GRADREC_HEALTH_INTERVAL", 5.0, 0.1),
            health_timeout=_number("GRADREC_HEALTH_TIMEOUT", 3.0, 0.1),
            health_failures=int(_number("GRADREC_HEALTH_FAILURES", 3, 1)),
            public_url=os.environ.get("GRADREC_PUBLIC_URL") or None,
            currency=os.environ.get("GRADREC_CURRENCY") or "dollars",
            shops_dir=_path(os.environ.get("GRADREC_SHOPS", "var/shops")),
            jwt_secret=_secret("GRADREC_JWT_SECRET"),
            tracker_url=_url("GRADREC_TRACKER_URL", ("postgresql",)),
            lock_url=_url("GRADREC_LOCK_URL", ("redis", "rediss")),
            lock_lifetime=_number("GRADREC_LOCK_LIFETIME", 60.0, 1.0),
            rasa_replicas=int(_number("GRADREC_RASA_REPLICAS", 1, 1)),
            rasa_workers=int(_number("GRADREC_RASA_WORKERS", 1, 1)),
            action_replicas=int(_number("GRADREC_ACTION_REPLICAS", 1, 1)),
            tracker_cache=int(_number("GRADREC_TRACKER_CACHE", 2000, 0)),
            action_call_turns=int(_number("GRADREC_ACTION_CALL_TURNS", 3, 0)),
            rasa_as_shipped=_flag("GRADREC_RASA_AS_SHIPPED"),
        )


def _url(name: str, schemes: tuple[str, ...]) -> str | None:
    """An optional URL whose scheme (before any `+driver`) is one of `schemes`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    scheme = raw.split("://", 1)[0].split("+", 1)[0].lower() if "://" in raw else ""
    if scheme not in schemes:
        raise SystemExit(f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {raw.split('://')[0]!r}...")
    return raw
