"""Log lines that a shopper's text cannot forge: control characters (a newline, a carriage
return, an escape sequence) in a logged message are written escaped (`\\n`, `\\x1b`), so an
entity value or a sender's message with a newline in it stays on its own line. Tracebacks are
formatted separately and keep their lines.

Standard library only: installed in the Rasa server (`assistant.rasa_main`, Python 3.10) and
the action server (`assistant.action_server`, Python 3.11)."""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with every control character written as its escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class EscapedLogRecord(logging.LogRecord):
    """A log record whose message has its control characters escaped."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return escape_controls(super().getMessage())


def install_log_escaping() -> None:
    """Every log record this process creates from now on escapes its message (idempotent)."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(EscapedLogRecord)
