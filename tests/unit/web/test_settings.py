"""Settings: read from the environment, embedded defaults, production refuses unsafe values."""

from __future__ import annotations

from datetime import date

import pytest

from web.settings import Settings, SettingsError


def test_defaults_are_the_embedded_mode():
    settings = Settings.from_env({}).check()
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///") and "instance" in settings.database_url
    assert settings.frozen_today is None


def test_environment_values_are_converted():
    settings = Settings.from_env({"FROZEN_TODAY": "2026-11-23", "TOKEN_TTL_HOURS": "3",
                                  "DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert settings.frozen_today == date(2026, 11, 23)
    assert settings.token_ttl_hours == 3
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("env,message", [
    ({"SECRET_KEY": "dev"}, "SECRET_KEY"),
    ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite:///x.db"}, "PostgreSQL"),
    ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://h/db", "FROZEN_TODAY": "2026-01-01"},
     "FROZEN_TODAY"),
    ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://h/db",
      "PASSWORD_HASH_PROFILE": "cheapest"}, "tests only"),
])
def test_production_refuses_unsafe_settings(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"ENVIRONMENT": "production", **env}).check()


def test_production_with_safe_settings_starts():
    settings = Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": "k" * 40,
                                  "DATABASE_URL": "postgresql+psycopg://h/db",
                                  "MAIL_BACKEND": "smtp", "MAIL_HOST": "smtp.example.mc"}).check()
    assert settings.environment == "production"


def test_unknown_environment_is_refused():
    with pytest.raises(SettingsError):
        Settings.from_env({"ENVIRONMENT": "staging"}).check()
