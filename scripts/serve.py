"""Run FastOps the way production does (`make serve`): uvicorn with WORKERS processes.

Everything comes from Settings: the worker count, the trusted proxies (the only peers whose
X-Forwarded-For / X-Forwarded-Proto are believed), the graceful-shutdown window (in-flight
requests finish and the access log is flushed on SIGTERM). The Prometheus multiprocess
directory is emptied first: files left by an earlier run would be summed into this one's.

    python -m scripts.serve --host 0.0.0.0 --port 8000
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


def uvicorn_args(settings: Settings, host: str, port: int) -> list[str]:
    args = [
        "app.main:app",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(settings.workers),
        "--timeout-graceful-shutdown",
        str(settings.graceful_shutdown_seconds),
        "--timeout-keep-alive",
        "5",
        "--no-server-header",
        "--no-access-log",
    ]
    if settings.trusted_proxies:
        args += ["--proxy-headers", "--forwarded-allow-ips", ",".join(settings.trusted_proxies)]
    else:
        args.append("--no-proxy-headers")
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
    parser.add_argument("--dry-run", action="store_true", help="print the command, do not run")
    options = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as error:
        sys.stderr.write(f"serve: {error}\n")
        return 2
    directory = os.environ.get(MULTIPROC_ENV)
    command = [sys.executable, "-m", "uvicorn", *uvicorn_args(settings, options.host, options.port)]
    if options.dry_run:
        sys.stdout.write(" ".join(command) + "\n")
        return 0
    if directory:
        prepare_metrics_dir(directory)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main())
