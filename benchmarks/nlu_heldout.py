"""The NLU on words it has never seen: intent accuracy and confusion on tests/nlu_heldout.yml.

    python benchmarks/nlu_heldout.py                 # prints the table, writes docs/results/nlu_heldout.json
    python benchmarks/nlu_heldout.py --json out.json # (tests/test_nlu_heldout.py) also writes the numbers there
    python benchmarks/nlu_heldout.py --baseline-models DIR   # and another model (an older one) in the same run

The held-out set (scripts/make_nlu_data.py, another seed) names kinds and brands no training
example contains, uses control phrasings no training example has, and holds the misfires issue 18
reported. Each sentence is parsed by the trained model (models/, Rasa's own Python API); measured:
intent accuracy, the confusion, and how often a state-changing intent (choose / undo / restart)
is predicted on a sentence that names an item, and how often it would fire (at or above
actions/confidence.py's threshold; below it the action hands the sentence to the planner).
Runs under Rasa's Python (.venv-rasa); started with another Python, it re-runs itself there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO / "tests" / "nlu_heldout.yml"
ITEM_INTENTS = ("search_item", "refine", "ask")  # sentences that name an item: all reach search or the planner
_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of a Rasa NLU file, entity markup removed ("[darker](attribute)" -> "darker")."""
    import yaml

    out = []
    for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            text = _MARKUP.sub(r"\1", line.strip()[2:].strip()) if line.strip().startswith("- ") else ""
            if text:
                out.append((str(block["intent"]), text))
    return out


def _model(models: Path) -> Path:
    found = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"no trained model in {models}: train one first (see docs/chat.md, 'The bot')")
    return found[-1]


def evaluate(model: Path, data: list[tuple[str, str]]) -> dict[str, Any]:
    """Parse every sentence with the model; the numbers and the misses."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # no debug line per parsed message
    logging.disable(logging.WARNING)

    sys.path.insert(0, str(REPO))
    from actions.confidence import MIN_CONFIDENCE, STATE_CHANGING, about_an_item
    from assistant.rasa.main import install_model_load

    install_model_load()  # the model loaded as the served Rasa loads it (same parses, less CPU)
    started = time.perf_counter()
    agent = Agent.load(str(model))
    loaded = time.perf_counter()

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for _, text in data]

    parsed = asyncio.run(parse_all())
    done = time.perf_counter()
    confusion: Counter[tuple[str, str]] = Counter()
    misses, state_predicted, state_fired = [], [], []
    to_items = 0  # sentences naming an item that reach the search or the planner
    for (want, text), p in zip(data, parsed):
        got = (p.get("intent") or {}).get("name") or "nlu_fallback"
        conf = float((p.get("intent") or {}).get("confidence") or 0.0)
        confusion[(want, got)] += 1
        if got != want:
            misses.append({"text": text, "intent": want, "predicted": got, "confidence": round(conf, 3)})
        if want in ITEM_INTENTS and (got in ITEM_INTENTS or (got == "nlu_fallback" and about_an_item(p))):
            to_items += 1
        if want in ITEM_INTENTS and got in STATE_CHANGING:
            state_predicted.append(text)
            if conf >= MIN_CONFIDENCE:
                state_fired.append(text)
    n = len(data)
    items = sum(1 for want, _ in data if want in ITEM_INTENTS)
    # the action each sentence reaches: refine and ask both reach action_refine (the planner)
    route = {"ask": "refine"}
    routed = sum(c for (w, g), c in confusion.items() if route.get(w, w) == route.get(g, g))
    return {
        "model": model.name,
        "examples": n,
        "item_sentences": items,
        "accuracy": round(sum(c for (w, g), c in confusion.items() if w == g) / n, 4),
        "action_accuracy": round(routed / n, 4),
        # a sentence naming an item reaches the search or the planner: an item intent, or the
        # fallback unsure only between item intents (action_nlu_fallback hands it to the planner)
        "items_to_item_intents": round(to_items / max(items, 1), 4),
        "state_changing_predicted_on_items": len(state_predicted),
        "state_changing_fired_on_items": len(state_fired),
        "state_changing_examples": state_predicted,
        "min_confidence": MIN_CONFIDENCE,
        "confusion": [[w, g, c] for (w, g), c in sorted(confusion.items())],
        "misses": misses,
        "load_s": round(loaded - started, 2),
        "parse_ms_per_sentence": round((done - loaded) * 1000 / max(n, 1), 2),
    }


def render(r: dict[str, Any]) -> str:
    intents = sorted({w for w, _, _ in r["confusion"]} | {g for _, g, _ in r["confusion"]})
    cell = {(w, g): c for w, g, c in r["confusion"]}
    wanted = sorted({w for w, _, _ in r["confusion"]})
    lines = [f"held-out NLU ({r['examples']} sentences, {r['item_sentences']} naming an item; model {r['model']})",
             f"intent accuracy {r['accuracy']:.3f}; action accuracy {r['action_accuracy']:.3f} (refine = ask); "
             f"sentences naming an item that reach the search or the planner {r['items_to_item_intents']:.3f}",
             f"state-changing intent on a sentence naming an item: predicted {r['state_changing_predicted_on_items']},"
             f" fired (confidence >= {r['min_confidence']}) {r['state_changing_fired_on_items']}",
             "", "confusion (rows: labelled, columns: predicted)",
             "| labelled | " + " | ".join(intents) + " |", "|---" * (len(intents) + 1) + "|"]
    for w in wanted:
        lines.append(f"| {w} | " + " | ".join(str(cell.get((w, g), "")) for g in intents) + " |")
    base = r.get("baseline")
    if base:
        lines[3:3] = [f"baseline model ({base['model']} in {base['models_dir']}): intent accuracy {base['accuracy']:.3f};"
                      f" naming an item, to search or the planner {base['items_to_item_intents']:.3f};"
                      f" state-changing intent on a sentence naming an item: predicted "
                      f"{base['state_changing_predicted_on_items']}, fired {base['state_changing_fired_on_items']}"]
    if r["misses"]:
        lines += ["", "misses:"] + [f"  {m['intent']} -> {m['predicted']} ({m['confidence']}): {m['text']}"
                                    for m in r["misses"]]
    return "\n".join(lines)


def _rasa_python() -> Path:
    return REPO / os.environ.get("GRADREC_RASA_VENV", ".venv-rasa") / "bin" / "python"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=REPO / "models")
    ap.add_argument("--data", type=Path, default=HELDOUT)
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    ap.add_argument("--baseline-models", type=Path, default=None,
                    help="a folder with another model (e.g. one trained from an older commit) parsed in the same run")
    ap.add_argument("--no-save", action="store_true", help="do not write docs/results/nlu_heldout.json")
    args = ap.parse_args(argv)
    try:
        import rasa  # noqa: F401
    except ImportError:  # the project's Python: run again with Rasa's
        r = subprocess.run([str(_rasa_python()), __file__, *(argv if argv is not None else sys.argv[1:])])
        if r.returncode:
            raise SystemExit(r.returncode)
        return
    data = examples(args.data)
    result = evaluate(_model(args.models), data)
    if args.baseline_models:
        base = evaluate(_model(args.baseline_models), data)
        result["baseline"] = {**{k: v for k, v in base.items() if k not in ("misses", "confusion")},
                              "models_dir": args.baseline_models.name}
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if not args.no_save:
        folder = REPO / "docs" / "results"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nlu_heldout.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
