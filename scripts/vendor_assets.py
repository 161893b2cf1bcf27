"""Vendor the browser libraries the web pages use, from pinned npm releases.

Internal networks have no CDN, so every asset the landing page, the API docs and the admin UI
load is committed under `app/web/static/vendor/` (and axe-core, which only the browser tests
use, under `tests/e2e/vendor/`). Each run fetches the exact versions below with `npm pack`
into a temporary directory, copies only the files the pages load plus each licence, and writes
`MANIFEST.json` with name, version and the SHA-256 of every copied file.

    python -m scripts.vendor_assets           # (re)vendor everything
    python -m scripts.vendor_assets --check   # verify the committed files against MANIFEST.json
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_VENDOR = ROOT / "app" / "web" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "e2e" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the npm tarball's `package/` folder
    dest: Path
    purpose: str
    # (file name, upstream text, replacement): each must match exactly once.
    patches: tuple[tuple[str, str, str], ...] = ()


PACKAGES: tuple[Package, ...] = (
    Package(
        "swagger-ui-dist",
        "5.35.0",
        ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"),
        APP_VENDOR,
        "Swagger UI at /docs",
    ),
    Package(
        "redoc",
        # 3.x loads its module worker through import.meta and icons from a CDN; 2.5 is the
        # classic standalone bundle.
        "2.5.2",
        ("bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt", "LICENSE"),
        APP_VENDOR,
        "ReDoc at /redoc",
        # The sidebar's "API docs by Redocly" badge is an <img> on a CDN: internal networks
        # cannot reach it and the CSP refuses it, so it becomes an empty inline SVG.
        patches=(
            (
                "redoc.standalone.js",
                "https://cdn.redoc.ly/redoc/logo-mini.svg",
                "data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E",
            ),
        ),
    ),
    Package(
        "htm",
        "3.1.1",
        # htm's standalone module bundles Preact and its hooks: one file, no import map
        # (an inline import map would need a CSP exception).
        ("preact/standalone.module.js", "LICENSE"),
        APP_VENDOR,
        "Preact + htm for the admin UI",
    ),
    Package(
        "chart.js",
        "4.6.1",
        # The UMD build has no bare imports, so it loads without a bundler or import map.
        ("dist/chart.umd.min.js", "LICENSE.md"),
        APP_VENDOR,
        "charts on the admin dashboard",
    ),
    Package(
        "axe-core",
        "4.14.1",
        ("axe.min.js", "LICENSE"),
        TEST_VENDOR,
        "accessibility checks in the browser tests",
    ),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(package: Package, workdir: Path) -> Path:
    """`npm pack` the exact release and unpack it; returns its `package/` folder."""
    spec = f"{package.name}@{package.version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / result.stdout.strip().splitlines()[-1]
    target = workdir / package.name
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def vendor(package: Package, workdir: Path) -> dict[str, object]:
    source = fetch(package, workdir)
    out = package.dest / package.name
    if out.exists():
        shutil.rmtree(out)
    files: dict[str, str] = {}
    upstream: dict[str, str] = {}
    for relative in package.files:
        dest = out / Path(relative).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, dest)
        files[dest.name] = sha256(dest)
    for name, old, new in package.patches:
        path = out / name
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise SystemExit(f"vendor: patch for {package.name}/{name} no longer applies")
        upstream[name] = files[name]
        path.write_text(text.replace(old, new), encoding="utf-8")
        files[name] = sha256(path)
    entry: dict[str, object] = {
        "name": package.name,
        "version": package.version,
        "purpose": package.purpose,
        "source": f"npm pack {package.name}@{package.version}",
        "files": files,
    }
    if package.patches:
        entry["patches"] = [{"file": n, "from": o, "to": t} for n, o, t in package.patches]
        entry["upstream_sha256"] = upstream
    return entry


def write_manifests(entries: list[tuple[Package, dict[str, object]]]) -> None:
    for dest in {package.dest for package, _ in entries}:
        rows = [entry for package, entry in entries if package.dest == dest]
        (dest / "MANIFEST.json").write_text(json.dumps(rows, indent=2) + "\n")


def check() -> int:
    """Exit 1 when a vendored file is missing or differs from its manifest checksum."""
    bad = 0
    for dest in {package.dest for package in PACKAGES}:
        for entry in json.loads((dest / "MANIFEST.json").read_text()):
            for name, digest in entry["files"].items():
                path = dest / entry["name"] / name
                if not path.is_file() or sha256(path) != digest:
                    print(f"vendor: {path.relative_to(ROOT)} does not match MANIFEST.json")
                    bad += 1
    print("vendor: all files match" if not bad else f"vendor: {bad} mismatches")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="verify instead of fetching")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    entries: list[tuple[Package, dict[str, object]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            package.dest.mkdir(parents=True, exist_ok=True)
            entries.append((package, vendor(package, Path(tmp))))
            print(f"vendor: {package.name}@{package.version}")
    write_manifests(entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
