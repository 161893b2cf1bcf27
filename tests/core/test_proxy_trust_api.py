"""Forwarded headers are believed only from TRUSTED_PROXIES, however the app is started:
the app reads them itself, and every launcher tells uvicorn to leave them alone."""

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.config import Settings, get_settings
from app.main import create_app
from scripts import serve
from tests.conftest import Headers, serving
from tests.ops.servers import free_port
from tests.users import user_factory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = "/api/v1/products"
FORGED = ["6.6.6.6", "6.6.6.7", "6.6.6.8"]
START_SECONDS = 30.0


def recipe(target: str) -> str:
    """The command lines of a Makefile target."""
    text = (ROOT / "Makefile").read_text()
    found = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert found, target
    return found.group(1)


@pytest.mark.parametrize("target", ["run", "dev", "serve"])
def test_every_make_target_that_serves_goes_through_scripts_serve(target: str) -> None:
    lines = recipe(target)

    assert "-m scripts.serve" in lines
    assert "uvicorn" not in lines


@pytest.mark.parametrize("proxies", [[], ["10.0.0.0/8"]])
def test_uvicorn_never_rewrites_the_client_from_forwarded_headers(proxies: list[str]) -> None:
    for reload in (False, True):
        args = serve.uvicorn_args(Settings(trusted_proxies=proxies), "127.0.0.1", 8000, reload)

        assert "--no-proxy-headers" in args
        assert "--proxy-headers" not in args
        assert "--forwarded-allow-ips" not in args
        assert ("--reload" in args) is reload


@pytest.fixture
async def proxied(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    # httpx's ASGI transport presents the peer as 127.0.0.1.
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    application = create_app()
    async with serving(application) as http:
        yield application, http


async def test_a_trusted_proxy_tells_the_scheme_for_links(
    proxied: tuple[FastAPI, AsyncClient],
) -> None:
    app, client = proxied
    admin = await user_factory(app, client)(email="root@example.com", is_superuser=True)
    body = {"sku": "P-1", "name": "Proxied", "price": "1.00"}

    created = await client.post(
        PRODUCTS, json=body, headers={**admin.headers, "X-Forwarded-Proto": "https"}
    )

    assert created.status_code == 201
    assert created.headers["location"].startswith("https://testserver/")


async def test_an_untrusted_peer_cannot_change_the_scheme(
    client: AsyncClient, superuser: Headers
) -> None:
    body = {"sku": "P-1", "name": "Direct", "price": "1.00"}

    created = await client.post(
        PRODUCTS, json=body, headers={**superuser, "X-Forwarded-Proto": "https"}
    )

    assert created.status_code == 201
    assert created.headers["location"].startswith("http://testserver/")


def make_run_command(port: int) -> list[str]:
    """The command `make run` serves with (its last line; the ones before migrate and seed)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    variables = ["HOST=127.0.0.1", f"PORT={port}", f"BIN={Path(sys.executable).parent}"]
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return shlex.split(dry_run.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def served_like_make_run(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    command = make_run_command(port)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def _forged_requests(url: str) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        return [
            (await http.get(PRODUCTS, headers={"X-Forwarded-For": forged})).status_code
            for forged in FORGED
        ]


LIMITED = {"API_RATE_LIMIT_ANON": "2/minute", "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}


@pytest.mark.slow
@pytest.mark.usefixtures("test_env")
async def test_served_like_make_run_a_local_client_cannot_forge_its_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    with served_like_make_run(tmp_path, LIMITED) as (url, log):
        codes = await _forged_requests(url)
        written = log.read_text()

    # One address, 127.0.0.1, whatever X-Forwarded-For says: the third is over its limit.
    assert codes == [401, 401, 429]
    assert '"client_ip": "127.0.0.1"' in written
    assert not [forged for forged in FORGED if forged in written]


@pytest.mark.slow
@pytest.mark.usefixtures("test_env")
async def test_served_like_make_run_a_trusted_proxy_still_names_the_client(
    tmp_path: Path,
) -> None:
    with served_like_make_run(tmp_path, {**LIMITED, "TRUSTED_PROXIES": "127.0.0.1"}) as (
        url,
        log,
    ):
        codes = await _forged_requests(url)
        written = log.read_text()

    assert codes == [401, 401, 401]
    assert all(f'"client_ip": "{forged}"' in written for forged in FORGED)
