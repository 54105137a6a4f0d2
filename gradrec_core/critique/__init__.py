"""The critique path: what a shopper says about the current item -> a typed plan -> one engine
step -> the sentence said. A lexicon and parser (`parser`), the planner (`planner`), the turn
(`turn`) and its sentences (`render`). No Rasa import; the chat's actions and `gradrec
critique` share it."""

from .planner import Plan, Question, asks_for_another_style, clean_entities, item_phrase, plan_turn
from .render import render_turn, spoken_name
from .turn import Turn, take_turn

__all__ = ["Plan", "Question", "Turn", "asks_for_another_style", "clean_entities", "item_phrase", "plan_turn", "render_turn",
           "spoken_name", "take_turn"]
