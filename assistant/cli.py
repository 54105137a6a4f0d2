"""`gradrec-assistant`: start the action server and the Rasa server, then chat in the terminal.

    gradrec-assistant chat     both servers + a chat in this terminal (the main job)
    gradrec-assistant serve    both servers only (for chat widgets and voice channels)

Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from typing import Any, Sequence

from .servers import Assistant, StartError, send
from .settings import Settings

log = logging.getLogger("assistant")


def render(message: dict[str, Any]) -> list[str]:
    """A bot message as terminal lines: the sentence, the item card, the image path."""
    lines = []
    if message.get("text"):
        lines.append(f"bot> {message['text']}")
    custom = message.get("custom") or {}
    card = custom.get("item")
    if card:
        attrs = ", ".join(f"{k}: {v}" for k, v in card.get("attributes", {}).items())
        lines.append(f"     [{card['id']}] {card['name']}")
        if attrs:
            lines.append(f"     {attrs}")
        step = custom.get("step") or {}
        if "confidence" in step:
            flag = " (low)" if step.get("low_confidence") else ""
            lines.append(f"     step {step.get('step_number')}: {step.get('phrase')}, confidence {step['confidence']:.2f}{flag}")
    if message.get("image"):
        lines.append(f"     image: {message['image']}")
    return lines


def chat(assistant: Assistant, sender: str) -> None:
    print(f"Chatting with the shopping assistant at {assistant.rasa_url} (Ctrl-C or 'bye' to quit).")
    print('Try: "show me a blue polo shirt", "something darker", "go back", "a bit lighter".\n')
    while True:
        try:
            text = input("you> ")
        except EOFError:
            return
        try:
            messages = send(assistant.rasa_url, sender, text)
        except OSError as err:
            print(f"(the assistant did not answer: {err})")
            continue
        for message in messages:
            print("\n".join(render(message)))
        if text.strip().lower() in {"bye", "goodbye", "quit", "exit"}:
            return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradrec-assistant", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["chat", "serve"], default="chat")
    parser.add_argument("--sender", default=None, help="conversation id (default: a new one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    assistant = Assistant(settings)
    print(f"starting the action server on {settings.host}:{settings.action_port} and the Rasa server "
          f"on {settings.host}:{settings.rasa_port} (logs in {settings.var_dir / 'logs'}) ...", flush=True)
    try:
        assistant.start()
        if args.command == "serve":
            print(f"ready: REST {assistant.rasa_url}/webhooks/rest/webhook, socket.io {assistant.rasa_url}/socket.io")
            assistant.servers[-1].process.wait()
        else:
            chat(assistant, args.sender or f"terminal-{uuid.uuid4().hex[:8]}")
    except StartError as err:
        print(f"gradrec-assistant: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
    finally:
        assistant.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
