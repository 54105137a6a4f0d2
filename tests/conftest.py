"""Shared fixtures: the sample catalog and its index (built by `make setup`; built here if not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = ROOT / "data" / "catalog" / "sample" / "items.csv"
SAMPLE_INDEX = ROOT / "var" / "index" / "sample"


def ensure_sample_index() -> Path:
    """The sample catalog's index, exactly as `make setup` builds it (a no-op when up to date)."""
    from gradrec_core import CatalogSpec, index_catalog

    if not SAMPLE_CSV.is_file():
        subprocess.run([sys.executable, str(ROOT / "data" / "catalog" / "generate.py"),
                        "--out", str(SAMPLE_CSV.parent)], check=True)
    index_catalog(SAMPLE_CSV, SAMPLE_INDEX, CatalogSpec(
        text_columns=("name", "description"), category_column="kind", image_column="image",
        name_column="name", numeric_columns=("price", "heel_cm")))
    return SAMPLE_INDEX


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
    import dataclasses

    from assistant.servers import free_port
    from assistant.settings import Settings

    var = tmp_path_factory.mktemp(name)
    base = Settings.from_env()
    if not (base.rasa_venv / "bin" / "rasa").exists() or not list(base.models_dir.glob("*.tar.gz")):
        pytest.fail("the Rasa environment or model is missing: run `make setup` (make test does)")
    return dataclasses.replace(base, **{"index_dir": index_dir, "db_url": f"sqlite:///{var / 'sessions.db'}",
                                        "var_dir": var, "shops_dir": var / "shops", "action_port": free_port(),
                                        "rasa_port": free_port(), **changes})


@pytest.fixture(scope="session")
def assistant_servers(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The action server and `rasa run` (all channels of credentials.yml) on free ports on
    127.0.0.1, with a private var folder; stopped whatever happens. Yields the settings (its
    `base_url` is the Rasa server's)."""
    from assistant.servers import running

    settings = private_settings(tmp_path_factory, "assistant-var", sample_index_dir, public_url=None)
    with running(settings):
        yield settings


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
