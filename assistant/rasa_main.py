"""`rasa` (run in Rasa's Python 3.10 environment) with three cuts to what a turn costs; the launcher
starts the Rasa server as `python -m assistant.rasa_main run ...` instead of the `rasa` script.

1. The action server's response is validated against Rasa's own schema with a validator built
   once. Rasa 3.6 calls `jsonschema.validate` on every action response, and `validate` first checks
   the schema itself against the JSON Schema meta-schema: measured with py-spy on the running
   server under load, that check was about 60% of Rasa's busy time (docs/RESULTS.md,
   section 7). Same schema, same errors, same message; only the repeated meta-schema check goes.
2. Rasa's SQL tracker store on SQLite (the embedded default) writes in WAL mode with
   `synchronous=NORMAL`, as the engine's session store does, on connections kept open: a commit
   no longer waits for an fsync of the journal and the database on the server's one event-loop
   thread. A killed process loses nothing committed; a power loss may lose the last commits (the
   database stays consistent). Each transaction takes the write lock when it begins, so several
   Rasa workers (GRADREC_RASA_WORKERS, with the Redis lock store) can share the file. PostgreSQL
   (GRADREC_TRACKER_URL) is untouched.
3. The SQL tracker store (SQLite or PostgreSQL) keeps the trackers it read or saved in memory and reuses
   one when the database shows the conversation unchanged since (`assistant.rasa_tracker_store`),
   instead of reading and replaying the whole session on every turn.

Only the standard library, Rasa and its dependencies are imported here.
"""

from __future__ import annotations

import sys
from typing import Any, Dict

SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a Rasa worker waits for another's SQLite write
_sqlite_installed = False


def install_action_response_validator() -> None:
    """Replace `RemoteAction._validate_action_result` by one that reuses a compiled validator."""
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, at start-up, instead of once per action call
    validator = cls(schema)
    original = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        # Rasa's own message and exception for an invalid response
        return original(self, result)

    _validate_action_result.__doc__ = original.__doc__
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def install_sqlite_settings() -> None:
    """WAL journal and `synchronous=NORMAL` on every SQLite connection SQLAlchemy opens here, and
    a pool that keeps them open (SQLAlchemy 1.4 opens and closes a connection per session on a
    SQLite file, and closing the last one checkpoints the WAL into the database, with an fsync).
    Installed once per process however often it is called."""
    global _sqlite_installed
    if _sqlite_installed:
        return
    _sqlite_installed = True
    import sqlite3

    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine, make_url
    from sqlalchemy.pool import QueuePool

    engine_kwargs = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> Dict[str, Any]:
        if make_url(url).get_backend_name() != "sqlite":
            return engine_kwargs(url)
        # Rasa's event loop is the only user: one thread, connections reused
        return {"poolclass": QueuePool, "pool_size": 2, "connect_args": {"check_same_thread": False}}

    tracker_store.create_engine_kwargs = create_engine_kwargs

    @event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.isolation_level = None  # transactions begun below, not by the driver
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

    @event.listens_for(Engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Several Rasa workers on one file: a transaction that read and then writes would fail at
        # once (SQLITE_BUSY_SNAPSHOT) if another worker wrote in between; taking the write lock at
        # the start makes it wait (busy_timeout) instead. One worker: no difference.
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def main(argv: list[str] | None = None) -> None:
    """`rasa ARGV...` with the cuts above installed first."""
    install_action_response_validator()
    install_sqlite_settings()
    from assistant import rasa_tracker_store

    rasa_tracker_store.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
