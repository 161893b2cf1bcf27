"""Schemathesis against a real server, from the app's own OpenAPI document: every operation,
as an admin and as a read-only viewer. Zero 5xx, every answer conforms to the documented
status codes, content types and schemas; and the negative cases should change no row (an
expected failure for now: see its reason).

Bounded: each run has a time budget (FUZZ_SECONDS, default 40) and a cap on examples.
"""

import asyncio
import os
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app.core.permissions import registry
from tests.ops.servers import Server, running
from tests.users import MakeUser

pytestmark = pytest.mark.slow

BUDGET = os.environ.get("FUZZ_SECONDS", "40")
# Operations that would end the fuzzer's own session or lock its account: fuzzing them with
# the run's token measures nothing but a 401 storm afterwards. They have their own tests.
EXCLUDED_PATHS = "^/api/v1/auth/(logout|change-password|sessions/)"
# Tables whose rows are the record of the run itself (access log, security events).
LOG_TABLES = frozenset({"audit_access", "audit_changes"})


async def row_counts(database_url: str) -> dict[str, int]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for name, table in SQLModel.metadata.tables.items():
            if name not in LOG_TABLES:
                counts[name] = (
                    await conn.execute(select(func.count()).select_from(table))
                ).scalar_one()
    await engine.dispose()
    return counts


CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)


async def schemathesis(
    server: Server, token: str, report: Path, *args: str, checks: str = CHECKS
) -> tuple[int, str]:
    """schemathesis' exit code, and what to show when it is not 0."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{server.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        checks,
        "--exclude-path-regex",
        EXCLUDED_PATHS,
        "--max-time",
        BUDGET,
        "--max-examples",
        "25",
        "--request-timeout",
        "20",
        # One worker: two threads have crashed CPython 3.11's compiler inside hypothesis.
        "--workers",
        "1",
        "--seed",
        "20261124",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *args,
    ]
    # Not subprocess.run: this process's event loop must keep running (the in-process app's
    # access-log writer would otherwise sit on SQLite's write lock for the whole run).
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    raw, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    output = raw.decode(errors="replace")
    report.with_suffix(".txt").write_text(output)
    return process.returncode or 0, (
        f"schemathesis found problems:\n{output[-12000:]}\nserver log:\n{server.log()}"
    )


async def _signed_in(app: FastAPI, make_user: MakeUser, role: str) -> str:
    if role == "admin":
        user = await make_user(email="fuzz-admin@example.com", is_superuser=True)
    else:
        reads = sorted(p.name for p in registry.all() if p.action == "read")
        user = await make_user(*reads, email="fuzz-viewer@example.com")
    # The in-process app's access-log writer must not hold SQLite's write lock meanwhile.
    await app.state.access_log.flush()
    return user.headers["Authorization"].removeprefix("Bearer ")


SERVER_ENV = {
    "API_RATE_LIMIT_USER": "1000000/minute",
    "API_RATE_LIMIT_ANON": "1000000/minute",
    "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
}


@pytest.mark.parametrize("role", ["admin", "viewer"])
async def test_openapi_fuzzing_finds_no_5xx_and_no_nonconformance(
    role: str, app: FastAPI, make_user: MakeUser, tmp_path: Path
) -> None:
    token = await _signed_in(app, make_user, role)
    with running(tmp_path, SERVER_ENV) as server:
        code, log = await schemathesis(server, token, tmp_path / "all.xml", "--mode", "all")
    assert code == 0, log


@pytest.mark.xfail(
    reason="Known gap: schemathesis' negative runs (examples and coverage phases) still get 201s "
    "for some create operations (tasks, users, products, customers); lax booleans, integers and "
    "dates are refused now, the remaining cases are not yet identified.",
    strict=False,
)
async def test_negative_fuzzing_cases_change_no_rows(
    app: FastAPI, make_user: MakeUser, database_url: str, tmp_path: Path
) -> None:
    token = await _signed_in(app, make_user, "admin")
    with running(tmp_path, SERVER_ENV) as server:
        before = await row_counts(database_url)
        code, log = await schemathesis(
            server,
            token,
            tmp_path / "negative.xml",
            "--mode",
            "negative",
            "--phases",
            "examples,coverage,fuzzing",
        )
        after = await row_counts(database_url)

    assert code == 0, log
    assert after == before
