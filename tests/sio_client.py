"""A socket.io client for the tests, run with Rasa's Python (it has python-socketio's client):

    python tests/sio_client.py URL SCRIPT_JSON

SCRIPT_JSON is a list of clients, run at the same time: {"name": ..., "session_id": ... or null,
"messages": [{"message": ..., "customData": {...}} or any JSON value sent as is], "listen": seconds
to wait for replies after the last message, "transport": "polling" (default) or "websocket"}.
A message {"emit": EVENT} sends that event with no payload at all. Each message waits for the
first reply (or the listen time). Prints {name: [every bot_uttered payload received, in order],
name + "#session": the session id the server confirmed} as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import socketio


async def client(url: str, spec: dict[str, Any]) -> tuple[list[Any], Any]:
    received: list[Any] = []
    got = asyncio.Event()
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("bot_uttered")
    async def bot(data: Any) -> None:
        received.append(data)
        got.set()

    confirmed = asyncio.Event()
    session: dict[str, Any] = {}

    @sio.on("session_confirm")
    async def confirm(data: Any) -> None:
        session["id"] = data
        confirmed.set()

    await sio.connect(url, socketio_path="/socket.io", transports=[spec.get("transport", "polling")])
    try:
        await sio.emit("session_request", {"session_id": spec.get("session_id")})
        await asyncio.wait_for(confirmed.wait(), 30)
        await asyncio.sleep(float(spec.get("delay", 0)))
        for message in spec.get("messages", []):
            got.clear()
            if isinstance(message, dict) and "message" in message and "raw" not in message:
                message = {"session_id": session["id"], **message}
            elif isinstance(message, dict) and "raw" in message:
                message = message["raw"]
            if isinstance(message, dict) and set(message) == {"emit"}:
                confirmed.clear()
                await sio.emit(message["emit"])  # no payload at all
                if message["emit"] == "session_request":  # answered by a session_confirm
                    await asyncio.wait_for(confirmed.wait(), 30)
                    continue
            else:
                await sio.emit("user_uttered", message)
            try:
                await asyncio.wait_for(got.wait(), 60)
            except asyncio.TimeoutError:
                received.append({"timeout": True})
            await asyncio.sleep(1.0)  # the rest of the turn's messages
        await asyncio.sleep(float(spec.get("listen", 0)))
    finally:
        # the socket.io and engine.io close packets go at once; over polling the client would then
        # wait for the server's pending long-poll to end (up to its ping interval, ~25 s): a closed
        # browser tab does not, so neither does this
        try:
            await asyncio.wait_for(sio.disconnect(), 1.0)
        except asyncio.TimeoutError:
            pass
    return received, session.get("id")


async def main(url: str, specs: list[dict[str, Any]]) -> dict[str, Any]:
    results = await asyncio.gather(*(client(url, s) for s in specs))
    out: dict[str, Any] = {}
    for spec, (received, session_id) in zip(specs, results):
        out[spec["name"]] = received
        out[spec["name"] + "#session"] = session_id
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))))
