"""One place for the application's settings: environment variables with embedded defaults.

    GRADREC_INDEX          index folder the action server walks   (var/index/sample)
    GRADREC_DB_URL         session store, any SQLAlchemy URL      (sqlite:///var/sessions.db)
    GRADREC_HOST           where the servers listen               (127.0.0.1)
    GRADREC_ACTION_PORT    the action server's port               (5055)
    GRADREC_RASA_PORT      the Rasa server's port                 (5005)
    GRADREC_RASA_VENV      the Python 3.10 venv with rasa         (.venv-rasa)

Relative paths are taken from the repository root, so the servers behave the same from any
working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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
        )
