"""The NLU on a vocabulary it was never trained on (issue 18): the templated training data and the
held-out set are what scripts/make_nlu_data.py writes; no training example names a held-out kind
or brand; the trained model gets >= 95% of the held-out intents right and never fires "I'll take
it", "go back" or "start over" on a sentence that names an item (the issue's misfires included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import ROOT, Settings

sys.path.insert(0, str(ROOT / "scripts"))
import make_nlu_data as G  # noqa: E402

from benchmarks.nlu_heldout import ITEM_INTENTS, examples  # noqa: E402


def training_texts() -> list[str]:
    return [t for p in sorted((ROOT / "data" / "nlu").rglob("*.yml")) for _, t in examples(p)]


def test_generated_files_are_current(tmp_path: Path) -> None:
    """Deterministic: the generator writes exactly the committed training and held-out files."""
    G.main(["--train-out", str(tmp_path / "t.yml"), "--heldout-out", str(tmp_path / "h.yml")])
    assert (tmp_path / "t.yml").read_text() == G.TRAIN_OUT.read_text(), "run scripts/make_nlu_data.py and retrain"
    assert (tmp_path / "h.yml").read_text() == G.HELDOUT_OUT.read_text(), "run scripts/make_nlu_data.py"


def test_heldout_vocabulary_is_in_no_training_example() -> None:
    held = G.Vocabulary(held_out=True)
    train = G.Vocabulary(held_out=False)
    assert len(held.kinds) >= 50 and len(held.brands) >= 80 and len(train.kinds) >= 200 and len(train.brands) >= 300
    assert not set(held.kinds) & set(train.kinds) and not set(held.brands) & set(train.brands)
    texts = training_texts()
    assert len(texts) >= 2000
    named = [(t, m.group(0)) for t in texts for m in [held.held_out_pattern.search(t)] if m]
    assert not named, f"training examples naming a held-out kind or brand: {named[:10]}"
    heldout = examples(G.HELDOUT_OUT)
    assert not {t.lower() for _, t in heldout} & {t.lower() for t in texts}
    # the held-out item sentences do name held-out words (else the test would measure nothing new)
    items = [t for intent, t in heldout if intent in ITEM_INTENTS]
    unseen = [t for t in items if held.held_out_pattern.search(t)]
    assert len(items) >= 300 and len(unseen) >= 0.6 * len(items), (len(unseen), len(items))
    for intent, text in G.MISFIRES:
        assert any(t.startswith(text.split("{")[0]) for i, t in heldout if i == intent), text


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings.from_env()
    python = settings.rasa_venv / "bin" / "python"
    if not python.exists() or not list(settings.models_dir.glob("*.tar.gz")):
        pytest.fail("the Rasa environment or model is missing: run `make setup` (make test does)")
    out = tmp_path_factory.mktemp("nlu") / "heldout.json"
    r = subprocess.run([str(python), str(ROOT / "benchmarks" / "nlu_heldout.py"), "--models",
                        str(settings.models_dir), "--json", str(out), "--no-save"],
                       capture_output=True, text=True, timeout=900, env={"RASA_TELEMETRY_ENABLED": "false",
                                                                         "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    result["printed"] = r.stdout
    return result


def test_heldout_intent_accuracy(parsed: dict[str, Any]) -> None:
    """Issue 18's target: >= 0.95 of the held-out intents; and every sentence naming an item but
    a few reaches the search or the planner."""
    assert parsed["examples"] >= 450
    assert parsed["accuracy"] >= 0.95, parsed["printed"]
    assert parsed["items_to_item_intents"] >= 0.98, parsed["printed"]


def test_no_state_change_on_a_sentence_naming_an_item(parsed: dict[str, Any]) -> None:
    assert parsed["state_changing_fired_on_items"] == 0, parsed["state_changing_examples"]


def test_the_issues_misfires(parsed: dict[str, Any]) -> None:
    """Each sentence the issue saw misfire reaches the search or the planner now."""
    misses = {m["text"]: m["predicted"] for m in parsed["misses"]}
    for intent, text in G.MISFIRES:
        said = next(t for i, t in examples(G.HELDOUT_OUT) if i == intent and t.startswith(text.split("{")[0]))
        assert misses.get(said, intent) in ITEM_INTENTS, (said, misses.get(said))
