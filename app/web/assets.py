"""Static files with cache headers: content-versioned URLs are immutable, the rest revalidate.

Pages link assets as `/static/v-<hash>/...`, where the hash covers every file under
`static/`: a deploy that changes any asset changes every URL, so browsers may keep a
versioned asset for a year. The admin UI's ES modules import each other by relative path,
so they inherit the version of the page that loaded them. Unversioned URLs still work, with
`no-cache` so the browser revalidates through the ETag that StaticFiles sends.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache
def asset_version(root: Path = STATIC_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_url(path: str) -> str:
    return f"/static/v-{asset_version()}/{path.lstrip('/')}"


class VersionedStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        head, _, rest = path.partition("/")
        versioned = head.startswith("v-") and bool(rest)
        response = await super().get_response(rest if versioned else path, scope)
        if response.status_code in (200, 304):
            current = versioned and head == f"v-{asset_version()}"
            response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        return response
