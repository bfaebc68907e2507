"""The service's settings: one dataclass, read from the environment, embedded-mode defaults.

Nothing reads ``os.environ`` at import time: :meth:`Settings.from_env` is called by
``create_app`` (or a test builds ``Settings`` directly).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting that would make the service unsafe or unable to start."""


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    """``development`` (embedded defaults), ``test`` or ``production`` (strict checks)."""
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'csm.sqlite3'}"
    """SQLAlchemy URL. SQLite under instance/ by default; PostgreSQL in production."""
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    """At least 32 characters in production."""
    definitions_dir: Path = ROOT
    """The folder holding workflows/, forms/ and contexts/."""
    frozen_today: date | None = None
    """Pins today's date (FROZEN_TODAY=YYYY-MM-DD) for demos and tests."""
    token_ttl_hours: int = 12
    """Lifetime of an API token."""
    max_request_bytes: int = 256 * 1024
    """Largest request body accepted (413 above)."""
    password_hash_profile: str = "default"  # noqa: S105 - a profile name, not a password
    """``default`` (argon2id, RFC 9106 low-memory) or ``cheapest`` (tests only)."""
    context_cache_seconds: int = 20
    """How long a member's registry context may be reused between two steps (0: never)."""
    login_max_failures: int = 10
    """Failed logins before an account is locked for ``login_lock_minutes``."""
    login_lock_minutes: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        names = {f.name for f in fields(cls)}
        for name in names:
            raw = env.get(name.upper())
            if raw is None:
                continue
            values[name] = raw
        settings = cls()
        return settings.coerce(values)

    def coerce(self, values: Mapping[str, object]) -> Settings:
        converted: dict[str, object] = {}
        for f in fields(self):
            if f.name not in values:
                continue
            raw = values[f.name]
            current = getattr(self, f.name)
            if f.name == "frozen_today":
                converted[f.name] = date.fromisoformat(str(raw)) if raw else None
            elif f.name == "definitions_dir":
                converted[f.name] = Path(str(raw))
            elif isinstance(current, int):
                converted[f.name] = int(str(raw))
            else:
                converted[f.name] = str(raw)
        return replace(self, **converted)  # type: ignore[arg-type]

    def check(self) -> Settings:
        if self.environment not in ("development", "test", "production"):
            raise SettingsError(f"ENVIRONMENT must be development, test or production, "
                                f"not {self.environment!r}")
        if self.environment == "production":
            if len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must hold at least 32 characters in production")
            if self.database_url.startswith("sqlite"):
                raise SettingsError("production needs PostgreSQL (DATABASE_URL), not SQLite")
            if self.frozen_today is not None:
                raise SettingsError("FROZEN_TODAY is for demos and tests, not production")
            if self.password_hash_profile != "default":  # noqa: S105
                raise SettingsError("PASSWORD_HASH_PROFILE=cheapest is for tests only")
        return self
