"""`make bench`: what every layer of FastOps costs, in figures (not a test; see bench/README.md).

For each database (SQLite file; PostgreSQL when it answers at BENCH_PG_URL) it migrates a fresh
database, seeds products, then serves it the way production does (one uvicorn worker pinned
with taskset to one core, uvloop + httptools) three times: the app, the app with CDC auditing
switched off (bench/noaudit.py), and the bare baseline (bench/baseline.py). `wrk`, pinned to
the other core, measures four operations against each. Then: list p50 at 1 k and at 1 M rows,
the archive of 1 M audit rows (rows/s, peak RSS), GET p99 while 4 clients log in, and a mixed
read/write load with a lost-write count.

    python -m bench.run [--quick] [--databases sqlite,postgresql]

Writes bench/results/bench-<time>.json, latest.json and latest.md, and prints the table.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "work"
PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/fastops_bench"
)
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-password-long-enough"
CATEGORIES = 100
APPS = {"app": "app.main:app", "noaudit": "bench.noaudit:app", "baseline": "bench.baseline:app"}
OPERATIONS = ("get", "list", "create", "update")
UNLIMITED = "1000000000/minute"


@dataclass
class Plan:
    quick: bool
    duration: int
    connections: int
    rows: int
    large_rows: int
    archive_rows: int
    mixed_seconds: int
    notes: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, quick: bool) -> "Plan":
        if quick:
            return cls(True, 5, 16, 1_000, 100_000, 100_000, 10)
        return cls(False, 15, 16, 1_000, 1_000_000, 1_000_000, 60)


# --- machinery -----------------------------------------------------------------------------


def log(message: str) -> None:
    sys.stderr.write(f"bench: {message}\n")
    sys.stderr.flush()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing Debian's package (apt-get install wrk)")
    apt = ["apt-get", "install", "-y", "-q", "wrk"]
    if os.geteuid() != 0:
        apt.insert(0, "sudo")
    subprocess.run(apt, check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk could not be installed")
    return found


def cores() -> tuple[str | None, str | None]:
    """(server core, load-generator core); None when there is only one core to use."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2 or not shutil.which("taskset"):
        return None, None
    return str(available[0]), str(available[1])


def pinned(core: str | None, command: list[str]) -> list[str]:
    return ["taskset", "-c", core, *command] if core is not None else command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def base_env(url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "API_RATE_LIMIT_USER": UNLIMITED,
        "API_RATE_LIMIT_ANON": UNLIMITED,
        "WORKERS": "1",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
    }
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@contextlib.contextmanager
def server(target: str, url: str, core: str | None) -> Iterator[str]:
    port = free_port()
    command = pinned(
        core,
        [
            sys.executable,
            "-m",
            "uvicorn",
            APPS[target],
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
    )
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / f"server-{target}.log").open("ab") as out:
        process = subprocess.Popen(command, env=base_env(url), cwd=ROOT, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited at start; see {WORK}/server-{target}.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/v1/products/1", timeout=1).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if match is None:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    base: str,
    script: str,
    *,
    seconds: int,
    connections: int,
    core: str | None,
) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    lua = WORK / f"script-{abs(hash(script))}.lua"
    lua.write_text(script)
    command = pinned(
        core,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(lua),
            base,
        ],
    )
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    extra = re.search(r"^RESULT (.*)$", output, re.M)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _latency_ms(p50.group(1)) if p50 else float("nan"),
        "p99_ms": _latency_ms(p99.group(1)) if p99 else float("nan"),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(bad.group(1)) if bad else 0,
        **(json.loads(extra.group(1)) if extra else {}),
    }


# --- wrk scripts ---------------------------------------------------------------------------

_COMMON_LUA = """
local token = "%(token)s"
local max_id = %(max_id)d
local categories = {%(categories)s}
local counter = 0
local tid = 0
local threads = {}
function setup(thread) tid = tid + 1; thread:set("tid", tid); table.insert(threads, thread) end
function init(args) math.randomseed(os.time() + (tid or 0) * 7919); counter = 0 end
local function headers(json)
  local h = {}
  if token ~= "" then h["Authorization"] = "Bearer " .. token end
  if json then h["Content-Type"] = "application/json" end
  return h
end
"""

