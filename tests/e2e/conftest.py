"""Browser tests: a real uvicorn server on a free port with a fresh SQLite database, driven
through Debian's Chromium by Playwright. Skipped unless RUN_E2E=1 (`make test-e2e`)."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = ROOT / "docs" / "img"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "e2e-admin-pass-1"
STARTUP_SECONDS = 60.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("RUN_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="browser test: run with `make test-e2e` (RUN_E2E=1)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        page = getattr(item, "_e2e_page", None)
        if page is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            try:
                page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the real failure
                report.sections.append(("screenshot", f"could not save: {exc}"))
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'e2e.db'}",
        "FIRST_SUPERUSER_EMAIL": ADMIN_EMAIL,
        "FIRST_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        "BCRYPT_ROUNDS": "4",
        "LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_USER": "100000/minute",
        "API_RATE_LIMIT_ANON": "100000/minute",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    for step in (
        [python, "-m", "alembic", "upgrade", "head"],
        [python, "-m", "seeds.seed_create_app", "--demo"],
        [python, "-m", "tests.e2e.bootstrap"],
    ):
        subprocess.run(step, cwd=ROOT, env=env, check=True, timeout=300, capture_output=True)
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"server did not start: {(workdir / 'server.log').read_text()}")
        time.sleep(0.2)
    yield base
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


class Api:
    """Set-up through the public API, like any client: the browser only tests the UI."""

    def __init__(self, base: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
        self.http = httpx.Client(base_url=base, timeout=30)
        answer = self.http.post(
            "/api/v1/auth/login", data={"username": email, "password": password}
        )
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        created: dict[str, Any] = answer.json()
        return created

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.patch(path, json=body)
        assert answer.status_code == 200, answer.text
        changed: dict[str, Any] = answer.json()
        return changed

    def role(self, name: str, permissions: list[str]) -> dict[str, Any]:
        """The role named so (the seed's, when it made one), else a new one with these."""
        for role in self.get("/api/v1/roles", size=100)["items"]:
            if role["name"] == name:
                found: dict[str, Any] = role
                return found
        return self.post(
            "/api/v1/roles", {"name": name, "description": name, "permissions": permissions}
        )

    def user(self, email: str, password: str, role_ids: list[int]) -> dict[str, Any]:
        for user in self.get("/api/v1/users", q=email, size=100)["items"]:
            if user["email"] == email:
                return self.patch(f"/api/v1/users/{user['id']}", {"role_ids": role_ids})
        body = {"email": email, "full_name": email.split("@")[0].title(), "password": password}
        return self.post("/api/v1/users", {**body, "role_ids": role_ids})


@pytest.fixture(scope="session")
def api(server: str) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield browser
    browser.close()


class Recorder:
    """Every request the page makes and every console error it logs."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def unexpected_errors(self, *statuses: int) -> list[str]:
        """Console errors other than the browser's note on an HTTP status the test caused."""
        allowed = tuple(f"status of {status}" for status in statuses)
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Page:
    page = context.new_page()
    request.node._e2e_page = page
    page.recorder = Recorder(page)  # type: ignore[attr-defined]
    return page


def recorder(page: Page) -> Recorder:
    found: Recorder = page.recorder  # type: ignore[attr-defined]
    return found


def sign_in(page: Page, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/admin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    # Evaluated through the DevTools protocol: a <script> tag would (rightly) hit the CSP.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = json.loads(result)["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in impacts
    ]


def shoot(page: Page, name: str) -> None:
    """A screenshot for docs/ADMIN_GUIDE.md: every e2e run regenerates them."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
