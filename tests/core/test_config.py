import pytest
from pydantic import ValidationError

from app.core.config import Settings

STRONG = "x" * 48
PG = "postgresql+asyncpg://app@db/fastops"


def test_production_refuses_a_weak_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", database_url=PG, secret_key="short")


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="SQLite"):
        Settings(environment="production", secret_key=STRONG)


def test_production_refuses_wildcard_cors_with_credentials() -> None:
    with pytest.raises(ValidationError, match="CORS"):
        Settings(
            environment="production",
            database_url=PG,
            secret_key=STRONG,
            cors_origins=["*"],
            cors_allow_credentials=True,
        )


def test_several_workers_need_redis() -> None:
    with pytest.raises(ValidationError, match="REDIS_URL"):
        Settings(workers=4)


def test_safe_production_settings_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://ops.example.com, https://admin.example.com")

    settings = Settings(environment="production", database_url=PG, secret_key=STRONG)

    assert settings.cors_origins == ["https://ops.example.com", "https://admin.example.com"]
    assert settings.json_logs
