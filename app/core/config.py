"""Every tunable of FastOps, read from the environment or `.env` (see `.env.example`)."""

import ipaddress
import math
from collections import Counter
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "test", "production"]

DEV_SECRET = "dev-secret-key-change-me-never-use-in-production"
WEAK_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "dev-secret-key-change-me", DEV_SECRET}
)
MIN_SECRET_LENGTH = 32
# Shannon entropy of the key's characters times its length: a generated key has far more
# (token_hex(16) never came below 93 bits in 100 000 draws, token_urlsafe(48) has ~300).
MIN_SECRET_BITS = 90
MIN_BCRYPT_ROUNDS = 10
# Names a developer's browser, curl and the test clients send; production lists its own.
LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1", "testserver"]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


def secret_weakness(secret: str) -> str | None:
    """Why `secret` could be guessed, or None. An estimate: it catches the defaults, short
    keys, few distinct characters, repeated chunks and runs (abcd..., 1234...)."""
    key = secret.strip()
    if not key:
        return "it is empty"
    if key.casefold() in WEAK_SECRETS or DEV_SECRET in key.casefold():
        return "it is the development default or a placeholder"
    if len(key) < MIN_SECRET_LENGTH:
        return f"it has fewer than {MIN_SECRET_LENGTH} characters"
    counts = Counter(key).values()
    bits = -sum(n * math.log2(n / len(key)) for n in counts)
    if bits < MIN_SECRET_BITS:
        return "it uses too few distinct characters"
    pairs = list(pairwise(key))
    runs = sum(abs(ord(a) - ord(b)) <= 1 for a, b in pairs)
    if len(set(pairs)) < len(pairs) / 2 or runs >= len(pairs) / 2:
        return "it repeats itself or runs through a sequence"
    return None


def proxy_problems(entries: list[str], production: bool) -> list[str]:
    """TRUSTED_PROXIES entries that are not addresses; in production, ranges that together
    cover every address (anyone could then claim any address in X-Forwarded-For)."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            return [
                f"TRUSTED_PROXIES has {entry}, which is not an IP address or network "
                "(such as 10.0.0.0/8): list the addresses of your reverse proxies"
            ]
    if not production:
        return []
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return [
        f"TRUSTED_PROXIES covers every IPv{version} address: any client could then claim "
        "any address in X-Forwarded-For; list only your reverse proxies"
        for version, merged in (
            (4, ipaddress.collapse_addresses(v4)),
            (6, ipaddress.collapse_addresses(v6)),
        )
        if any(network.prefixlen == 0 for network in merged)
    ]


class Settings(BaseSettings):
    # A refusal is printed at start-up: it must not echo the values (the secrets among them).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, hide_input_in_errors=True
    )

    environment: Environment = "development"
    app_name: str = "FastOps"
    app_version: str = "0.1.0"

    database_url: str = "sqlite+aiosqlite:///./fastops.db"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    cors_origins: CsvList = Field(default_factory=list)
    cors_allow_credentials: bool = False
    # Host header values served; anything else is a 400, so no link or redirect the app
    # builds can name a host it was not configured for.
    trusted_hosts: CsvList = Field(default_factory=lambda: list(LOCAL_HOSTS))
    trusted_proxies: CsvList = Field(default_factory=list)

    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    page_size_default: int = Field(default=20, ge=1)
    page_size_max: int = Field(default=100, ge=1)
    max_offset: int = Field(default=10_000, ge=0)
    export_max_rows: int = Field(default=100_000, ge=1)
    require_if_match: bool = False

    # 32+ bytes so PyJWT does not warn with the default HS256; refused in production.
    secret_key: str = DEV_SECRET
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "fastops"
    jwt_audience: str = "fastops-api"
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=7, ge=1)
    refresh_reuse_grace_seconds: int = Field(default=0, ge=0)
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)

    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)
    api_rate_limit_user: str = "1200/minute"
    api_rate_limit_anon: str = "300/minute"
    redis_url: str | None = None
    workers: int = Field(default=1, ge=1, le=64)
    # `make serve`: seconds to finish in-flight requests (and flush the access log) on
    # SIGTERM, and to receive a whole request body before answering 408.
    graceful_shutdown_seconds: int = Field(default=30, ge=1, le=600)
    request_body_timeout_seconds: float = Field(default=30.0, gt=0)

    first_superuser_email: str | None = None
    first_superuser_password: str | None = None

    change_reason_max_length: int = Field(default=500, ge=1)
    access_log_queue_size: int = Field(default=10_000, ge=1)
    access_log_batch_size: int = Field(default=500, ge=1)
    audit_retention_days: float = Field(default=90.0, ge=0)
    audit_archive_dir: str = "./audit-archive"
    audit_archive_key: str | None = None

    quality_gate: bool = True
    quality_pass_threshold: float = Field(default=95.0, ge=0, le=100)

    metrics_token: str | None = None
    metrics_allowed_networks: CsvList = Field(default_factory=list)

    # --- Redis as the throttle's and rate limiter's store (security hardening) ---
    # How long a Redis call may take before login answers 503 and the API limit lets the
    # request through: a Redis that hangs must not hang every request with it.
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=30)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.is_production
        return self.log_format == "json"

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in (
                "cors_origins",
                "trusted_hosts",
                "trusted_proxies",
                "metrics_allowed_networks",
            ):
                for candidate in (key, key.upper()):
                    if candidate in data:
                        data[candidate] = _split_csv(data[candidate])
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        problems = self.unsafe_reasons()
        if problems:
            raise ValueError("Refusing to start: " + "; ".join(problems))
        return self

    def unsafe_reasons(self) -> list[str]:
        """Why this configuration must not serve: always for >1 worker without Redis,
        malformed proxies, and the production-only checks on secrets, password hashing,
        database, proxies, hosts and CORS."""
        problems = proxy_problems(self.trusted_proxies, self.is_production)
        if self.workers > 1 and not self.redis_url:
            problems.append(
                "WORKERS > 1 needs REDIS_URL: in-process rate-limit counters "
                "cannot be shared between processes"
            )
        if not self.is_production:
            return problems
        if weakness := secret_weakness(self.secret_key):
            problems.append(
                f"SECRET_KEY is too weak to sign tokens ({weakness}): use at least "
                f"{MIN_SECRET_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.bcrypt_rounds < MIN_BCRYPT_ROUNDS:
            problems.append(
                f"BCRYPT_ROUNDS is {self.bcrypt_rounds}: production needs at least "
                f"{MIN_BCRYPT_ROUNDS}, or a stolen password hash is cheap to crack"
            )
        if not self.trusted_hosts or "*" in self.trusted_hosts:
            problems.append(
                "TRUSTED_HOSTS must list the host names clients use (such as "
                "ops.example.com): with * any Host header is served, and links and "
                "redirects could point at another site"
            )
        if self.is_sqlite:
            problems.append(
                "DATABASE_URL points at SQLite: production needs PostgreSQL "
                "(postgresql+asyncpg://...) so that several processes can share it"
            )
        if "*" in self.cors_origins and self.cors_allow_credentials:
            problems.append(
                "CORS_ORIGINS='*' with CORS_ALLOW_CREDENTIALS=true would let any site "
                "act with a user's credentials: list the allowed origins"
            )
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