_OPERATION_LUA = {
    "get": """
request = function()
  return wrk.format("GET", "/api/v1/products/" .. math.random(1, max_id), headers(false))
end
""",
    "list": """
request = function()
  local path = "/api/v1/products?category=" .. categories[math.random(1, #categories)]
  return wrk.format("GET", path .. "&sort=-price&size=20", headers(false))
end
""",
    "create": """
request = function()
  counter = counter + 1
  local sku = string.format("B%%s-%%d-%%d", tostring(tid), math.random(1, 1000000000), counter)
  local body = string.format(
    '{"sku": "%%s", "name": "Bench %%s", "price": "9.90", "stock": 3, "category": "cat-1"}',
    sku, sku)
  return wrk.format("POST", "/api/v1/products", headers(true), body)
end
""",
    "update": """
request = function()
  local body = string.format('{"stock": %%d}', math.random(0, 10000))
  return wrk.format("PATCH", "/api/v1/products/" .. math.random(1, max_id), headers(true), body)
end
""",
    "login": """
request = function()
  return wrk.format("POST", "/api/v1/auth/login",
    {["Content-Type"] = "application/x-www-form-urlencoded"},
    "username=%(email)s&password=%(password)s")
end
""",
    "mixed": """
local acked = 0
local errors = 0
request = function()
  local r = math.random(1, 10)
  if r <= 6 then
    return wrk.format("GET", "/api/v1/products/" .. math.random(1, max_id), headers(false))
  elseif r <= 8 then
    local path = "/api/v1/products?category=" .. categories[math.random(1, #categories)]
    return wrk.format("GET", path .. "&sort=-price&size=20", headers(false))
  elseif r <= 9 then
    local body = string.format('{"stock": %%d}', math.random(0, 10000))
    return wrk.format("PATCH", "/api/v1/products/" .. math.random(1, max_id), headers(true),
      body)
  end
  counter = counter + 1
  local sku = string.format("M%%s-%%d-%%d", tostring(tid), math.random(1, 1000000000), counter)
  local body = string.format('{"sku": "%%s", "name": "Mixed %%s", "price": "1.00"}', sku, sku)
  return wrk.format("POST", "/api/v1/products", headers(true), body)
end
response = function(status, headers, body)
  if status == 201 then acked = acked + 1 end
  if status >= 500 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local a, e = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("acked"); e = e + t:get("errors") end
  io.write(string.format('RESULT {"acked_creates": %%d, "errors_5xx": %%d}\\n', a, e))
end
""",
}


def lua(operation: str, token: str, max_id: int, categories: list[str] | None = None) -> str:
    names = categories or [f"cat-{n}" for n in range(CATEGORIES)]
    values = {
        "token": token,
        "max_id": max_id,
        "categories": ", ".join(json.dumps(quote(name)) for name in names),
        "email": ADMIN_EMAIL.replace("@", "%40"),
        "password": ADMIN_PASSWORD,
    }
    source = _COMMON_LUA % values + _OPERATION_LUA[operation] % values
    if operation == "mixed":
        # wrk reads per-thread globals in done(); keep the counters global there.
        source = source.replace("local acked = 0\nlocal errors = 0", "acked = 0\nerrors = 0")
    return source


