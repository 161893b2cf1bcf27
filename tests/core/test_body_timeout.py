"""BodyLimitMiddleware's deadline for the request body (408), at the ASGI level."""

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from app.core.http.middleware import BodyLimitMiddleware

SCOPE: Scope = {
    "type": "http",
    "method": "POST",
    "path": "/api/v1/things",
    "raw_path": b"/api/v1/things",
    "query_string": b"",
    # A streamed (chunked) body: without a length or chunking HTTP/1.1 carries no body at all.
    "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
    "client": ("127.0.0.1", 1234),
    "server": ("testserver", 80),
    "scheme": "http",
    "root_path": "",
    "http_version": "1.1",
}


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await JSONResponse({"size": len(body)})(scope, receive, send)


async def call(messages: list[Message], *, stall: bool, deadline: float = 0.05) -> list[Message]:
    sent: list[Message] = []
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if stall:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await BodyLimitMiddleware(echo, max_bytes=1024, body_timeout=deadline)(
        dict(SCOPE), receive, send
    )
    return sent


async def test_a_body_that_stops_arriving_is_answered_408() -> None:
    sent = await call([{"type": "http.request", "body": b'{"a":', "more_body": True}], stall=True)

    assert sent[0]["status"] == 408
    problem = json.loads(sent[1]["body"])
    assert problem["status"] == 408
    assert problem["type"] == "/problems/request-timeout"


async def test_a_whole_body_is_served_and_the_deadline_no_longer_applies() -> None:
    sent = await call(
        [
            {"type": "http.request", "body": b'{"a":', "more_body": True},
            {"type": "http.request", "body": b" 1}", "more_body": False},
        ],
        stall=False,
    )

    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"size": 8}


async def test_too_large_a_streamed_body_is_still_413() -> None:
    chunk = {"type": "http.request", "body": b"x" * 800, "more_body": True}
    sent = await call([chunk, dict(chunk)], stall=True, deadline=5)

    assert sent[0]["status"] == 413
