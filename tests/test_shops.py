"""Many shops, one deployment; signed sender ids.

The gate (assistant/common/gate.py) decides every message's conversation: `<shop>:<sender>` for a shop of
the deployment, the sender alone for the default catalog; with a secret, only the sender a token
was signed for. Checked at the gate, in the actions (each shop's engine, images and sessions) and
through both servers (REST and socket.io), with the sample catalog and a second catalog made here
(other columns, other ids, its own images), added while the servers run.
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import random
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest

from assistant.common.gate import Gate, Refused, split
from assistant.servers import send
from assistant.settings import Settings
from conftest import ROOT, post_form, sender_id, sio

SECRET = "tests-only-secret-" + "0123456789abcdef" * 2
COLOURS = {"red": (200, 30, 30), "black": (15, 15, 15), "green": (30, 150, 60), "white": (245, 245, 245)}


def make_shop(folder: Path, n: int = 60) -> Path:
    """A second shop's catalog and index: hoodies and boots, columns sku/title/category/colour/
    fabric/cost, a PNG per item (a swatch of its colour). Returns the index folder."""
    from PIL import Image

    from gradrec_core import CatalogSpec, index_catalog

    rng = random.Random(11)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        category = ["hoodie", "boots"][i % 2]
        colour = rng.choice(sorted(COLOURS))
        fabric = rng.choice(["cotton", "wool"]) if category == "hoodie" else rng.choice(["leather", "suede"])
        image = folder / "images" / f"S{i:04d}.png"
        Image.new("RGB", (24, 24), COLOURS[colour]).save(image)
        rows.append({"sku": f"S{i:04d}", "title": f"{colour.title()} {fabric} {category}", "category": category,
                     "colour": colour, "fabric": fabric, "cost": round(rng.uniform(20, 200), 2),
                     "image": str(image)})
    with open(folder / "shop.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    staging = folder / "index"
    index_catalog(folder / "shop.csv", staging, CatalogSpec(
        id_column="sku", text_columns=("title",), category_column="category", image_column="image",
        numeric_columns=("cost",), attribute_columns=("colour", "fabric")))
    return staging


def catalog(index_dir: Path) -> dict[str, dict[str, Any]]:
    from gradrec_core import load_index

    return {item.id: item.to_dict() for item in load_index(index_dir).items}


# ------------------------------------------------------------------------------------ the gate


def test_the_gate_routes_shops_and_refuses_what_it_cannot(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "manifest.json").write_text("{}")
    gate = Gate(tmp_path)
    assert gate.admit("bob", None).conversation_id == "bob"
    assert gate.admit("bob", {}).conversation_id == "bob"
    a = gate.admit("bob", {"shop": "acme", "language": "en"})
    assert (a.conversation_id, a.sender, a.shop) == ("acme:bob", "bob", "acme")
    assert split(a.conversation_id) == ("acme", "bob") and split("bob") == (None, "bob")
    for sender, metadata, status, words in [
        ("acme:bob", None, 400, "may not contain ':'"),   # else a client reaches acme's bob without the shop
        ("bob", {"shop": "nowhere"}, 404, "no shop named 'nowhere'"),
        ("bob", {"shop": "../acme"}, 400, "'metadata.shop' must be"),
        ("bob", {"shop": "ACME"}, 400, "'metadata.shop' must be"),
        ("bob", {"shop": 7}, 400, "'metadata.shop' must be a string"),
        ("bob", [], 400, "'metadata' must be a JSON object"),
        (None, None, 400, "'sender' must be a string"),
        ("b o b", None, 400, "position 1"),
        ("x" * 129, None, 400, "1 to 128 characters"),
    ]:
        with pytest.raises(Refused) as refused:
            gate.admit(sender, metadata)
        assert refused.value.status == status and words in refused.value.reason, (sender, refused.value.reason)
    (tmp_path / "late").mkdir()
    (tmp_path / "late" / "manifest.json").write_text("{}")
    assert gate.admit("bob", {"shop": "late"}).conversation_id == "late:bob"  # no restart, no cache


def test_signed_sender_ids(tmp_path: Path) -> None:
    (tmp_path / "acme" ).mkdir()
    (tmp_path / "acme" / "manifest.json").write_text("{}")
    gate = Gate(tmp_path, SECRET)
    token = gate.mint("alice")
    assert gate.admit(None, None, token).conversation_id == "alice"
    assert gate.admit("alice", {"shop": "acme"}, token).conversation_id == "acme:alice"
    in_acme = gate.mint("alice", "acme")
    assert gate.admit(None, None, in_acme).conversation_id == "acme:alice"  # the claim names the shop
    forged = jwt.encode({"sub": "alice"}, "another-secret-" * 3, algorithm="HS256")
    expired = jwt.encode({"sub": "alice", "exp": int(time.time()) - 10}, SECRET, algorithm="HS256")
    unsigned = jwt.encode({"sub": "alice"}, None, algorithm="none")
    no_sub = jwt.encode({"shop": "acme", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    no_exp = jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256")  # would be accepted forever
    for sender, metadata, tok, status, words in [
        ("alice", None, no_exp, 401, "no 'exp' claim"),
        (None, {"item": ["x"]}, token, 400, "'metadata.item' must be a string"),
        (None, {"item": "a\nb"}, token, 400, "'metadata.item' has a control"),
        ("alice", None, None, 401, "a signed token is required"),
        ("alice", None, forged, 401, "InvalidSignatureError"),
        ("alice", None, expired, 401, "expired"),
        ("alice", None, unsigned, 401, "not valid"),
        (None, None, no_sub, 401, "no 'sub' claim"),
        ("bob", None, token, 403, "'sender' is not the sender the token was signed for"),
        (None, {"shop": "other"}, in_acme, 403, "not the shop the token was signed for"),
        (None, {"shop": "nowhere"}, token, 404, "no shop named"),
    ]:
        with pytest.raises(Refused) as refused:
            gate.admit(sender, metadata, tok)
        assert refused.value.status == status and words in refused.value.reason, refused.value.reason
    with pytest.raises(ValueError, match="may not contain"):
        gate.mint("a:b")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Gate.from_env({"GRADREC_JWT_SECRET": "short"})
    with pytest.raises(ValueError, match="not set"):
        Gate(tmp_path).mint("alice")
    for ttl in (0, -5, float("inf"), 31 * 24 * 3600):  # every token minted here expires, within 30 days
        with pytest.raises(ValueError, match="lifetime"):
            gate.mint("alice", ttl=ttl)
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["exp"] - time.time() == pytest.approx(3600, abs=5)


def test_the_token_command_mints_what_the_gate_accepts(tmp_path: Path) -> None:
    import os
    import sys

    env = {**os.environ, "GRADREC_JWT_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "token", "--sender", "alice", "--ttl", "60"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert Gate(tmp_path, SECRET).admit(None, None, r.stdout.strip()).sender == "alice"
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "token", "--sender", "al:ice"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and "may not contain ':'" in r.stderr
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "token", "--sender", "alice", "--ttl", "0"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and "lifetime must be more than 0" in r.stderr


# --------------------------------------------------------------------------------- the actions


def test_actions_use_the_conversations_shop(sample_index_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions import shop
    from actions.actions import ActionRefine, ActionSearchItem, ActionUndo
    from test_actions import tracker

    make_shop(tmp_path / "src")
    (tmp_path / "shops").mkdir()
    (tmp_path / "src" / "index").rename(tmp_path / "shops" / "outdoor")
    monkeypatch.setenv("GRADREC_INDEX", str(sample_index_dir))
    monkeypatch.setenv("GRADREC_SHOPS", str(tmp_path / "shops"))
    monkeypatch.setenv("GRADREC_DB_URL", f"sqlite:///{tmp_path / 'sessions.db'}")
    monkeypatch.setenv("GRADREC_PUBLIC_URL", "http://shop.example")
    shop.reset_engine()
    outdoor, sample = catalog(tmp_path / "shops" / "outdoor"), catalog(sample_index_dir)
    domain: dict[str, Any] = {}

    def say(action: Any, sender: str, text: str, intent: str, **kw: Any) -> dict[str, Any]:
        d = CollectingDispatcher()
        action.run(d, tracker(text, intent, sender, **kw), domain)
        [message] = [m for m in d.messages if (m.get("custom") or {}).get("item")]
        return message

    try:
        a = say(ActionSearchItem(), "outdoor:bob", "show me a red hoodie", "search_item")
        b = say(ActionSearchItem(), "bob", "show me a blue polo shirt", "search_item")
        ida, idb = a["custom"]["item"]["id"], b["custom"]["item"]["id"]
        assert ida in outdoor and idb in sample
        assert outdoor[ida]["category"] == "hoodie" and outdoor[ida]["metadata"]["colour"] == "red"
        assert a["image"] == f"http://shop.example/images/outdoor/{ida}"
        assert b["image"] == f"http://shop.example/images/{idb}"
        black = say(ActionRefine(), "outdoor:bob", "does it come in black?", "refine",
                    slots={"current_item": ida})["custom"]["item"]["id"]
        assert outdoor[black]["metadata"]["colour"] == "black" and outdoor[black]["category"] == "hoodie"
        back = say(ActionUndo(), "outdoor:bob", "go back", "undo", slots={"current_item": black})
        assert back["custom"]["item"]["id"] == ida
        # the same sender in the default catalog kept its own walk
        back = say(ActionRefine(), "bob", "something darker", "refine", slots={"current_item": idb})
        assert back["custom"]["item"]["id"] in sample
        d = CollectingDispatcher()
        ActionSearchItem().run(d, tracker("show me a hat", "search_item", "gone:bob"), domain)
        assert "this shop (gone) has no catalog here" in d.messages[0]["text"]
        # a shop whose index cannot be opened: the shopper gets a sentence, the log the path
        (tmp_path / "shops" / "broken").mkdir()
        (tmp_path / "shops" / "broken" / "manifest.json").write_text("{}")
        d = CollectingDispatcher()
        with caplog.at_level("ERROR", logger="actions"):
            ActionSearchItem().run(d, tracker("show me a hat", "search_item", "broken:bob"), domain)
        [text] = [m["text"] for m in d.messages]
        assert text.startswith("Sorry, I can't look at the catalog right now") and str(tmp_path) not in text, text
        assert str(tmp_path / "shops" / "broken") in caplog.text, caplog.text
    finally:
        shop.reset_engine()


# ------------------------------------------------------------------------- through the servers


def post(settings: Settings, body: Any, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{settings.base_url}/webhooks/rest/webhook",
                                     data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def item_id(messages: list[dict[str, Any]]) -> str | None:
    found = [m["custom"]["item"]["id"] for m in messages if (m.get("custom") or {}).get("item")]
    return found[-1] if found else None


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.rasa
@pytest.mark.slow
def test_two_shops_in_one_deployment(assistant_servers: Settings, sample_index_dir: Path,
                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    s = assistant_servers  # the shared servers (tests/conftest.py); their shops folder is private
    # a shop added while the servers run: its index folder appears under GRADREC_SHOPS
    status, body = post(s, {"sender": sender_id("alice"), "message": "show me a red hoodie",
                            "metadata": {"shop": "outdoor"}})
    assert (status, body) == (404, {"error": "no shop named 'outdoor' in this deployment"})
    staging = make_shop(tmp_path_factory.mktemp("outdoor-src"))
    s.shops_dir.mkdir(parents=True, exist_ok=True)
    staging.rename(s.shops_dir / "outdoor")
    outdoor, sample = catalog(s.shops_dir / "outdoor"), catalog(sample_index_dir)
    assert not set(outdoor) & set(sample)

    def in_outdoor(sender: str, text: str) -> str:
        status, messages = post(s, {"sender": sender, "message": text, "metadata": {"shop": "outdoor"}})
        assert status == 200, messages
        found = item_id(messages)
        assert found in outdoor, (sender, text, messages)
        return found

    def in_sample(sender: str, text: str) -> str:
        status, messages = post(s, {"sender": sender, "message": text})
        assert status == 200, messages
        found = item_id(messages)
        assert found in sample, (sender, text, messages)
        return found

    def shopper(n: int) -> None:
        """One sender in both shops at once, turns interleaved: neither walk sees the other's items."""
        who = sender_id(f"shopper{n}")
        hoodie = in_outdoor(who, "show me a red hoodie")
        polo = in_sample(who, "show me a blue polo shirt")
        assert outdoor[hoodie]["category"] == "hoodie"
        black = in_outdoor(who, "does it come in black?")
        assert outdoor[black]["metadata"]["colour"] == "black" and outdoor[black]["category"] == "hoodie"
        darker = in_sample(who, "something darker")
        assert sample[darker]["category"] == sample[polo]["category"]
        assert in_outdoor(who, "go back") == hoodie
        assert in_sample(who, "go back") == polo

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        for f in [pool.submit(shopper, n) for n in range(6)]:
            f.result()

    # the shop's images, by the URL its cards carry; the default catalog's ids are not in it
    status, messages = post(s, {"sender": sender_id("img"), "message": "show me a green hoodie",
                                "metadata": {"shop": "outdoor"}})
    found = item_id(messages)
    image = next(m["image"] for m in messages if m.get("image"))
    assert image == f"{s.base_url}/images/outdoor/{found}"
    status, png = get(image)
    assert status == 200 and png.startswith(b"\x89PNG")
    assert get(f"{s.base_url}/images/outdoor/{next(iter(sample))}")[0] == 404
    assert get(f"{s.base_url}/images/nowhere/{found}")[0] == 404
    assert get(f"{s.base_url}/images/{found}")[0] == 404  # not in the default catalog

    # the widget names the shop in customData; a bad one gets a sentence saying why
    got = sio(s, [{"name": "w", "messages": [
        {"message": "show me a white hoodie", "customData": {"shop": "outdoor"}},
        {"message": "show me a white hoodie", "customData": {"shop": "no such"}},
        {"raw": "not an object"},
    ]}])["w"]
    cards = [e for m in got if isinstance(m, dict) for e in (m.get("attachment") or {}).get("payload", {}).get("elements", [])]
    assert cards and all(c["image_url"].startswith(f"{s.base_url}/images/outdoor/S") for c in cards), got
    texts = [m.get("text", "") for m in got if isinstance(m, dict)]
    assert any("'metadata.shop' must be" in t for t in texts), texts
    assert any("the event must be an object" in t for t in texts), texts

    log = (s.var_dir / "logs" / "rasa_server.log").read_text(errors="replace")
    assert "Traceback" not in log


