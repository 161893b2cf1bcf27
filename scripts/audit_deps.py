"""Check the pinned runtime dependencies against the advisory databases with pip-audit.

Exit status, and why it is split this way:
- 1 when pip-audit reports a known vulnerability: that is a fact about our code, fix it.
- 0 with a loud warning block when the advisory lookup itself could not be done (no network,
  the service refused, a package the service does not know): that is a fact about the
  machine, and CI machines without the advisory service would otherwise never pass. Set
  `AUDIT_DEPS_REQUIRED=1` where the lookup must succeed (a release pipeline): then it fails.

    python -m scripts.audit_deps [-r requirements.txt]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BANNER = "=" * 72


def _warn(lines: list[str]) -> None:
    sys.stderr.write("\n".join([BANNER, *lines, BANNER]) + "\n")


def summarize(report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(vulnerabilities, skipped) as human lines."""
    vulnerable: list[str] = []
    skipped: list[str] = []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append(f"{dep['name']}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            vulnerable.append(f"{dep['name']} {dep.get('version', '?')}: {vuln['id']} ({fixes})")
    return vulnerable, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-r", "--requirement", default="requirements.txt")
    options = parser.parse_args(argv)
    required = os.environ.get("AUDIT_DEPS_REQUIRED") == "1"
    pip_audit = Path(sys.executable).with_name("pip-audit")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        command = [
            str(pip_audit),
            "--progress-spinner",
            "off",
            "-r",
            options.requirement,
            "-f",
            "json",
            "-o",
            str(out),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        report: dict[str, Any] | None = json.loads(out.read_text()) if out.exists() else None
    if report is None:
        _warn(
            [
                "audit-deps: pip-audit could NOT check the advisories "
                f"(exit {result.returncode}); dependencies are UNAUDITED.",
                *result.stderr.strip().splitlines()[-5:],
            ]
        )
        return 1 if required else 0
    vulnerable, skipped = summarize(report)
    if vulnerable:
        _warn(["audit-deps: KNOWN VULNERABILITIES in pinned dependencies:", *vulnerable])
        return 1
    if skipped:
        _warn(
            [
                f"audit-deps: {len(skipped)} of {len(report.get('dependencies', []))} "
                "dependencies could NOT be checked (the advisory service is unreachable "
                "or does not know them); they are UNAUDITED:",
                *skipped[:10],
                *(["..."] if len(skipped) > 10 else []),
            ]
        )
        return 1 if required else 0
    sys.stdout.write(
        f"audit-deps: {len(report.get('dependencies', []))} dependencies, "
        "no known vulnerabilities\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
