"""Hostile input through the REST channel: the real action server and Rasa server on free ports
on 127.0.0.1 (the shared default pair, tests/conftest.py; every sender id here is this run's own), 2,000+ fuzzed requests (malformed bodies, every JSON type in every field, random
Unicode with lone surrogates and control characters, huge strings, injected intents and
entities of every type, hostile sender ids). Afterwards: no 5xx, no traceback in either log,
both servers answer, and a normal conversation still works."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from assistant.common.limits import MAX_MESSAGE_CHARS, REQUEST_MAX_SIZE
from assistant.servers import send
from conftest import post_form, sender_id, sio

RUN = sender_id("hostile")  # this run's prefix of every sender id (the servers are shared)


def who(name: str) -> str:
    return f"{RUN}-{name}"


@pytest.fixture
def servers(assistant_pair):  # type: ignore[no-untyped-def]
    """The shared default pair as (settings, Rasa's URL, action server, Rasa server)."""
    return assistant_pair.settings, assistant_pair.url, assistant_pair.actions, assistant_pair.rasa


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
        sender: Any = who(f"fuzz-{rng.randrange(50)}") if rng.random() < 0.6 else rng.choice(
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
    status, _ = post(url, json.dumps({"sender": who("big"), "message": "x" * (REQUEST_MAX_SIZE + 10)}).encode())
    assert status == 413
    # both servers still answer, and a normal conversation works
    for server in (actions, rasa):
        assert server.process.poll() is None, f"the {server.name} died"
    replies = send(url, who("after-fuzz"), "show me a blue polo shirt")
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
    replies = send(url, who("long-one"), "show me a blue polo shirt " + "x" * (MAX_MESSAGE_CHARS * 20))
    assert replies and all(len(m.get("text") or "") < 2000 for m in replies)
    hostile = "<img src=x onerror=alert(1)>"
    replies = send(url, who("xss"), '/search_item{"item_id": "' + hostile + '"}')
    assert replies and not any("<img" in json.dumps(m) for m in replies), replies


# ------------------------------------------------------------ round two (issue 19): the same servers

def _rasa_log(settings: Any) -> str:
    return (settings.var_dir / "logs" / "rasa_server.log").read_text(errors="replace")


def _events(settings: Any, sender: str) -> list[tuple[str, str]]:
    """(type, data) of a conversation's events in Rasa's SQLite tracker store, oldest first."""
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(settings.var_dir / "rasa_tracker.db")) as c:
        return c.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()


def test_nested_json_gets_400_never_a_5xx(servers) -> None:  # type: ignore[no-untyped-def]
    _, url, _, _ = servers
    for depth in (10, 100, 500, 900, 1000, 3000, 30000):
        for body in ("[" * depth + "]" * depth,
                     json.dumps({"sender": who("deep"), "message": "hi"})[:-1] + ', "metadata": {"x": '
                     + "[" * depth + "]" * depth + "}}",
                     '{"sender": "' + who("deep") + '", "message": ' + "[" * depth + "]" * depth + "}"):
            status, reply = post(url, body.encode())
            assert status in (200, 400, 413), (depth, status, reply[:300])


def test_metadata_is_kept_small_in_the_tracker_store(servers) -> None:  # type: ignore[no-untyped-def]
    settings, url, _, _ = servers
    junk = {"blob": "x" * 60_000, "nested": [{"k": "v" * 100}] * 20}
    for i in range(5):
        status, reply = post(url, json.dumps({"sender": who("meta-big"), "message": "show me a blue polo shirt",
                                              "metadata": junk}).encode())
        assert status == 200, reply[:300]
    sizes = [len(data) for _, data in _events(settings, who("meta-big"))]
    assert sizes and max(sizes) < 8_000, max(sizes)  # the 60 KB a client sent is not stored
    users = [json.loads(data) for kind, data in _events(settings, who("meta-big")) if kind == "user"]
    assert users and all("blob" not in json.dumps(u) for u in users)


def test_control_characters_in_every_field_forge_no_log_line(servers) -> None:  # type: ignore[no-untyped-def]
    settings, url, actions, _ = servers
    forged = "\nFORGED-LINE 2026 actions ERROR someone else did this\r\x1b[2K"
    send(url, who("ctl-1"), "show me a blue polo shirt")
    bodies = [
        {"sender": who("ctl-1"), "message": "/refine" + json.dumps({"attribute": "dark" + forged})},
        {"sender": who("ctl-1"), "message": "/refine" + json.dumps({"direction": forged, "intensity": forged})},
        {"sender": who("ctl-1"), "message": "/refine" + json.dumps({"colour" + forged: "black"})},  # an entity name
        {"sender": who("ctl-1"), "message": "/ask" + json.dumps({forged: forged})},
        {"sender": who("ctl-1"), "message": '/refine{"attribute": "dark' + forged + '"}'},  # raw, in the JSON
        {"sender": who("ctl-1"), "message": '/refine{"colour' + forged + '": "black"}'},
        {"sender": who("ctl-1"), "message": "darker" + forged},
        {"sender": who("ctl") + forged, "message": "hi"},
        {"sender": who("ctl-1"), "message": "hi", "metadata": {"shop": forged}},
        {"sender": who("ctl-1"), "message": "hi", "metadata": {"item": forged}},
        {"sender": who("ctl-1"), "message": "/search_item" + json.dumps({"item_id": forged})},
    ]
    for body in bodies:
        status, reply = post(url, json.dumps(body).encode())
        assert status in (200, 400), (body, status, reply[:300])
    for log in (actions.log_path, settings.var_dir / "logs" / "rasa_server.log"):
        lines = log.read_text(errors="replace").splitlines()
        assert not [line for line in lines if line.startswith("FORGED-LINE")], log


def test_the_voice_webhook_checks_the_caller_id(servers) -> None:  # type: ignore[no-untyped-def]
    settings, url, _, _ = servers
    hook = f"{url}/webhooks/twilio_voice/webhook"
    for caller in ("", "x" * 5000, "+1500\x00555", "shopa:sec-v", "a b"):
        status, body = post_form(hook, {"From": caller, "SpeechResult": "something darker", "CallSid": "CA0"})
        assert status == 400 and "'From'" in body, (caller[:20], status, body)
    status, body = post_form(hook, {"SpeechResult": "hello", "CallSid": "CA0"})  # no caller id at all
    assert status == 400 and "'From'" in body, body
    caller = "+1" + str(uuid.uuid4().int)[:10]  # this run's own caller
    status, body = post_form(hook, {"From": caller, "SpeechResult": "show me a blue polo shirt",
                                    "CallSid": "CA0"})
    assert status == 200 and "<Say" in body, body


def test_the_action_server_answers_http_errors_with_their_status(servers) -> None:  # type: ignore[no-untyped-def]
    _, _, actions, _ = servers
    request = urllib.request.Request(f"{actions.url}/health", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code == 405
    assert "Traceback" not in actions.log_path.read_text(errors="replace")


def _upgrade(url: str, origin: str | None) -> int:
    """The status of a websocket upgrade of the socket.io endpoint from `origin`."""
    import http.client
    from urllib.parse import urlsplit

    address = urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    if origin:
        headers["Origin"] = origin
    try:
        conn.request("GET", "/socket.io/?EIO=4&transport=websocket", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_socketio_takes_only_its_own_origin(servers) -> None:  # type: ignore[no-untyped-def]
    settings, url, _, _ = servers
    assert _upgrade(url, "http://evil.example") == 400
    assert _upgrade(url, url) == 101  # the chat page's own origin (GRADREC_CORS_ORIGINS unset)
    assert _upgrade(url, None) == 101  # not a browser: no Origin to check


def test_socketio_session_ids_are_made_here_and_bound_to_their_socket(servers) -> None:  # type: ignore[no-untyped-def]
    settings, _, _, _ = servers
    got = sio(settings, [
        {"name": "alice", "session_id": "alice-web", "delay": 2, "listen": 4, "messages": [
            {"message": "show me a red dress"}]},
        {"name": "eve", "session_id": "alice-web", "listen": 12, "messages": [
            {"message": "start over", "session_id": "alice-web"}]},
    ])
    alice, eve = got["alice#session"], got["eve#session"]
    assert alice != "alice-web" and eve != "alice-web" and alice != eve  # ids a client chose are not taken
    assert len(alice) == 64 and all(c in "0123456789abcdef" for c in alice)
    cards = [m for m in got["alice"] if isinstance(m, dict) and (m.get("attachment") or {}).get("payload")]
    assert cards and cards[0]["gradrec_item"], got  # the card names its item for the page to send back
    assert [m.get("text") for m in got["eve"]] == [
        "Sorry, I can't take that message: 'session_id' is not the session this socket was given."], got["eve"]
    # a reloaded page (a new socket) sending the id it was given continues that conversation;
    # another socket naming it in a message is refused
    again = sio(settings, [{"name": "alice", "session_id": alice, "messages": [{"message": "something darker"}]}])
    assert again["alice#session"] == alice
    assert any((m.get("attachment") or {}).get("payload") for m in again["alice"] if isinstance(m, dict)), again


def test_socketio_payloads_of_every_type_get_a_sentence(servers) -> None:  # type: ignore[no-untyped-def]
    settings, _, actions, _ = servers
    payloads: list[Any] = [{"emit": "user_uttered"}, {"emit": "session_request"}, {"raw": None}, {"raw": True},
                           {"raw": 3}, {"raw": "text"}, {"raw": [1, {"a": None}]}, {"raw": {}},
                           {"message": 5}, {"message": "hi", "customData": "not json"},
                           {"message": "hi", "customData": [1]}, {"message": "hi", "customData": {"shop": "\n"}},
                           {"message": "hi", "customData": {"item": {"id": 1}}}]
    got = sio(settings, [{"name": "fuzz", "messages": payloads}])["fuzz"]
    texts = [m.get("text", "") for m in got if isinstance(m, dict)]
    assert not any(m.get("timeout") for m in got if isinstance(m, dict)), got  # every event got an answer
    assert sum(t.startswith("Sorry, I can't take that message") for t in texts) == 11, texts
    assert "Sorry, I can't take that message: the event must be an object, not NoneType." in texts
    for log in (actions.log_path, settings.var_dir / "logs" / "rasa_server.log"):
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, (log, text[text.find("Traceback") - 300: text.find("Traceback") + 1500])


def websocket_replies(url: str, frames: list[str], wait: float = 15.0) -> list[Any]:
    """Socket.io frames sent over a websocket (engine.io 4), raw: each one's first bot_uttered
    payload, or None when none came within `wait` seconds."""
    import time

    from websockets.sync.client import connect

    replies: list[Any] = []
    with connect(url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket", max_size=None,
                 open_timeout=30) as ws:
        assert str(ws.recv(timeout=30)).startswith("0")  # engine.io's open packet
        ws.send("40")  # socket.io: connect to the default namespace
        assert str(ws.recv(timeout=30)).startswith("40")
        for frame in frames:
            ws.send(frame)
            reply, deadline = None, time.monotonic() + wait
            while reply is None and time.monotonic() < deadline:
                try:
                    packet = str(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                except TimeoutError:
                    break
                if packet == "2":
                    ws.send("3")  # engine.io ping / pong
                elif packet.startswith("42") and json.loads(packet[2:])[0] == "bot_uttered":
                    reply = json.loads(packet[2:])[1]
            replies.append(reply)
    return replies


def test_socketio_over_a_websocket_refuses_big_and_empty_events(servers) -> None:  # type: ignore[no-untyped-def]
    _, url, _, _ = servers
    event = {"message": "x", "customData": {"blob": "y" * 70_000}}
    replies = websocket_replies(url, ['42["user_uttered"]', "42" + json.dumps(["user_uttered", event]),
                                      '42["user_uttered",{"message":"hi"}]'])
    assert replies == [
        {"text": "Sorry, I can't take that message: the event must be an object, not NoneType."},
        {"text": f"Sorry, I can't take that message: the event has {len(json.dumps(event))} bytes; at most "
                 f"{REQUEST_MAX_SIZE} are taken."},
        {"text": "Sorry, I can't take that message: this socket has no session: send a session_request first."},
    ], replies


def test_a_reply_starts_from_the_item_the_client_shows(servers) -> None:  # type: ignore[no-untyped-def]
    """A client whose connection dropped mid-turn never saw that turn's item: the item it shows
    (`metadata.item`) is where the next turn starts."""
    _, url, _, _ = servers

    def turn(message: str, shows: str | None = None) -> str:
        body: dict[str, Any] = {"sender": who("dropped"), "message": message}
        if shows:
            body["metadata"] = {"item": shows}
        status, reply = post(url, json.dumps(body).encode())
        found = [m["custom"]["item"]["id"] for m in json.loads(reply) if (m.get("custom") or {}).get("item")]
        assert status == 200 and found, reply[:300]
        return found[-1]

    first = turn("show me a blue polo shirt")
    seen = turn("something darker", first)
    never_seen = turn("something darker", seen)  # saved, but the reply never reached the shopper
    assert len({first, seen, never_seen}) == 3
    assert turn("go back", seen) == first  # back from what the shopper saw, not from the lost item


def test_a_failed_action_gets_a_sentence_and_the_turn_is_taken_back(servers, assistant_pair) -> None:  # type: ignore[no-untyped-def]
    """It stops the shared action server, and starts it again whatever happens."""
    settings, url, actions, _ = servers
    assert any((m.get("custom") or {}).get("item") for m in send(url, who("fails"), "show me a blue polo shirt"))
    actions.stop()  # the action server is gone (killed, restarting)
    try:
        replies = send(url, who("fails"), "something darker")
    finally:
        assistant_pair.restart_actions()
    assert [m.get("text") for m in replies] == ["Sorry, something went wrong; say that again?"], replies
    kinds = [kind for kind, _ in _events(settings, who("fails"))]
    # the user's turn is taken back ("rewind"): the conversation does not count it as answered
    assert kinds[-4:] == ["action", "rewind", "bot", "followup"] or kinds[-5:-1] == ["action", "rewind", "bot",
                                                                                       "followup"], kinds[-8:]
    log = _rasa_log(settings)
    assert f"the action server did not run action_refine for {who('fails')}" in log
    assert "Traceback" not in log, log[log.find("Traceback") - 300: log.find("Traceback") + 1500]
