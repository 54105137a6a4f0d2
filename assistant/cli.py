"""`gradrec-assistant`: start the action server and the Rasa server, then chat in the terminal.

    gradrec-assistant chat     both servers + a chat in this terminal (the main job)
    gradrec-assistant serve    both servers only (for chat widgets and voice channels), supervised:
                               a server that dies or stops answering its health check is restarted
    gradrec-assistant token --sender ID [--shop NAME] [--ttl SECONDS]
                               print a token signed with GRADREC_JWT_SECRET for that sender (what a
                               shop's login hands its page when the deployment requires tokens)

`chat` and `serve` take `--shop NAME` (the chat's shop: GRADREC_SHOPS/NAME) and `--sender ID`.

Both print the web chat's URL (the page the Rasa server serves at /chat) and the voice webhook.

    gradrec-assistant services PostgreSQL and Redis on this machine (data in var/pg, var/redis;
                               free ports on 127.0.0.1), for replicas: prints the settings that
                               point the servers at them, runs until stopped

Ctrl-C, SIGTERM or SIGHUP stops everything it started (each server's whole process group).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import uuid
from types import FrameType
from typing import Any, Callable, Sequence

from .common.gate import Gate
from .servers import Assistant, StartError, send, stop_all
from .settings import Settings

log = logging.getLogger("assistant")


def _card_lines(card: Any, label: str = "") -> list[str]:
    """An item card: "[id] name", then its labelled attributes (anything not a dict: nothing)."""
    if not isinstance(card, dict):
        return []
    head = f"     [{card.get('id', '?')}] {card.get('name') or ''}".rstrip()
    if label:
        head += f" ({label})"
    lines = [head]
    attributes = card.get("attributes")
    if isinstance(attributes, dict) and attributes:
        lines.append("     " + ", ".join(f"{k}: {v}" for k, v in attributes.items()))
    return lines


def _step_line(step: dict[str, Any]) -> str | None:
    """"step 2: darker, confidence 0.91": only for a step that moved (a question's step has no
    number and no confidence)."""
    number, confidence = step.get("step_number"), step.get("confidence")
    if not isinstance(number, int) or isinstance(number, bool) or not step.get("phrase"):
        return None
    line = f"     step {number}: {step['phrase']}"
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
        line += f", confidence {float(confidence):.2f}" + (" (low)" if step.get("low_confidence") else "")
    if step.get("end_reached"):
        line += ", as far as it goes"
    return line


def _choices(step: dict[str, Any]) -> list[str]:
    """The cards a reply offers (one per value, alternatives to pick, the closest ones): each with
    the message that picks it."""
    lines: list[str] = []
    examples = step.get("examples")
    if isinstance(examples, list) and examples:
        offered = [(e.get("item"), f"in {e.get('value')}") for e in examples if isinstance(e, dict)]
    else:
        offered = next(([(c, "") for c in step.get(key) or [] if isinstance(c, dict)]
                        for key in ("choices", "alternatives") if isinstance(step.get(key), list) and step.get(key)),
                       [])
    for card, label in offered:
        if not isinstance(card, dict):
            continue
        lines += _card_lines(card, label)[:1]
        pick = card.get("pick")
        if isinstance(pick, dict) and isinstance(pick.get("payload"), str):
            lines.append(f"       pick it: {pick['payload']}")
    return lines


def render(messages: Any) -> list[str]:
    """A turn's bot messages as terminal lines: the sentences, the item card (its attributes, the
    step), the image URL, the cards offered to pick from, then the chips ("try: ...") last, under
    the item (Rasa's REST channel sends a reply's text with its chips, its card and its image as
    separate messages). Any reply kind (an item, a question's answer, an end of walk,
    alternatives, an error, plain text) and any malformed field renders as text; nothing here
    raises."""
    if isinstance(messages, dict) or not isinstance(messages, list):
        messages = [messages]
    lines: list[str] = []
    chips: list[str] = []
    for message in messages:
        lines += _message_lines(message)
        buttons = message.get("buttons") if isinstance(message, dict) else None
        if isinstance(buttons, list):
            chips += [str(b.get("title") if isinstance(b, dict) else b) for b in buttons]
    if chips:
        lines.append("     try: " + " · ".join(chips))
    return lines


def _message_lines(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return [f"bot> {message}"]
    lines = []
    if message.get("text"):
        lines.append(f"bot> {message['text']}")
    custom = message.get("custom")
    custom = custom if isinstance(custom, dict) else {}
    step = custom.get("step")
    step = step if isinstance(step, dict) else {}
    if custom.get("type") != "gradrec_answer":  # an answer is about the item already shown
        lines += _card_lines(custom.get("item"))
        line = _step_line(step)
        if line:
            lines.append(line)
        if message.get("image"):
            lines.append(f"     image: {message['image']}")
    lines += _choices(step)
    return lines


def chat(assistant: Assistant, sender: str, shop: str | None = None) -> None:
    print(f"Chatting with the shopping assistant at {assistant.rasa_url} (Ctrl-C or 'bye' to quit).")
    print(f"The same assistant in a browser: {assistant.settings.chat_url}")
    print("Describe what you're looking for, then say how it should change (the chips after \"try:\" are ideas).\n")
    gate = Gate(assistant.settings.shops_dir, assistant.settings.jwt_secret)
    token = gate.mint(sender, shop, ttl=24 * 3600) if gate.secret else None
    first = True
    while True:
        if first:  # the greeting, with a few searches this shop's catalog answers
            text, first = "/greet", False
        else:
            try:
                text = input("you> ")
            except EOFError:
                return
        try:
            messages = send(assistant.rasa_url, sender, text, shop=shop, token=token)
        except (OSError, ValueError) as err:  # no answer, or one that is not JSON
            print(f"(the assistant did not answer: {err})")
            continue
        try:
            print("\n".join(render(messages)))
        except Exception:  # noqa: BLE001 - a reply the terminal cannot draw must not end the chat
            log.exception("could not show the reply")
            print(f"(the reply could not be shown: {messages!r:.300})")
        if text.strip().lower() in {"bye", "goodbye", "quit", "exit"}:
            return


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Shutdown(BaseException):
    """Raised by the signal handler wherever the launcher is (starting, supervising, chatting)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _install_signal_handlers() -> None:
    """The first SIGTERM, SIGINT or SIGHUP raises `Shutdown`; later ones only say that the launcher
    is already stopping, so they cannot interrupt the clean-up (which has its own time limits)."""
    stopping = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            log.info("got %s again; already stopping", signal.Signals(signum).name)
            return
        stopping = True
        raise Shutdown(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradrec-assistant", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["chat", "serve", "services", "token"], default="chat")
    parser.add_argument("--sender", default=None, help="sender id (default for chat: a new one)")
    parser.add_argument("--shop", default=None, help="the shop (an index folder in GRADREC_SHOPS)")
    parser.add_argument("--ttl", type=float, default=3600.0, help="token: seconds it stays valid")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    if args.command == "services":
        return services(settings)
    if args.command == "token":
        if not args.sender:
            parser.error("token needs --sender")
        try:
            print(Gate(settings.shops_dir, settings.jwt_secret).mint(args.sender, args.shop, args.ttl))
        except ValueError as err:
            print(f"gradrec-assistant token: {err}", file=sys.stderr)
            return 2
        return 0
    if args.shop is not None and not Gate(settings.shops_dir).has_shop(args.shop):
        parser.error(f"--shop {args.shop}: no index at {settings.shops_dir / args.shop} "
                     "(build one with `gradrec index ... --out` there)")
    assistant = Assistant(settings)

    def run() -> None:
        log.info("starting the action server on %s:%d and the Rasa server on %s:%d (logs in %s)",
                 settings.host, settings.action_port, settings.host, settings.rasa_port, settings.var_dir / "logs")
        assistant.start()
        log.info("web chat: open %s in a browser", settings.chat_url)
        if args.command == "serve":
            log.info("ready: web chat %s, REST %s/webhooks/rest/webhook, socket.io %s/socket.io, "
                     "Twilio Voice %s/webhooks/twilio_voice/webhook", settings.chat_url, assistant.rasa_url,
                     assistant.rasa_url, settings.base_url)
            if settings.rasa_replicas > 1:
                log.info("%d Rasa processes (put a load balancer in front): %s", settings.rasa_replicas,
                         " ".join(assistant.rasa_urls))
            assistant.supervise()
        else:
            chat(assistant, args.sender or f"terminal-{uuid.uuid4().hex[:8]}", args.shop)

    def stop() -> None:
        assistant.stop()
        stop_all()  # anything started but not yet handed to the assistant

    return _until_stopped(run, stop, StartError)


def services(settings: Settings) -> int:
    """Local PostgreSQL and Redis (assistant/services.py) until a stop signal; prints the settings
    that point the servers at them."""
    import time

    from .services import ServiceError, local_services, stop_services

    def run() -> None:
        with local_services(settings.var_dir) as (postgres_url, redis_url):
            print("# PostgreSQL and Redis are up; in another shell, before `gradrec-assistant serve`:")
            print(f"export GRADREC_DB_URL='{postgres_url}'")
            print(f"export GRADREC_TRACKER_URL='{postgres_url}'")
            print(f"export GRADREC_LOCK_URL='{redis_url}'")
            print("export GRADREC_RASA_REPLICAS=2 GRADREC_ACTION_REPLICAS=2", flush=True)
            log.info("running until Ctrl-C (data in %s and %s)", settings.var_dir / "pg", settings.var_dir / "redis")
            while True:
                time.sleep(3600)

    return _until_stopped(run, stop_services, ServiceError)


def _until_stopped(run: Callable[[], None], stop: Callable[[], None], failure: type[Exception]) -> int:
    """`run` until it returns or a stop signal arrives, then `stop`, whatever happened; exit status 2
    (the error logged) when `run` raises `failure`."""
    _install_signal_handlers()
    try:
        run()
    except failure as err:
        log.error("%s", err)
        return 2
    except Shutdown as signalled:
        log.info("stopping (%s)", signal.Signals(signalled.signum).name)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        stop()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