# --- databases -----------------------------------------------------------------------------


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(
        make_url(url).set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


def pg_available(url: str) -> bool:
    parsed = make_url(url)
    try:
        socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), 2).close()
    except OSError:
        return False
    return True


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        path = WORK / "bench.db"
        for leftover in WORK.glob("bench.db*"):
            leftover.unlink()
        WORK.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    name = make_url(PG_URL).database
    asyncio.run(_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    return PG_URL


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        env=base_env(url),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def seed_supports_scale() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "seeds.seed_create_app", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return "--scale" in result.stdout


async def bulk_products(
    url: str, start: int, count: int, categories: list[str] | None = None
) -> None:
    """Rows straight into the table (no audit): the quickest way to reach 1 M rows."""
    from app.modules.products.models import Product

    table = Product.__table__  # type: ignore[attr-defined]
    names = categories or [f"cat-{n}" for n in range(CATEGORIES)]
    engine = create_async_engine(url, poolclass=NullPool)
    now = datetime.now(UTC)
    batch = 10_000
    async with engine.begin() as conn:
        for first in range(start, start + count, batch):
            rows = [
                {
                    "sku": f"SKU-{n:08d}",
                    "name": f"Product {n}",
                    "slug": f"product-{n}",
                    "category": names[n % len(names)],
                    "price": Decimal(n % 10_000) / 100,
                    "stock": n % 500,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for n in range(first, min(first + batch, start + count))
            ]
            await conn.execute(insert(table), rows)
    await engine.dispose()


async def product_shape(url: str) -> tuple[int, list[str]]:
    """(highest product id, the categories in use) of the seeded table."""
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        top = (await conn.execute(text("SELECT max(id) FROM products"))).scalar_one()
        names = (
            await conn.execute(
                text("SELECT DISTINCT category FROM products WHERE category IS NOT NULL")
            )
        ).scalars()
        categories = sorted(str(name) for name in names)
    await engine.dispose()
    return int(top or 0), categories


async def settle(url: str, table: str) -> None:
    """What autovacuum (PostgreSQL) or a scheduled ANALYZE (SQLite) does shortly after a bulk
    load: fresh planner statistics and, on PostgreSQL, a visibility map for index-only scans.
    Measuring before it would time the bulk load's aftermath, not the list query."""
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"VACUUM ANALYZE {table}"))
        else:
            await conn.execute(text(f"ANALYZE {table}"))
            await conn.commit()
    await engine.dispose()


async def count_rows(url: str, table: str, where: str = "") -> int:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        value = (await conn.execute(text(f"SELECT count(*) FROM {table} {where}"))).scalar_one()
    await engine.dispose()
    return int(value)


async def create_admin(url: str) -> None:
    from app.auth.schemas import UserCreate
    from app.auth.users_service import UserService
    from app.core.audit import install_audit_hooks
    from app.core.config import Settings
    from app.core.db.database import (
        create_engine,
        create_session_factory,
        run_in_own_transaction,
    )
    from app.core.security.permissions import Principal

    settings = Settings(database_url=url)
    engine = create_engine(settings)
    system = Principal(user_id=0, email="system:bench", is_superuser=True, permissions=frozenset())

    async def create(session: Any) -> None:
        await UserService(session, settings).create(
            UserCreate(
                email=ADMIN_EMAIL,
                full_name="Bench admin",
                password=ADMIN_PASSWORD,
                is_superuser=True,
                role_ids=[],
            ),
            system,
        )

    install_audit_hooks()
    await run_in_own_transaction(create_session_factory(engine), create)
    await engine.dispose()


def login(base: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/login",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=30,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


async def fill_audit(url: str, rows: int) -> None:
    from app.core.audit.tables import AUDIT_CHANGES

    engine = create_async_engine(url, poolclass=NullPool)
    old = datetime.now(UTC) - timedelta(days=400)
    batch = 10_000
    async with engine.begin() as conn:
        for first in range(0, rows, batch):
            await conn.execute(
                insert(AUDIT_CHANGES),
                [
                    {
                        "occurred_at": old,
                        "action": "update",
                        "entity": "products",
                        "entity_id": n,
                        "actor_id": 1,
                        "actor": ADMIN_EMAIL,
                        "request_id": f"{n:032x}",
                        "client_ip": "10.0.0.1",
                        "changes": {"stock": {"old": n, "new": n + 1}},
                    }
                    for n in range(first, min(first + batch, rows))
                ],
            )
    await engine.dispose()


def archive(url: str, rows: int) -> dict[str, Any]:
    out = WORK / "archive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "scripts.archive_audit",
        "--older-than-days",
        "30",
        "--output-dir",
        str(out),
    ]
    # Through a small parent whose only child is the archiver, so that the children's
    # ru_maxrss is the archiver's peak and not an earlier server's.
    measure = (
        "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "sys.stderr.write(f'\\nPEAK_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}');"
        " sys.exit(code)"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", measure, *command],
        env=base_env(url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    peak = re.search(r"PEAK_KB (\d+)", result.stderr)
    peak_kb = int(peak.group(1)) if peak else 0
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed) if result.returncode == 0 else 0,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "exit": result.returncode,
        "stderr": result.stderr[-500:] if result.returncode else "",
    }


