"""Static files: versioned URLs are immutable, plain ones revalidate through their ETag."""

import json
from pathlib import Path

import pytest
from httpx import AsyncClient

from app.web.assets import IMMUTABLE, STATIC_DIR, asset_version, static_url
from scripts import vendor_assets


async def test_versioned_asset_is_cacheable_for_a_year(client: AsyncClient) -> None:
    response = await client.get(static_url("css/site.css"))

    assert response.status_code == 200
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["etag"]


async def test_plain_or_outdated_asset_url_revalidates_with_its_etag(client: AsyncClient) -> None:
    for url in ("/static/css/site.css", "/static/v-000000000000/css/site.css"):
        first = await client.get(url)
        again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})

        assert first.headers["cache-control"] == "no-cache"
        assert again.status_code == 304


async def test_missing_asset_is_404(client: AsyncClient) -> None:
    assert (await client.get(static_url("nope.js"))).status_code == 404


async def test_javascript_is_served_as_javascript(client: AsyncClient) -> None:
    response = await client.get(static_url("admin/main.js"))

    assert response.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )


def test_asset_version_changes_with_the_content(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("one")
    before = asset_version(tmp_path)
    asset_version.cache_clear()
    (tmp_path / "a.js").write_text("two")

    assert asset_version(tmp_path) != before
    asset_version.cache_clear()


def test_vendored_files_match_their_manifest() -> None:
    assert vendor_assets.check() == 0
    manifest = json.loads((STATIC_DIR / "vendor" / "MANIFEST.json").read_text())
    names = {entry["name"] for entry in manifest}
    assert {"swagger-ui-dist", "redoc", "htm", "chart.js"} <= names
    for entry in manifest:
        assert entry["version"][0].isdigit()
        assert any(name.startswith("LICENSE") for name in entry["files"])


def test_a_changed_vendored_file_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "lib.js").write_text("tampered")
    entry = {"name": "lib", "version": "1.0.0", "files": {"lib.js": "0" * 64}}
    (tmp_path / "MANIFEST.json").write_text(json.dumps([entry]))
    package = vendor_assets.Package("lib", "1.0.0", ("lib.js",), tmp_path, "test")
    monkeypatch.setattr(vendor_assets, "PACKAGES", (package,))
    monkeypatch.setattr(vendor_assets, "ROOT", tmp_path)

    assert vendor_assets.check() == 1
