"""Schemathesis against a real server, from the app's own OpenAPI document: every operation,
as an admin and as a read-only viewer. Zero 5xx, every answer conforms to the documented
status codes, content types and schemas; and every request the document declares invalid is
refused and changes no row.

Bounded: each run has a time budget (FUZZ_SECONDS, default 40) and a cap on examples.
"""

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.core.audit.tables import AUDIT_CHANGES
from app.core.security.permissions import registry
from tests.ops.servers import Server, running
from tests.users import MakeUser

pytestmark = pytest.mark.slow

BUDGET = os.environ.get("FUZZ_SECONDS", "40")
# Operations that would end the fuzzer's own session or lock its account: fuzzing them with
# the run's token measures nothing but a 401 storm afterwards. They have their own tests.
EXCLUDED_PATHS = "^/api/v1/auth/(logout|change-password|sessions/)"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Sent:
    method: str
    uri: str
    body: object
    status: int
    request_id: str | None


def negative_requests(events: Path) -> list[Sent]:
    """What schemathesis sent as invalid for the document, read from its NDJSON event log.

    `--mode negative` sends valid requests too, and they may create rows: the document's own
    examples, and draws whose mutation left them valid. Schemathesis marks those `positive`
    (`ValueContainer.mode` in schemathesis.specs.openapi._hypothesis), so they are left out.
    """
    sent: list[Sent] = []
    for line in events.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if scenario is None:
            continue
        recorder = scenario["recorder"]
        for case_id, interaction in recorder.get("interactions", {}).items():
            case = recorder["cases"][case_id]["value"]
            mode = (case.get("meta") or {}).get("generation", {}).get("mode")
            response = interaction.get("response")
            if mode != "negative" or response is None:
                continue
            headers = {name.lower(): values for name, values in response["headers"].items()}
            sent.append(
                Sent(
                    method=case["method"],
                    uri=interaction["request"]["uri"],
                    body=case.get("body"),
                    status=response["status_code"],
                    request_id=next(iter(headers.get("x-request-id", [])), None),
                )
            )
    return sent


async def changing_request_ids(database_url: str) -> set[str]:
    """The requests that changed a record: each committed change has its audit row."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(AUDIT_CHANGES.c.request_id).where(AUDIT_CHANGES.c.event.is_(None))
        )
        ids = {request_id for (request_id,) in rows if request_id}
    await engine.dispose()
    return ids


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
        "junit,ndjson",
        "--report-junit-path",
        str(report),
        "--report-ndjson-path",
        str(report.with_suffix(".ndjson")),
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


async def test_negative_fuzzing_cases_change_no_rows(
    app: FastAPI, make_user: MakeUser, database_url: str, tmp_path: Path
) -> None:
    token = await _signed_in(app, make_user, "admin")
    report = tmp_path / "negative.xml"
    with running(tmp_path, SERVER_ENV) as server:
        code, log = await schemathesis(
            server,
            token,
            report,
            "--mode",
            "negative",
            "--phases",
            "examples,coverage,fuzzing",
            checks=f"{CHECKS},negative_data_rejection",
        )
    changed = await changing_request_ids(database_url)

    assert code == 0, log
    negative = negative_requests(report.with_suffix(".ndjson"))
    assert negative, "schemathesis sent no invalid request"
    accepted = [s for s in negative if s.method in UNSAFE_METHODS and s.status < 400]
    assert not accepted, accepted
    assert not [s for s in negative if s.request_id in changed]
