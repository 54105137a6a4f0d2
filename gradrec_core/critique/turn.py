"""One shopper turn about the current item: plan it, run it on the engine, say the answer.

The chat's refine action and `gradrec critique` both call `take_turn`, so what the command
prints is what the chat says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..engine import Engine
from ..types import AttributeValues, CritiqueStep, Item, SessionError, SessionState
from .planner import Plan, plan_turn
from .render import render_turn


@dataclass(frozen=True)
class Turn:
    plan: Plan
    before: Item  # the item the shopper was looking at
    step: CritiqueStep | None = None  # a critique's answer
    values: AttributeValues | None = None  # a question's answer
    answer: str = ""  # the sentence the chat says

    @property
    def item(self) -> Item | None:
        """The item to show now: the step's, or the unchanged current item."""
        if self.step is not None:
            return self.step.item
        return None

    def to_dict(self, text: str) -> dict[str, Any]:
        return {
            "text": text,
            "plan": self.plan.to_dict(),
            "item": self.step.item.id if self.step and self.step.item else None,
            "end_reached": bool(self.step and self.step.end_reached),
            "alternatives": [i.id for i in self.step.alternatives] if self.step else [],
            "values": [list(v) for v in self.values.values] if self.values else None,
            "answer": self.answer,
        }


def take_turn(engine: Engine, session_id: str, text: str,
              entities: Mapping[str, Any] | None = None, state: SessionState | None = None, *,
              currency: str | None = None) -> Turn:
    """Plan `text` against the session's current item and execute it. `state`: the session's
    state when the caller has just read it (else it is read here); the step itself re-reads the
    session under its lock. `currency`: the shop's, for prices in the answer."""
    if state is None or state.session_id != session_id:
        state = engine.state(session_id)
    if state is None or state.current is None:
        raise SessionError(f"no session '{session_id}': start one with an item first")
    item = state.current
    plan = plan_turn(item, text, entities, engine.index.schema, engine.categories())
    if plan.kind == "question" and plan.question is not None:
        values = None
        if plan.question.column is not None:
            values = engine.values_like(item.id, plan.question.column)
        turn = Turn(plan, item, values=values)
    elif plan.kind == "search":  # a whole new item described: a new search, the walk starts over there
        found = engine.search(plan.query, k=1, category=plan.search_kind or None) or engine.search(plan.query, k=1)
        if not found:
            turn = Turn(plan, item)
        else:
            engine.start(session_id, found[0].item.id)
            turn = Turn(plan, item, step=CritiqueStep(0, found[0].item, False, "", (), (), (), (), False, 1.0, False))
    elif plan.kind == "critique":
        turn = Turn(plan, item, step=engine.apply(session_id, list(plan.ops)))
    else:
        turn = Turn(plan, item)
    return Turn(turn.plan, turn.before, turn.step, turn.values,
                render_turn(turn.plan, item, turn.step, turn.values, engine.index.schema, currency=currency))