# --- the run -------------------------------------------------------------------------------


def bench_database(
    kind: str, plan: Plan, server_core: str | None, load_core: str | None
) -> dict[str, Any]:
    url = fresh_database(kind)
    log(f"{kind}: migrating and seeding {plan.rows} products")
    migrate(url)
    if seed_supports_scale():
        subprocess.run(
            [sys.executable, "-m", "seeds.seed_create_app", "--scale", str(plan.rows)],
            env=base_env(url),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seeded = "seeds/seed_create_app.py --scale"
    else:
        asyncio.run(bulk_products(url, 1, plan.rows))
        seeded = "bulk insert (seed_create_app.py has no --scale yet)"
    asyncio.run(create_admin(url))
    max_id, categories = asyncio.run(product_shape(url))
    result: dict[str, Any] = {"seeded_by": seeded, "operations": {}}
    for target in ("baseline", "noaudit", "app"):
        with server(target, url, server_core) as base:
            token = login(base) if target != "baseline" else ""
            for operation in OPERATIONS:
                log(f"{kind}: {target} {operation}")
                figures = wrk(
                    base,
                    lua(operation, token, max_id, categories),
                    seconds=plan.duration,
                    connections=plan.connections,
                    core=load_core,
                )
                result["operations"].setdefault(operation, {})[target] = figures
            if target == "app":
                result["login_load"] = login_load(base, token, max_id, plan, load_core)
                result["mixed"] = mixed(url, base, token, max_id, plan, load_core, categories)
    log(f"{kind}: growing the table to {plan.large_rows} rows")
    grow = plan.large_rows - plan.rows
    asyncio.run(bulk_products(url, plan.rows + 10_000_000, grow, categories))
    asyncio.run(settle(url, "products"))
    with server("app", url, server_core) as base:
        token = login(base)
        large = wrk(
            base,
            lua("list", token, max_id, categories),
            seconds=plan.duration,
            connections=plan.connections,
            core=load_core,
        )
    result["list_scale"] = {
        "small_rows": plan.rows,
        "large_rows": plan.large_rows,
        "p50_small_ms": result["operations"]["list"]["app"]["p50_ms"],
        "p50_large_ms": large["p50_ms"],
    }
    log(f"{kind}: archive of {plan.archive_rows} audit rows")
    asyncio.run(fill_audit(url, plan.archive_rows))
    result["archive"] = archive(url, plan.archive_rows)
    return result


def login_load(base: str, token: str, max_id: int, plan: Plan, core: str | None) -> dict[str, Any]:
    """GET p99 alone, then while 4 clients log in continuously (bcrypt at production cost)."""
    idle = wrk(base, lua("get", token, max_id), seconds=plan.duration, connections=4, core=core)
    lua_path = WORK / "login.lua"
    lua_path.write_text(lua("login", "", max_id))
    logins = subprocess.Popen(
        pinned(core, ["wrk", "-t1", "-c4", f"-d{plan.duration + 2}s", "-s", str(lua_path), base]),
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    busy = wrk(base, lua("get", token, max_id), seconds=plan.duration, connections=4, core=core)
    login_out, _ = logins.communicate(timeout=plan.duration + 30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", login_out)
    return {
        "idle_p99_ms": idle["p99_ms"],
        "with_logins_p99_ms": busy["p99_ms"],
        "logins_per_s": float(rate.group(1)) if rate else 0.0,
    }


def mixed(
    url: str,
    base: str,
    token: str,
    max_id: int,
    plan: Plan,
    core: str | None,
    categories: list[str],
) -> dict[str, Any]:
    """32 connections of reads and writes; every acknowledged create must be there afterwards,
    each with its audit row."""
    audit_where = "WHERE entity = 'products' AND action = 'create'"
    products_before = asyncio.run(count_rows(url, "products"))
    audit_before = asyncio.run(count_rows(url, "audit_changes", audit_where))
    figures = wrk(
        base,
        lua("mixed", token, max_id, categories),
        seconds=plan.mixed_seconds,
        connections=32,
        core=core,
    )
    time.sleep(1)
    created = asyncio.run(count_rows(url, "products")) - products_before
    audited = asyncio.run(count_rows(url, "audit_changes", audit_where)) - audit_before
    acked = int(figures.get("acked_creates", 0))
    return {
        "seconds": plan.mixed_seconds,
        "connections": 32,
        "rps": figures["rps"],
        "p99_ms": figures["p99_ms"],
        "errors_5xx": figures.get("errors_5xx", 0),
        "acked_creates": acked,
        "rows_created": created,
        "audit_rows": audited,
        "lost_writes": max(0, acked - created),
        "missing_audit_rows": max(0, acked - audited),
    }


# --- the report ----------------------------------------------------------------------------


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference else "n/a"


def table(results: dict[str, Any]) -> str:
    lines = [
        "| database | operation | app req/s | p50 ms | p99 ms | no-audit req/s | baseline req/s "
        "| app/baseline | app/no-audit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, data in results["databases"].items():
        for operation in OPERATIONS:
            row = data["operations"][operation]
            app, noaudit, baseline = row["app"], row["noaudit"], row["baseline"]
            lines.append(
                f"| {kind} | {operation} | {app['rps']:.0f} | {app['p50_ms']:.2f} "
                f"| {app['p99_ms']:.2f} | {noaudit['rps']:.0f} | {baseline['rps']:.0f} "
                f"| {ratio(app['rps'], baseline['rps'])} | {ratio(app['rps'], noaudit['rps'])} |"
            )
    lines += ["", "| database | figure | value |", "|---|---|---|"]
    for kind, data in results["databases"].items():
        scale = data["list_scale"]
        lines.append(
            f"| {kind} | list p50 at {scale['small_rows']:,} vs {scale['large_rows']:,} rows "
            f"| {scale['p50_small_ms']:.2f} ms vs {scale['p50_large_ms']:.2f} ms "
            f"({ratio(scale['p50_large_ms'], scale['p50_small_ms'])}) |"
        )
        arch = data["archive"]
        lines.append(
            f"| {kind} | archive of {arch['rows']:,} audit rows | {arch['rows_per_s']:,} rows/s, "
            f"peak RSS {arch['peak_rss_mb']} MB (exit {arch['exit']}) |"
        )
        load = data["login_load"]
        lines.append(
            f"| {kind} | GET p99 idle vs 4 clients logging in | {load['idle_p99_ms']:.2f} ms vs "
            f"{load['with_logins_p99_ms']:.2f} ms "
            f"({ratio(load['with_logins_p99_ms'], load['idle_p99_ms'])}; "
            f"{load['logins_per_s']:.1f} logins/s) |"
        )
        mix = data["mixed"]
        lines.append(
            f"| {kind} | mixed load, 32 connections, {mix['seconds']} s | {mix['rps']:.0f} req/s, "
            f"{mix['errors_5xx']} 5xx, {mix['acked_creates']} creates acknowledged, "
            f"{mix['lost_writes']} lost, {mix['missing_audit_rows']} without audit row |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, 100 k instead of 1 M")
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args(argv)
    plan = Plan.make(options.quick)
    ensure_wrk()
    server_core, load_core = cores()
    if server_core is None:
        plan.notes.append("one core only: server and load generator share it")
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "seconds_per_run": plan.duration,
        "connections": plan.connections,
        "cores": {"server": server_core, "load": load_core},
        "python": sys.version.split()[0],
        "databases": {},
        "notes": plan.notes,
    }
    for kind in options.databases.split(","):
        if kind == "postgresql" and not pg_available(PG_URL):
            plan.notes.append(f"PostgreSQL not reachable at {PG_URL}: skipped")
            continue
        results["databases"][kind] = bench_database(kind, plan, server_core, load_core)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = json.dumps(results, indent=2, default=str)
    (RESULTS / f"bench-{stamp}.json").write_text(document)
    (RESULTS / "latest.json").write_text(document)
    rendered = table(results)
    (RESULTS / "latest.md").write_text(rendered + "\n")
    sys.stdout.write(rendered + "\n")
    for note in plan.notes:
        sys.stdout.write(f"note: {note}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
