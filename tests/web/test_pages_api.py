"""The public pages over HTTP: landing, guides, the docs pages, the admin shell."""

import re

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import create_async_engine

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def assets(html: str) -> list[str]:
    return [url for url in ASSET.findall(html) if not url.startswith(("#", "data:"))]


async def test_landing_needs_no_token_and_links_everything(
    app: FastAPI, client: AsyncClient
) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for link in ('href="/admin"', 'href="/docs"', 'href="/redoc"', 'href="/guides/'):
        assert link in response.text
    assert "Operational" in response.text
    assert f'<strong data-testid="version">{app.version}</strong>' in response.text
    assert "<script" not in response.text


async def test_landing_says_degraded_when_the_database_does_not_answer(
    app: FastAPI, client: AsyncClient
) -> None:
    healthy = app.state.engine
    app.state.engine = create_async_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 1}
    )
    try:
        response = await client.get("/")
    finally:
        await app.state.engine.dispose()
        app.state.engine = healthy

    assert response.status_code == 200
    assert "Degraded" in response.text


async def test_docs_and_redoc_load_only_same_origin_assets(client: AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        response = await client.get(path)

        assert response.status_code == 200
        urls = assets(response.text)
        assert urls, path
        assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
        assert "cdn" not in response.text.lower()
        for url in urls:
            if url.startswith("/static/"):
                assert (await client.get(url)).status_code == 200, url


async def test_fastapi_cdn_docs_are_gone_and_openapi_stays(client: AsyncClient) -> None:
    docs = await client.get("/docs")

    assert "cdn.jsdelivr.net" not in docs.text
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404


async def test_every_html_page_has_a_strict_csp(client: AsyncClient) -> None:
    for path in ("/", "/admin", "/guides/ALEMBIC_GUIDE"):
        response = await client.get(path)
        policy = response.headers["content-security-policy"]

        assert "default-src 'self'" in policy
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        assert "base-uri 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
        assert "<script>" not in response.text


async def test_docs_pages_allow_inline_styles_but_never_inline_script(
    client: AsyncClient,
) -> None:
    for path in ("/docs", "/redoc"):
        policy = (await client.get(path)).headers["content-security-policy"]

        assert "script-src 'self';" in policy
        assert "style-src 'self' 'unsafe-inline'" in policy
        assert "frame-ancestors 'none'" in policy


async def test_json_responses_get_no_csp(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert "content-security-policy" not in response.headers


async def test_admin_shell_is_public_and_loads_modules_from_the_app(
    client: AsyncClient,
) -> None:
    response = await client.get("/admin")

    assert response.status_code == 200
    assert 'type="module"' in response.text
    assert response.headers["cache-control"] == "no-cache"
    urls = assets(response.text)
    assert any(url.endswith("admin/main.js") for url in urls)
    assert any(url.endswith("chart.umd.min.js") for url in urls)


async def test_guides_render_escaped_and_unknown_ones_are_404(client: AsyncClient) -> None:
    response = await client.get("/guides/ALEMBIC_GUIDE")

    assert response.status_code == 200
    assert "<h1>" in response.text
    assert (await client.get("/guides/NOPE")).status_code == 404
    assert (await client.get("/guides/..%2Fapp")).status_code in (404, 422)
    assert (await client.get("/guides/img/missing.png")).status_code == 404


async def test_admin_guide_shows_its_screenshots(client: AsyncClient) -> None:
    guide = await client.get("/guides/ADMIN_GUIDE")
    image = await client.get("/guides/img/dashboard.png")

    assert 'src="/guides/img/dashboard.png"' in guide.text
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
