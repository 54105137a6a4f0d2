"""Hostile input through the REST channel: the real action server and Rasa server on free ports
on 127.0.0.1, 2,000+ fuzzed requests (malformed bodies, every JSON type in every field, random
Unicode with lone surrogates and control characters, huge strings, injected intents and
entities of every type, hostile sender ids). Afterwards: no 5xx, no traceback in either log,
both servers answer, and a normal conversation still works."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from assistant.limits import MAX_MESSAGE_CHARS, REQUEST_MAX_SIZE
from assistant.servers import running, send
from conftest import private_settings


@pytest.fixture(scope="module")
def servers(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = private_settings(tmp_path_factory, "hostile", sample_index_dir)
    with running(settings) as (actions, rasa):
        yield settings, rasa.url, actions, rasa


def post(url: str, body: bytes, timeout: float = 60.0) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _random_text(rng: random.Random, n: int) -> str:
    pools = [range(0x20, 0x7F), range(0x00, 0x20), range(0xA0, 0x3000), range(0xD800, 0xE000),
             range(0x1F300, 0x1F650), range(0xFFF0, 0x10000)]
    out = []
    for _ in range(n):
        pool = rng.choice(pools)
        out.append(chr(rng.choice(pool)))
    return "".join(out)


VALUES: list[Any] = [None, True, 0, -1, 1.5e308, "", " ", "x" * 5000, [], [1, 2], {}, {"a": {"b": [None]}},
                     "<img src=x onerror=alert(1)>", "\udfff", "\x00", "../../etc/passwd"]


def hostile_bodies(rng: random.Random, n: int) -> list[bytes]:
    bodies: list[bytes] = [b"null", b"", b"[]", b"123", b'"text"', b"{", b"{\"sender\": ", b"\xff\xfe\x00",
                           b'{"sender": "a", "message": "hi"' + b" " * 10, json.dumps({"message": "hi"}).encode()]
    while len(bodies) < n:
        kind = rng.randrange(6)
        sender: Any = f"fuzz-{rng.randrange(50)}" if rng.random() < 0.6 else rng.choice(
            [_random_text(rng, rng.randrange(1, 40))] + VALUES)
        message: Any
        if kind == 0:  # random unicode
            message = _random_text(rng, rng.randrange(0, 200))
        elif kind == 1:  # injected intents with entities of every JSON type
            value = rng.choice(VALUES)
            entity = rng.choice(["attribute", "direction", "intensity", "item_id", "kind", "colour", "x" * 300])
            intent = rng.choice(["refine", "search_item", "undo", "another", "choose", "restart", "ask",
                                 "nlu_fallback", "no_such_intent"])
            message = f"/{intent}" + json.dumps({entity: value})
        elif kind == 2:  # a big message (under the request limit)
            message = rng.choice(["darker ", "x", "😀", "show me "]) * rng.randrange(1000, 12000)
        elif kind == 3:  # every JSON type as the message
            message = rng.choice(VALUES)
        elif kind == 4:  # plausible turns
            message = rng.choice(["show me a blue polo shirt", "something darker", "go back", "cheaper",
                                  "does it come in black?", "what colours does it come in?", "I'll take it",
                                  "start over", "a bit shorter, in red"])
        else:  # odd metadata and fields
            message = "hello"
        body: dict[str, Any] = {"sender": sender, "message": message}
        if kind == 5:
            body["metadata"] = rng.choice(VALUES)
            body["input_channel"] = rng.choice(VALUES)
        raw = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        bodies.append(raw)
    return bodies


def test_fuzzed_requests_get_no_5xx_and_no_traceback(servers) -> None:  # type: ignore[no-untyped-def]
    settings, url, actions, rasa = servers
    rng = random.Random(2026)
    bodies = hostile_bodies(rng, 2000)
    statuses: dict[int, int] = {}
    for body in bodies:
        status, reply = post(url, body)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, (status, body[:200], reply[:300])
        if status == 200:
            for message in json.loads(reply or b"[]"):
                # nothing the client sent comes back as markup
                assert "<img" not in json.dumps(message), (body[:200], message)
        else:
            assert status in (400, 413), (status, reply[:200])
            if status == 400:  # ours: one line naming what is wrong
                assert json.loads(reply).get("error"), reply[:200]
    assert statuses.get(200, 0) > 300 and statuses.get(400, 0) > 300, statuses  # both paths exercised
    # a body over the HTTP limit: 413, nothing read
    status, _ = post(url, json.dumps({"sender": "big", "message": "x" * (REQUEST_MAX_SIZE + 10)}).encode())
    assert status == 413
    # both servers still answer, and a normal conversation works
    for server in (actions, rasa):
        assert server.process.poll() is None, f"the {server.name} died"
    replies = send(url, "after-fuzz", "show me a blue polo shirt")
    assert any((m.get("custom") or {}).get("type") == "gradrec_item" for m in replies), replies
    for log in (actions.log_path, rasa.log_path):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, (log, text[text.find("Traceback") - 500: text.find("Traceback") + 1500])


@pytest.mark.parametrize("body, problem", [
    (b"null", "JSON object"),
    (json.dumps({"sender": "\udfff", "message": "hi"}).encode(), "'sender'"),
    (json.dumps({"sender": "x" * 129, "message": "hi"}).encode(), "'sender'"),
    (json.dumps({"sender": "ok", "message": None}).encode(), None),  # no message: an empty one
    (json.dumps({"sender": "ok", "message": 5}).encode(), "'message'"),
    (json.dumps({"sender": "ok", "message": "hi", "metadata": [1]}).encode(), "'metadata'"),
])
def test_bad_bodies_get_400_naming_the_field(servers, body: bytes, problem: str | None) -> None:  # type: ignore[no-untyped-def]
    _, url, _, _ = servers
    status, reply = post(url, body)
    if problem is None:
        assert status == 200
    else:
        assert status == 400 and problem in json.loads(reply)["error"], reply


def test_long_messages_are_cut_and_unknown_ids_not_echoed(servers) -> None:  # type: ignore[no-untyped-def]
    _, url, _, _ = servers
    replies = send(url, "long-one", "show me a blue polo shirt " + "x" * (MAX_MESSAGE_CHARS * 20))
    assert replies and all(len(m.get("text") or "") < 2000 for m in replies)
    hostile = "<img src=x onerror=alert(1)>"
    replies = send(url, "xss", '/search_item{"item_id": "' + hostile + '"}')
    assert replies and not any("<img" in json.dumps(m) for m in replies), replies
