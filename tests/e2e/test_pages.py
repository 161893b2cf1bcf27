"""The public pages in a real browser: landing, guides, Swagger UI and ReDoc."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations, recorder, shoot

pytestmark = pytest.mark.e2e


def other_hosts(urls: list[str], base: str) -> list[str]:
    own = urlsplit(base).netloc
    return [
        u for u in urls if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != own
    ]


def test_landing_page_shows_health_version_and_links(page: Page, server: str) -> None:
    page.goto("/")

    expect(page.get_by_role("heading", name="FastOps", level=1)).to_be_visible()
    expect(page.get_by_test_id("health")).to_contain_text("Operational")
    for name in ("Open the admin UI", "Interactive API docs (Swagger UI)", "API reference (ReDoc)"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert axe_violations(page) == []
    assert other_hosts(recorder(page).requests, server) == []
    assert recorder(page).unexpected_errors() == []
    shoot(page, "landing")


def test_landing_page_reads_well_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")

    width = page.evaluate("document.documentElement.scrollWidth")

    assert width <= 390
    expect(page.get_by_role("link", name="Open the admin UI")).to_be_visible()


def test_guides_render_from_the_landing_page(page: Page) -> None:
    page.goto("/")
    guides = page.get_by_role("article", name="Guides").get_by_role("link")
    expect(guides.first).to_be_visible()

    guides.first.click()

    expect(page.locator("article.guide h1").first).to_be_visible()
    assert recorder(page).unexpected_errors() == []


def test_swagger_ui_renders_with_no_other_host(page: Page, server: str) -> None:
    page.goto("/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("FastOps")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert other_hosts(recorder(page).requests, server) == []
    assert recorder(page).unexpected_errors() == []


def test_swagger_authorize_uses_the_password_flow(page: Page) -> None:
    page.goto("/docs")
    page.get_by_role("button", name="Authorize").click()

    dialog = page.locator(".auth-container")

    expect(dialog.first).to_contain_text("password")
    expect(dialog.first).to_contain_text("/api/v1/auth/login")


def test_redoc_renders_with_no_other_host(page: Page, server: str) -> None:
    page.goto("/redoc")

    expect(page.locator("h1").first).to_contain_text("FastOps")
    expect(page.get_by_text("Download OpenAPI specification").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert other_hosts(recorder(page).requests, server) == []
    assert recorder(page).unexpected_errors() == []
