"""Run FastOps: `make serve` (production, WORKERS processes), `make run` and `make dev`.

Everything comes from Settings: the worker count, the graceful-shutdown window (in-flight
requests finish and the access log is flushed on SIGTERM). uvicorn is always told to leave
X-Forwarded-For and X-Forwarded-Proto alone: by default it believes them from any local peer,
so a client on the same host could claim any address. The app reads them itself, from
TRUSTED_PROXIES only (app.core.http.net). The Prometheus multiprocess directory is emptied first:
files left by an earlier run would be summed into this one's.

    python -m scripts.serve --host 0.0.0.0 --port 8000
    python -m scripts.serve --reload        # development: restart on code changes
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

from app.core.config import Settings, get_settings

# Not imported from app.core.observability.metrics: importing prometheus_client with this
# variable set creates files in the directory, which must be emptied before any worker starts.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def uvicorn_args(settings: Settings, host: str, port: int, reload: bool = False) -> list[str]:
    args = [
        "app.main:app",
        "--host",
        host,
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        str(settings.graceful_shutdown_seconds),
        "--timeout-keep-alive",
        "5",
        "--no-server-header",
        "--no-access-log",
        "--no-proxy-headers",
    ]
    # uvicorn's reloader runs one process and ignores --workers.
    args += ["--reload"] if reload else ["--workers", str(settings.workers)]
    return args


def prepare_metrics_dir(directory: str) -> None:
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reload", action="store_true", help="restart when the code changes")
    parser.add_argument("--dry-run", action="store_true", help="print the command, do not run")
    options = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as error:
        sys.stderr.write(f"serve: {error}\n")
        return 2
    directory = os.environ.get(MULTIPROC_ENV)
    args = uvicorn_args(settings, options.host, options.port, options.reload)
    command = [sys.executable, "-m", "uvicorn", *args]
    if options.dry_run:
        sys.stdout.write(" ".join(command) + "\n")
        return 0
    if directory:
        prepare_metrics_dir(directory)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main())
