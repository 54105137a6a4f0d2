"""Log lines that a shopper's text cannot forge: control characters (a newline, a carriage
return, an escape sequence) in a logged message or a warning are written escaped (`\\n`,
`\\x1b`), so an entity name or value with a newline in it (Rasa warns about an entity the domain
does not know, quoting it) stays on its own line. Tracebacks are formatted separately and keep
their lines.

Standard library only: installed in the Rasa server (`assistant.rasa.main`, Python 3.10) and
the action server (`assistant.action_server`, Python 3.11)."""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """`text` with every control character written as its escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class EscapedLogRecord(logging.LogRecord):
    """A log record whose message has its control characters escaped."""

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return escape_controls(super().getMessage())


def install_log_escaping() -> None:
    """Every log record and warning this process writes from now on has its message escaped
    (idempotent)."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(EscapedLogRecord)
    if not getattr(warnings.formatwarning, "escapes_controls", False):
        original = warnings.formatwarning

        def formatwarning(message: Any, category: Any, filename: str, lineno: int, line: Any = None) -> str:
            return original(escape_controls(str(message)), category, filename, lineno, line)

        formatwarning.escapes_controls = True  # type: ignore[attr-defined]
        warnings.formatwarning = formatwarning
