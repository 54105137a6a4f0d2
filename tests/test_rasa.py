"""The bot itself, with Rasa's own tools in its own environment (.venv-rasa): the training data
validates, the test stories are predicted without an error, and held-out NLU examples (never
trained on) get their intents right."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from assistant.settings import ROOT, Settings

RASA_DATA = ["data/nlu", "data/stories", "data/rules"]


@pytest.fixture(scope="module")
def rasa() -> Path:
    settings = Settings.from_env()
    binary = settings.rasa_venv / "bin" / "rasa"
    if not binary.exists() or not list(settings.models_dir.glob("*.tar.gz")):
        pytest.fail("the Rasa environment or model is missing: run `make setup` (make test does)")
    return binary


def run_rasa(rasa: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run([str(rasa), *args], cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)


def test_data_validates(rasa: Path) -> None:
    r = run_rasa(rasa, "data", "validate", "--data", *RASA_DATA)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_held_out_nlu_examples_are_not_in_training() -> None:
    def examples(path: Path) -> set[str]:
        out = set()
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip().lstrip("- ").strip()
                if text:
                    out.add(text.lower())
        return out

    trained = set().union(*(examples(p) for p in (ROOT / "data" / "nlu").glob("*.yml")))
    held_out = examples(ROOT / "tests" / "nlu_test.yml")
    assert len(held_out) >= 30
    assert not trained & held_out


def test_stories_are_predicted_without_errors(rasa: Path, tmp_path: Path) -> None:
    r = run_rasa(rasa, "test", "core", "--stories", "tests/test_stories.yml", "--model", "models",
                 "--fail-on-prediction-errors", "--out", str(tmp_path))
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.exists() else ""
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:] + detail
    assert "story_report.json" in {p.name for p in tmp_path.iterdir()}


def test_held_out_nlu_intents(rasa: Path, tmp_path: Path) -> None:
    r = run_rasa(rasa, "test", "nlu", "--nlu", "tests/nlu_test.yml", "--model", "models", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    errors_file = tmp_path / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.exists() else []
    assert report["accuracy"] == 1.0, [(e["text"], e["intent"], e["intent_prediction"]["name"]) for e in errors]


def test_lookup_tables_match_the_catalog(tmp_path: Path) -> None:
    """data/nlu/lookups is generated from the catalog's vocabulary; a changed generator
    without regenerated lookups would leave the bot blind to new kinds or colours."""
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_lookups.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("kinds.yml", "colours.yml"):
        assert (tmp_path / name).read_text() == (ROOT / "data" / "nlu" / "lookups" / name).read_text(), (
            f"{name} is stale: run scripts/make_lookups.py and retrain")