@pytest.fixture(scope="module")
def signed_servers(server_pool: Any, sample_index_dir: Path) -> Settings:
    """Both servers taking only signed senders (a pair of their own settings, tests/conftest.py)."""
    return server_pool.get(sample_index_dir, public_url=None, jwt_secret=SECRET).settings  # type: ignore[no-any-return]


@pytest.mark.rasa
@pytest.mark.slow
def test_only_signed_senders_get_in(signed_servers: Settings) -> None:
    s = signed_servers
    gate = Gate(s.shops_dir, SECRET)
    alice, mallory = gate.mint("alice"), gate.mint("mallory")
    status, messages = post(s, {"message": "show me a blue polo shirt"}, alice)
    assert status == 200 and item_id(messages), messages
    first = item_id(messages)
    assert messages[0]["recipient_id"] == "alice"
    for body, token, status_wanted in [
        ({"sender": "alice", "message": "/restart"}, None, 401),        # no token: nobody's conversation
        ({"sender": "alice", "message": "/restart"}, mallory, 403),     # mallory's token, alice's id
        ({"message": "/restart"}, jwt.encode({"sub": "alice"}, "x" * 40, algorithm="HS256"), 401),
    ]:
        status, reply = post(s, body, token)
        assert status == status_wanted, (body, reply)
        assert "error" in reply and "Traceback" not in json.dumps(reply)
    # the voice webhook is the same gate: without the Twilio signature (no
    # GRADREC_TWILIO_AUTH_TOKEN here) it takes no call at all, whoever it claims to be from
    for caller in ("alice", "acme:alice", "+15005550009"):
        status, reply = post_form(f"{s.base_url}/webhooks/twilio_voice/webhook",
                                  {"From": caller, "SpeechResult": "start over", "CallSid": "CA0"})
        assert status == 403 and "GRADREC_TWILIO_AUTH_TOKEN" in reply and "<Response" not in reply, (caller, reply)
    # alice's walk was not reset by any of those
    status, messages = post(s, {"message": "something darker"}, alice)
    darker = item_id(messages)
    assert status == 200 and darker and darker != first
    status, messages = post(s, {"message": "go back"}, alice)
    assert item_id(messages) == first

    # socket.io: the token travels in customData; without it nothing is taken; a socket asking for
    # alice's session id (the room her replies go to) does not hear her conversation
    got = sio(s, [
        {"name": "alice", "delay": 2, "messages": [
            {"message": "show me a red dress", "customData": {"token": gate.mint("alice-web")}}]},
        {"name": "eve", "session_id": "alice-web", "listen": 12, "messages": [
            {"message": "show me a red dress", "customData": {}}]},
    ])
    assert any((m.get("attachment") or {}).get("payload") for m in got["alice"] if isinstance(m, dict)), got
    eve = [m for m in got["eve"] if isinstance(m, dict)]
    assert [m.get("text", "") for m in eve] == [
        "Sorry, I can't take that message: a signed token is required (REST: 'Authorization: Bearer "
        "<token>'; chat widget: customData.token)."], eve
