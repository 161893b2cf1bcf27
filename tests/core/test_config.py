import re
import secrets

import pytest
from pydantic import ValidationError

from app.core.config import DEV_SECRET, Settings

STRONG = "Yq3v8Jf0sLrT2wNc7HbE4uKx9ZaPm1Gd6VhR5yQeXo"
PG = "postgresql+asyncpg://app@db/fastops"
# A refusal names the setting in words; it never shows a pattern or a Python repr.
NOT_A_REPR = re.compile(r"[\[\]{}\\^$]|\b(?:IPv[46]Network|Settings|Field)\(")


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "production",
        "database_url": PG,
        "secret_key": STRONG,
        "trusted_hosts": ["ops.example.com"],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def refusal(**overrides: object) -> str:
    with pytest.raises(ValidationError) as caught:
        production(**overrides)
    message = str(caught.value.errors()[0]["msg"])
    assert NOT_A_REPR.search(message) is None, message
    return message


def test_production_refuses_a_weak_secret() -> None:
    assert "SECRET_KEY" in refusal(secret_key="short")


def test_production_refuses_sqlite() -> None:
    assert "SQLite" in refusal(database_url="sqlite+aiosqlite:///./x.db")


def test_production_refuses_wildcard_cors_with_credentials() -> None:
    assert "CORS" in refusal(cors_origins=["*"], cors_allow_credentials=True)


def test_several_workers_need_redis() -> None:
    with pytest.raises(ValidationError, match="REDIS_URL"):
        Settings(workers=4)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "  ",
        "a" * 32,
        "ab" * 24,
        "0123456789" * 4,
        DEV_SECRET.upper(),
        DEV_SECRET + " ",
        f"  {DEV_SECRET.title()}\n",
    ],
)
def test_production_refuses_a_guessable_secret(secret: str) -> None:
    message = refusal(secret_key=secret)

    assert "SECRET_KEY" in message
    assert not secret.strip() or secret.strip() not in message


@pytest.mark.parametrize(
    "secret",
    [secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_urlsafe(24), STRONG],
)
def test_production_accepts_a_generated_secret(secret: str) -> None:
    assert production(secret_key=secret).secret_key == secret


@pytest.mark.parametrize(
    "proxies",
    [["0.0.0.0/0"], ["::/0"], ["10.0.0.0/8", "0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"]],
)
def test_production_refuses_trusting_every_address_as_a_proxy(proxies: list[str]) -> None:
    message = refusal(trusted_proxies=proxies)

    assert "TRUSTED_PROXIES" in message
    assert "every" in message


def test_a_proxy_entry_that_is_not_an_address_is_refused_in_any_environment() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(trusted_proxies=["10.0.0.0/8", "proxy.internal"])

    message = str(caught.value.errors()[0]["msg"])
    assert "TRUSTED_PROXIES" in message
    assert "proxy.internal" in message


@pytest.mark.parametrize("rounds", [4, 9])
def test_production_refuses_a_cheap_bcrypt_cost(rounds: int) -> None:
    message = refusal(bcrypt_rounds=rounds)

    assert "BCRYPT_ROUNDS" in message
    assert "10" in message


@pytest.mark.parametrize("hosts", [["*"], ["ops.example.com", "*"], []])
def test_production_refuses_accepting_any_host(hosts: list[str]) -> None:
    assert "TRUSTED_HOSTS" in refusal(trusted_hosts=hosts)


def test_every_refusal_is_listed_at_once() -> None:
    message = refusal(secret_key="a" * 32, trusted_proxies=["::/0"], bcrypt_rounds=4)

    assert all(name in message for name in ("SECRET_KEY", "TRUSTED_PROXIES", "BCRYPT_ROUNDS"))


def test_development_trusts_only_local_host_names_by_default() -> None:
    hosts = Settings().trusted_hosts

    assert {"localhost", "127.0.0.1", "testserver"} <= set(hosts)
    assert "*" not in hosts


def test_safe_production_settings_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://ops.example.com, https://admin.example.com")
    monkeypatch.setenv("TRUSTED_HOSTS", "ops.example.com, *.ops.example.com")
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32")

    settings = Settings(environment="production", database_url=PG, secret_key=STRONG)

    assert settings.cors_origins == ["https://ops.example.com", "https://admin.example.com"]
    assert settings.trusted_hosts == ["ops.example.com", "*.ops.example.com"]
    assert settings.trusted_proxies == ["10.0.0.0/8", "2001:db8::/32"]
    assert settings.bcrypt_rounds >= 10
    assert settings.json_logs


def test_a_refusal_does_not_echo_the_secret() -> None:
    secret = "Password1" * 4
    with pytest.raises(ValidationError) as caught:
        production(secret_key=secret, bcrypt_rounds=4)

    assert "SECRET_KEY" in str(caught.value)
    assert secret not in str(caught.value)
