"""How sure the NLU must be before an action changes the shopper's state.

"I'll take it", "go back" and "start over" cannot be taken back by the shopper in one word, so
their actions run only when the NLU's confidence in the intent is at least `MIN_CONFIDENCE`;
below it the sentence goes to the planner (`action_refine`), which decides against the shop's
schema what it asks. Dependency-free: benchmarks/nlu_heldout.py reads it from Rasa's Python.
"""

from __future__ import annotations

from typing import Any, Mapping

STATE_CHANGING = frozenset({"choose", "undo", "restart"})
MIN_CONFIDENCE = 0.8
ITEM_INTENTS = frozenset({"search_item", "refine", "ask"})  # each reaches the search or the planner


def is_sure(latest_message: Mapping[str, Any], threshold: float = MIN_CONFIDENCE) -> bool:
    """True when the message's intent confidence is at least `threshold`. A message without
    one (a button's `/intent` payload gets 1.0 from Rasa) counts as sure only when it says so."""
    intent = latest_message.get("intent") or {}
    try:
        return float(intent.get("confidence")) >= threshold
    except (TypeError, ValueError):
        return False


def about_an_item(latest_message: Mapping[str, Any], threshold: float = MIN_CONFIDENCE) -> bool:
    """For a message the FallbackClassifier set aside (`nlu_fallback`): True when the NLU's
    ranking puts an item intent first and the item intents together hold at least `threshold`,
    i.e. it was only unsure whether the sentence describes a new item or changes the shown one
    ("anything from Hijas Beauty?"), a question the planner answers against the shop's schema."""
    ranking = [r for r in latest_message.get("intent_ranking") or []
               if isinstance(r, dict) and r.get("name") != "nlu_fallback"]
    if not ranking or ranking[0].get("name") not in ITEM_INTENTS:
        return False
    try:
        return sum(float(r.get("confidence") or 0.0) for r in ranking if r.get("name") in ITEM_INTENTS) >= threshold
    except (TypeError, ValueError):
        return False
