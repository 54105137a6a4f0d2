"""End to end: the real action server and `rasa run` (its HTTP API off, as in production) on free
ports on 127.0.0.1 (the shared default pair, tests/conftest.py), a conversation through the REST
channel, items checked against the catalog's ground truth; then the action server is stopped and
started again and the conversation goes on."""

from __future__ import annotations

from typing import Any

from assistant.servers import send
from conftest import ServerPair, sender_id
from gradrec_core import load_index


def card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [m["custom"]["item"] for m in messages if (m.get("custom") or {}).get("type") == "gradrec_item"]
    assert len(cards) == 1, messages
    return cards[0]


def test_conversation_survives_an_action_server_restart(assistant_pair: ServerPair) -> None:
    index = load_index(assistant_pair.settings.index_dir)
    L = lambda c: float(index.item(c["id"]).metadata["lightness"])  # noqa: E731
    url, who = assistant_pair.url, sender_id("e2e-shopper")

    seed = card(send(url, who, "show me a blue polo shirt"))
    assert seed["category"] == "polo shirt"
    darker = send(url, who, "something darker")
    first = card(darker)
    assert any("darker" in (m.get("text") or "") for m in darker)
    assert any(m.get("image") == first["image"] for m in darker)
    even = card(send(url, who, "even darker"))
    back = card(send(url, who, "go back"))
    lighter = card(send(url, who, "a bit lighter"))
    # ground truth: lightness falls, then returns; the kind stays polo
    assert L(first) < L(seed)
    assert L(even) < L(seed)
    assert back["id"] == first["id"]
    assert L(lighter) > L(back)
    assert all(c["category"] == "polo shirt" for c in (first, even, back, lighter))

    # the action server dies mid-conversation and comes back: nothing is lost
    assistant_pair.actions.stop()
    assistant_pair.restart_actions()
    again = card(send(url, who, "go back"))
    assert again["id"] == back["id"]  # undo continued from the stored state
    other = card(send(url, who, "show me another one"))
    assert other["id"] not in {seed["id"], first["id"], even["id"], lighter["id"]}
    chosen = send(url, who, "I'll take it")
    assert any("Great choice" in (m.get("text") or "") for m in chosen)

    # the other critique kinds, each checked on the catalog's ground truth
    meta = lambda c: index.item(c["id"]).metadata  # noqa: E731
    price = lambda c: float(meta(c)["price"])  # noqa: E731
    critic = sender_id("e2e-critic")
    shoe = card(send(url, critic, "show me white low-top sneakers"))
    assert shoe["category"] == "sneakers" and meta(shoe)["hue_family"] != "black"
    black = card(send(url, critic, "does it come in black?"))  # substitution
    assert black["category"] == "sneakers" and meta(black)["hue_family"] == "black"
    cheaper = card(send(url, critic, "something cheaper"))  # structured; "in black" still holds
    assert cheaper["category"] == "sneakers" and price(cheaper) < price(black)
    assert meta(cheaper)["hue_family"] == "black"
    replies = send(url, critic, "what colours does it come in?")  # a question: no new item
    assert not any((m.get("custom") or {}).get("type") == "gradrec_item" for m in replies)
    answer = " ".join(m.get("text") or "" for m in replies)
    named = {w.strip(".,") for w in answer.lower().split()}
    families = {i.metadata["hue_family"] for i in index.items if i.category == "sneakers"}
    assert len(named & families) >= 2 and meta(cheaper)["hue_family"] in named, answer
    dress = card(send(url, critic, "show me a red maxi dress"))
    both = card(send(url, critic, "shorter, in black"))  # compound: one step, both parts
    assert both["category"] == "dress" and meta(both)["hue_family"] == "black"
    assert float(meta(both)["length"]) < float(meta(dress)["length"])

    # bad input never breaks the webhook
    newcomer = sender_id("e2e-newcomer")
    for text in ["", "x" * 5000, "😀😀😀", "something darker"]:
        replies = send(url, newcomer, text)
        assert replies and all(m.get("text") for m in replies), (text, replies)
