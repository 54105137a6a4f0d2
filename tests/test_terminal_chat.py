"""`gradrec-assistant chat` as a shopper runs it: through a pseudo-terminal, against its own two
servers on free ports, every reply kind (an item, a question's answer, a price, an end of walk
with the closest items, another one, going back, an error, plain text, the chosen item), each
checked against the sample catalog's CSV; never a traceback, the process alive after every turn,
exit status 0 after "bye". Prints how long the chat took to start."""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE_CSV, private_settings

PROMPT = "you> "
START_TIMEOUT = 300.0  # seconds: both servers on a loaded 2-core machine
TURN_TIMEOUT = 180.0


class Terminal:
    """The chat on the slave side of a pty; we type on the master side."""

    def __init__(self, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "chat"], stdin=slave, stdout=slave,
                                        stderr=slave, cwd=ROOT, env=env, start_new_session=True)
        os.close(slave)
        self.transcript = ""

    def read_until_prompt(self, timeout: float) -> str:
        """What the chat printed up to its next prompt (fails when it exits or stalls)."""
        start, deadline = len(self.transcript), time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.transcript.endswith(PROMPT) and len(self.transcript) > start:
                return self.transcript[start:]
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the slave side closed: the process ended
                    chunk = b""
                if not chunk:
                    break
                self.transcript += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
            elif self.process.poll() is not None:
                break
        raise AssertionError(f"no prompt (exit status {self.process.poll()}); the chat printed:\n"
                             f"{self.transcript[-4000:]}")

    def say(self, text: str) -> str:
        os.write(self.master, text.encode() + b"\n")
        reply = self.read_until_prompt(TURN_TIMEOUT)
        assert "Traceback" not in reply, reply
        assert self.process.poll() is None, reply  # still running
        return reply.split(text + "\n", 1)[-1].removesuffix(PROMPT)  # after the echo of what was typed

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the launcher stops both servers
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        os.close(self.master)


def ids(reply: str) -> list[str]:
    return re.findall(r"^\s+\[([^\]]+)\]", reply, flags=re.M)


def test_every_reply_kind_in_the_terminal_chat(sample_index_dir: Path,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        truth = {r["id"]: r for r in csv.DictReader(f)}
    s = private_settings(tmp_path_factory, "terminal-chat", sample_index_dir, public_url=None)
    env = {**os.environ, "GRADREC_INDEX": str(s.index_dir), "GRADREC_DB_URL": s.db_url, "GRADREC_VAR": str(s.var_dir),
           "GRADREC_SHOPS": str(s.shops_dir), "GRADREC_ACTION_PORT": str(s.action_port),
           "GRADREC_RASA_PORT": str(s.rasa_port), "GRADREC_CURRENCY": "euros", "HF_HUB_OFFLINE": "1",
           "TERM": "dumb"}
    env.pop("GRADREC_PUBLIC_URL", None)
    started = time.monotonic()
    chat = Terminal(env)
    try:
        greeting = chat.read_until_prompt(START_TIMEOUT)
        print(f"\nthe terminal chat answered its first prompt after {time.monotonic() - started:.1f} s")
        searches = re.findall(r"show me (?:an? )?([^·\n]+?)\s*(?:·|$)", greeting.split("try:")[-1], flags=re.M)
        assert searches and all(any(s.endswith(r["kind"]) for r in truth.values()) for s in searches), greeting

        reply = chat.say("show me a blue polo shirt")  # an item
        [seed] = ids(reply)
        lines = reply.strip().splitlines()
        assert truth[seed]["kind"] == "polo shirt" and lines[0].startswith("bot> How about")
        assert lines[-1].strip().startswith("try:") and "go back" not in lines[-1], reply  # chips under the item

        reply = chat.say("what colours does it come in?")  # a question, with one card per colour
        assert "come in" in reply and "try:" in reply
        for shown in ids(reply):
            assert truth[shown]["kind"] == "polo shirt"

        reply = chat.say("how much is it?")  # a price, in the shop's currency
        assert f"It's €{truth[seed]['price']}" in reply, reply

        reply = chat.say("something darker")  # a step
        [darker] = ids(reply)
        assert float(truth[darker]["lightness"]) < float(truth[seed]["lightness"]) and "step 1: dark" in reply

        assert not any(r["kind"] == "polo shirt" and r["material"] == "leather" for r in truth.values())
        reply = chat.say("in leather")  # no polo shirt has it: said so, and the closest kind that has it
        [elsewhere] = ids(reply)
        assert "I have no polo shirt in leather" in reply and truth[elsewhere]["material"] == "leather", reply
        assert ids(chat.say("go back")) == [darker]

        reply = chat.say("under 1")  # nothing at all: the end of the walk, the closest items each named
        assert "I have no polo shirt under" in reply and ids(reply), reply

        reply = chat.say("another one")  # the next one at once (the terminal shows no carousel)
        [other] = ids(reply)
        assert other not in (seed, darker) and truth[other]["kind"] == "polo shirt"

        assert ids(chat.say("go back")) == [darker]
        assert "can't find that item" in chat.say('/search_item{"item_id": "no-such-item"}')  # an error
        assert "bot>" in chat.say("hello")  # plain text
        reply = chat.say("I'll take it")
        assert "Great choice" in reply and ids(reply) == [darker]

        os.write(chat.master, b"bye\n")
        assert chat.process.wait(120) == 0
    finally:
        chat.close()
    assert "Traceback" not in chat.transcript, chat.transcript[-4000:]
