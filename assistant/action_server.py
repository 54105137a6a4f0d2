"""rasa-sdk's action server with one addition: every call but GET /health must carry the shared
token that the Rasa server sends (`?token=...`, see `action_endpoint` in the per-run endpoints
file), else it gets 401. rasa-sdk 3.21 has no such option, so this module builds its Sanic app
(`rasa_sdk.endpoint.create_app_for_serve`) and adds a request middleware.

    GRADREC_ACTION_TOKEN=... python -m assistant.action_server --actions actions --port 5055

The token comes only from the environment; without one the server refuses to start. Each worker
opens the engine before it serves (`warm_up`).
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from functools import partial
from typing import Any, Sequence

from assistant.common.log_escape import install_log_escaping
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager

log = logging.getLogger("assistant.action_server")

# Sanic kills every worker that has not acknowledged its start within 30 s (a constant, in tenths
# of a second); `warm_up` loads the engine first, which takes longer than that on a busy 2-core
# machine. The launcher's own start timeout (120 s) is the limit that matters.
WORKER_ACK_TENTHS = 1800

TOKEN_ENV = "GRADREC_ACTION_TOKEN"
TOKEN_NAME = "token"  # the query parameter Rasa's EndpointConfig sends the token in
OPEN_PATHS = frozenset({"/health"})


def require_token(app: Sanic, token: str, token_name: str = TOKEN_NAME) -> Sanic:
    """Refuse (401) every request to `app` but the open paths unless it carries `token`."""
    expected = token.encode()

    @app.on_request(priority=100)
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.args.get(token_name) or ""
        if hmac.compare_digest(given.encode(), expected):
            return None
        log.warning("refused %s %s from %s: %s", request.method, request.path, request.ip,
                    "wrong token" if given else "no token")
        return response.json({"error": "unauthorized"}, status=401)

    return app


async def warm_up(app: Sanic) -> None:
    """Open the engine (index, encoder, session store) before the worker takes its first call, so
    that /health answers only when turns are fast, and the first turn does not block the worker
    for seconds (long enough to fail the launcher's health checks)."""
    try:
        from actions.shop import engine
    except ImportError:
        return
    engine()


def _configure_logging() -> None:
    """Time and level on this module's lines, in the primary process and in each worker (which
    Sanic starts afresh, without rasa-sdk's logging set-up)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def answer_http_errors(app: Sanic) -> Sanic:
    """HTTP errors (405 for `POST /health`, 404 for an unknown path) answered with their own
    status and one line: rasa-sdk's catch-all handler turns them into a 500 with a traceback."""

    async def http_error(request: Request, exception: SanicException) -> HTTPResponse:
        return response.json({"error": str(exception)}, status=exception.status_code)

    app.error_handler.add(SanicException, http_error)
    return app


def create_app(action_executor: ActionExecutor, token: str, **kwargs: Any) -> Sanic:
    """rasa-sdk's app for the primary process and each worker, behind the token check, warmed up.
    Module-level so that Sanic can pickle it (through `AppLoader`) into its worker process."""
    _configure_logging()
    install_log_escaping()
    app = answer_http_errors(require_token(create_app_for_serve(action_executor, **kwargs), token))
    app.register_listener(warm_up, "before_server_start")
    return app


def run(action_executor: ActionExecutor, port: int, token: str, cors_origins: Any = None,
        ssl_certificate: str | None = None, ssl_keyfile: str | None = None,
        ssl_password: str | None = None, auto_reload: bool = False, endpoints: str = "endpoints.yml") -> None:
    """`rasa_sdk.endpoint.run` with the token check."""
    loader = AppLoader(factory=partial(create_app, action_executor, token, cors_origins=cors_origins,
                                       auto_reload=auto_reload, endpoints=endpoints))
    app = loader.load()
    ssl_config = create_ssl_config(ssl_certificate, ssl_keyfile, ssl_password)
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    log.info("action server on %s://%s:%d (calls need the shared token)",
             "https" if ssl_config else "http", host, port)
    app.prepare(host=host, port=port, ssl=ssl_config, workers=utils.number_of_sanic_workers())
    WorkerManager.THRESHOLD = max(WorkerManager.THRESHOLD, WORKER_ACK_TENTHS)
    Sanic.serve(primary=app, app_loader=loader)


def main(argv: Sequence[str] | None = None) -> int:
    args = create_argument_parser().parse_args(argv)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    _configure_logging()
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        sys.stderr.write(f"assistant.action_server: {TOKEN_ENV} is not set; refusing to serve without a token\n")
        return 2
    if args.grpc:
        sys.stderr.write("assistant.action_server: --grpc is not supported (no token check there)\n")
        return 2
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    run(executor, args.port, token, args.cors, args.ssl_certificate, args.ssl_keyfile, args.ssl_password,
        args.auto_reload, args.endpoints)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
