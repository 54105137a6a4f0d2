"""`rasa` (run in Rasa's Python 3.10 environment) with five cuts to what a turn costs, three repairs
(6: a failed action call is answered; 8: a conversation's lock is changed by one process at a time;
9: a turn waiting for that lock keeps its ticket)
and one cut to what a start costs (7); the launcher
starts the Rasa server as `python -m assistant.rasa.main run ...` instead of the `rasa` script.

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
   one when the database shows the conversation unchanged since (`assistant.rasa.tracker_store`),
   instead of reading and replaying the whole session on every turn; new events are written with
   one Core INSERT instead of the ORM's unit of work.
4. Rasa's model graph (NLU on every message, the policies on every prediction, two or more per
   turn) is run node by node in dependency order instead of through dask's scheduler: the same
   nodes with the same inputs, each run once; dask's bookkeeping (ordering a graph of a dozen
   nodes, its task queue) was about 7% of Rasa's busy time under load.
5. A call to the action server carries the events of the conversation's last
   `GRADREC_ACTION_CALL_TURNS` user turns (3 by default; 0: every event), not every event since
   the conversation began (the slots, the latest message and the latest input channel are sent
   whole, as before): Rasa serialised, and the action server parsed, the whole history on every
   call, so a turn cost more the longer the conversation.
   The actions here read no further back than the previous reply ("repeat that").
6. A call to the action server that fails (the server is down, restarting, answers an error or
   not at all) answers the shopper with a sentence asking them to say it again (Rasa 3.6 logs a
   traceback and answers nothing: an HTTP 200 with `[]`), and takes the user's turn back
   (`UserUtteranceReverted`): the conversation does not count it as answered, and its next turn
   is predicted as if it had not happened.
7. Loading the model builds each TensorFlow model's weights with one eager prediction on the
   model's stored prediction example instead of one training step (Rasa 3.6's `RasaModel.load`
   runs `fit` on one example only to create the weights, then overwrites them from the file):
   tracing the training step was ~85% of a start's CPU (about 25 s of 30 on these machines). The
   same weights are then loaded from the same file and the prediction function traced as Rasa
   does, so every output is the same (tests/rasa_side_checks.py compares both loads on the held-out
   NLU examples). Loading for fine-tuning (`finetune_mode`) is Rasa's own.
8. Rasa's Redis lock store (several Rasa processes, GRADREC_LOCK_URL) changes a conversation's
   ticket lock by reading it, changing it and writing it back, with nothing between two processes
   doing so at once: two turns of one conversation arriving on two processes at the same instant
   could both take ticket 0 and run side by side, and one turn's events were lost from the
   tracker (tests/test_replicas.py saw it under load). Issuing a ticket, removing expired ones and
   the clean-up after a turn now hold a Redis mutex per conversation (`SET NX` with an expiry,
   released by its owner only), so the read-change-write is one step for every process.
9. A turn waiting for its conversation's lock keeps its own ticket alive: each time it polls (once a
   second) its ticket's expiry is moved to a whole lifetime (`TICKET_LOCK_LIFETIME`) from now, in
   the same step that drops expired tickets. Rasa 3.6 let a waiting ticket expire like any other:
   when a Rasa process died mid-turn and the conversation's next turn (a retry on another process)
   got its ticket less than a poll before the dead one expired, both expired between two polls and
   the waiting turn waited forever for a number no one would serve (tests/test_replicas.py saw it
   in 5 of 7 runs, at any lifetime). Now only a ticket whose process stopped polling (dead or
   serving its turn) expires; a waiter whose ticket is gone all the same gets Rasa's `LockError`
   instead of waiting forever.

Only the standard library, Rasa and its dependencies are imported here.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional

FAILED_TURN = "Sorry, something went wrong; say that again?"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a Rasa worker waits for another's SQLite write
ACTION_CALL_TURNS = 3  # user turns whose events an action call carries (GRADREC_ACTION_CALL_TURNS)
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


def install_action_failure_answer() -> None:
    """Wrap `RemoteAction.run`: a failed call to the action server becomes the user's turn taken
    back, one sentence to the shopper and nothing more predicted (see the module's docstring, 6)."""
    import logging

    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import BotUttered, FollowupAction, UserUtteranceReverted

    logger = logging.getLogger("assistant.rasa.main")
    original = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form's rejection: Rasa's own handling
        except Exception as err:  # noqa: BLE001 - the shopper must hear that the turn failed
            logger.error("the action server did not run %s for %s (%s: %s); the turn is taken back and the "
                         "shopper asked to say it again", self.name(), tracker.sender_id, type(err).__name__,
                         str(err).replace("\n", " ")[:300])
            return [UserUtteranceReverted(), BotUttered(FAILED_TURN, metadata={"gradrec_failed_turn": True}),
                    FollowupAction(ACTION_LISTEN_NAME)]

    run.__doc__ = original.__doc__
    RemoteAction.run = run  # type: ignore[method-assign]


def install_action_call_window(turns: int = ACTION_CALL_TURNS) -> None:
    """Replace `RemoteAction._action_call_format` by one that sends the events from the
    `turns`-th last user message on (all of them when there are fewer), everything else as Rasa
    sends it."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import EventVerbosity

    original = RemoteAction._action_call_format

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[str, Any]:
        result = original(self, _Stateless(tracker), domain)
        window: List[Any] = []
        users = 0
        for event in reversed(tracker.events):
            window.append(event)
            if isinstance(event, UserUttered):
                users += 1
                if users >= turns:
                    break
        result["tracker"]["events"] = [event.as_dict() for event in reversed(window)]
        return result

    class _Stateless:
        """The tracker, its `current_state` asked for no events (they are added above)."""

        def __init__(self, tracker: Any) -> None:
            self._tracker = tracker

        def current_state(self, _verbosity: Any = None) -> Dict[str, Any]:
            return self._tracker.current_state(EventVerbosity.NONE)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._tracker, name)

    _action_call_format.__doc__ = original.__doc__
    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]


def install_graph_runner() -> None:
    """Replace `DaskGraphRunner.run` by a plain recursive evaluation of the same graph (see the
    module's docstring): a node runs once its needs have run, with their `(name, output)` pairs as
    arguments, as dask calls it; an input is `(name, value)`; a need that is neither is passed as
    its name (dask passes a key it cannot resolve as the literal, which `GraphNode` reports)."""
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(self: DaskGraphRunner, inputs: Optional[Dict[str, Any]] = None,
            targets: Optional[List[str]] = None) -> Dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        key = tuple(run_targets)
        cache = self.__dict__.setdefault("_gradrec_minimal_schemas", {})
        if key not in cache:
            cache[key] = self._graph_schema.minimal_graph_schema(run_targets).nodes
        nodes = cache[key]
        results: Dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input "
                    f"names passed to the `run` method are the same as node names in the graph schema.")
            results[name] = (name, value)

        def compute(name: str) -> Any:
            if name in results:
                return results[name]
            if name not in nodes:
                return name
            args = [compute(need) for need in nodes[name].needs.values()]
            results[name] = self._instantiated_nodes[name](*args)
            return results[name]

        try:
            return dict(compute(target) for target in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    run.__doc__ = DaskGraphRunner.run.__doc__
    DaskGraphRunner.run = run  # type: ignore[method-assign]


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


def install_model_load() -> None:
    """Replace `RasaModel.load` by one that builds the weights without a training step (see the
    module's docstring, 7); fine-tuning and a model without a prediction example load as Rasa's."""
    import tensorflow as tf
    from rasa.utils import train_utils
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(cls: Any, model_file_name: str, model_data_example: Any, predict_data_example: Any = None,
             finetune_mode: bool = False, *args: Any, **kwargs: Any) -> Any:
        if finetune_mode or predict_data_example is None:
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        # compiled as Rasa compiles it: the file holds the optimizer's state too
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                      run_eagerly=config.get(RUN_EAGERLY))
        batches, _ = train_utils.create_data_generators(model_data=predict_data_example, batch_sizes=1,
                                                         epochs=1, shuffle=False)
        model._training = False
        model.prepare_for_predict()
        model.predict_step(next(iter(batches))[0])  # eager: creates the weights, traces nothing
        # the optimizer's slots in the file have no variables here (no training step ran)
        model.load_weights(model_file_name).expect_partial()
        model.prepared_for_prediction = False  # label embeddings again, from the loaded weights
        model.run_inference(predict_data_example)  # as Rasa: traces the prediction function
        return model

    load.__doc__ = original.__doc__
    RasaModel.load = classmethod(load)  # type: ignore[method-assign,assignment]


LOCK_MUTEX_PREFIX = "gradrec_lock_mutex:"  # + the lock store's key of the conversation
LOCK_MUTEX_SECONDS = 10.0  # a mutex's expiry: a process that died holding one frees it by then


def install_waiting_tickets_kept() -> None:
    """`LockStore.keep_ticket` (a waiting ticket's expiry moved a lifetime ahead, expired tickets
    dropped) and `LockStore._acquire_lock` polling with it instead of `update_lock` (see 9)."""
    import asyncio
    import time

    from rasa.core import lock_store as rasa_lock_store
    from rasa.core.lock_store import LockError, LockStore

    if getattr(LockStore, "keep_ticket", None) is not None:
        return

    def keep_ticket(self: LockStore, conversation_id: str, ticket_number: int) -> bool:
        """Move the ticket's expiry a lifetime ahead and drop expired tickets; False when the
        lock or the ticket is gone (it can never be served)."""
        lock = self.get_lock(conversation_id)
        if not lock:
            return False
        ticket = next((t for t in lock.tickets if t.number == ticket_number), None)
        if ticket is None or ticket.has_expired():
            lock.remove_expired_tickets()
            self.save_lock(lock)
            return False
        ticket.expires = max(ticket.expires, time.time() + rasa_lock_store.LOCK_LIFETIME)
        lock.remove_expired_tickets()
        self.save_lock(lock)
        return True

    async def _acquire_lock(self: LockStore, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> Any:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            if not self.keep_ticket(conversation_id, ticket):
                break
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    LockStore.keep_ticket = keep_ticket  # type: ignore[attr-defined]
    LockStore._acquire_lock = _acquire_lock  # type: ignore[method-assign]


def install_atomic_lock_changes() -> None:
    """Wrap `RedisLockStore.issue_ticket`, `update_lock`, `cleanup` and `keep_ticket` (9) in a per-conversation Redis
    mutex (see the module's docstring, 8); one that cannot be had within its expiry's time raises
    Rasa's `LockError`, as a lock that cannot be had does."""
    import functools

    from rasa.core.lock_store import LockError, RedisLockStore
    from redis.exceptions import LockError as RedisMutexError

    def atomic(method: Any) -> Any:
        @functools.wraps(method)
        def changed_alone(self: RedisLockStore, conversation_id: str, *args: Any, **kwargs: Any) -> Any:
            mutex = self.red.lock(LOCK_MUTEX_PREFIX + self.key_prefix + conversation_id,
                                  timeout=LOCK_MUTEX_SECONDS, blocking_timeout=LOCK_MUTEX_SECONDS)
            try:
                if not mutex.acquire():
                    raise LockError(f"Could not change the lock of conversation '{conversation_id}'.")
            except RedisMutexError as err:
                raise LockError(f"Could not change the lock of conversation '{conversation_id}': {err}") from err
            try:
                return method(self, conversation_id, *args, **kwargs)
            finally:
                try:
                    mutex.release()
                except RedisMutexError:
                    pass  # expired (a change that took longer than its expiry): nothing to free

        changed_alone.__wrapped_by_gradrec__ = True  # type: ignore[attr-defined]
        return changed_alone

    for name in ("issue_ticket", "update_lock", "cleanup", "keep_ticket"):
        method = getattr(RedisLockStore, name, None)
        if method is None:  # keep_ticket: only with install_waiting_tickets_kept
            continue
        if not getattr(method, "__wrapped_by_gradrec__", False):
            setattr(RedisLockStore, name, atomic(method))


def main(argv: list[str] | None = None) -> None:
    """`rasa ARGV...` with the cuts above installed first."""
    from assistant.common.log_escape import install_log_escaping

    install_log_escaping()
    install_action_response_validator()
    install_action_failure_answer()
    turns = int(os.environ.get("GRADREC_ACTION_CALL_TURNS", ACTION_CALL_TURNS))
    if turns > 0:
        install_action_call_window(turns)
    install_graph_runner()
    install_sqlite_settings()
    install_model_load()
    install_waiting_tickets_kept()
    install_atomic_lock_changes()
    from assistant.rasa import tracker_store as caching_tracker_store

    caching_tracker_store.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
