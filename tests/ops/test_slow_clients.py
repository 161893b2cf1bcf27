"""Clients that send slowly or never finish: bounded, and the server keeps serving others."""

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from tests.ops.servers import running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("test_env")]


def _partial_request(port: int, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


async def test_a_body_that_never_finishes_gets_408_and_others_are_served(
    tmp_path: Path,
) -> None:
    body_head = (
        b"POST /api/v1/products HTTP/1.1\r\nHost: localhost\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"sku": '
    )
    with running(tmp_path, {"REQUEST_BODY_TIMEOUT_SECONDS": "1"}) as server:
        stalled = [_partial_request(server.port, body_head) for _ in range(20)]
        # Headers that never end: uvicorn has no header timeout, so these stay open; the
        # reverse proxy's client_header_timeout bounds them in production (DEPLOYMENT.md).
        idle = [
            _partial_request(server.port, b"GET /health/live HTTP/1.1\r\nHo") for _ in range(20)
        ]
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
            others = await asyncio.gather(*(http.get("/health/ready") for _ in range(20)))
        answers = await asyncio.gather(*(asyncio.to_thread(_read_all, s) for s in stalled))
        for sock in stalled + idle:
            sock.close()
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
            after = await http.get("/health/live")

    assert {answer.status_code for answer in others} == {200}
    for raw in answers:
        assert raw.startswith(b"HTTP/1.1 408"), raw[:200]
        assert b"application/problem+json" in raw
    assert after.status_code == 200


async def test_a_slow_but_steady_body_within_the_limit_is_served(tmp_path: Path) -> None:
    with running(tmp_path, {"REQUEST_BODY_TIMEOUT_SECONDS": "10"}) as server:
        payload = b'{"email": "nobody@example.com"}'
        head = (
            b"POST /api/v1/auth/refresh HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
        )
        sock = _partial_request(server.port, head)
        for byte in payload:
            sock.sendall(bytes([byte]))
            await asyncio.sleep(0.01)
        raw = await asyncio.to_thread(_read_all, sock)
        sock.close()

    # The body arrived whole (slowly) and was judged on its content: a 422, not a 408.
    assert raw.startswith(b"HTTP/1.1 422"), raw[:200]
