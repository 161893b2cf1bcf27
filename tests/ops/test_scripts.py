"""`make serve`'s command line, `make audit-deps`'s verdicts, and the cron scripts run as files."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from scripts import audit_deps, serve


def test_serve_runs_the_configured_workers_and_leaves_proxy_headers_to_the_app() -> None:
    plain = serve.uvicorn_args(Settings(workers=1), "0.0.0.0", 8000)
    proxied = serve.uvicorn_args(
        Settings(workers=4, redis_url="redis://r:6379/0", trusted_proxies=["10.0.0.0/8"]),
        "127.0.0.1",
        9000,
    )

    assert plain[plain.index("--workers") + 1] == "1"
    assert "--no-proxy-headers" in plain
    assert proxied[proxied.index("--workers") + 1] == "4"
    # The app reads X-Forwarded-* from TRUSTED_PROXIES itself (tests/core/test_proxy_trust_api).
    assert "--no-proxy-headers" in proxied
    assert "--forwarded-allow-ips" not in proxied
    assert "--timeout-graceful-shutdown" in proxied


def test_serve_empties_the_metrics_directory(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")

    serve.prepare_metrics_dir(str(directory))

    assert directory.is_dir()
    assert list(directory.iterdir()) == []


def test_serve_dry_run_prints_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve.main(["--dry-run", "--port", "8123"]) == 0
    assert "uvicorn app.main:app" in capsys.readouterr().out


def _fake_audit(monkeypatch: pytest.MonkeyPatch, report: dict[str, Any] | None) -> None:
    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        if report is not None:
            Path(command[command.index("-o") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(command, 1, "", "network unreachable")

    monkeypatch.setattr(subprocess, "run", run)


@pytest.mark.parametrize(
    ("report", "required", "code"),
    [
        ({"dependencies": [{"name": "a", "version": "1", "vulns": []}]}, False, 0),
        (
            {"dependencies": [{"name": "a", "version": "1", "vulns": [{"id": "X-1"}]}]},
            False,
            1,
        ),
        ({"dependencies": [{"name": "a", "skip_reason": "not found"}]}, False, 0),
        ({"dependencies": [{"name": "a", "skip_reason": "not found"}]}, True, 1),
        (None, False, 0),
        (None, True, 1),
    ],
)
def test_audit_deps_fails_on_vulnerabilities_and_warns_on_lookup_failures(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    report: dict[str, Any] | None,
    required: bool,
    code: int,
) -> None:
    monkeypatch.setenv("AUDIT_DEPS_REQUIRED", "1" if required else "0")
    _fake_audit(monkeypatch, report)

    assert audit_deps.main([]) == code
    output = capsys.readouterr()
    if report is None or "skip_reason" in json.dumps(report):
        assert "UNAUDITED" in output.err


@pytest.mark.parametrize(
    "script", ["seeds/seed_create_app.py", "scripts/archive_audit.py", "scripts/purge_sessions.py"]
)
def test_scripts_run_by_file_path_as_a_crontab_line_calls_them(script: str, tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[2] / script
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    done = subprocess.run(
        [sys.executable, str(path), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
