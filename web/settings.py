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
    """Lifetime of an API token, and absolute lifetime of a page session."""
    max_request_bytes: int = 256 * 1024
    """Largest request body accepted (413 above), except a step page's post (below)."""
    max_step_post_bytes: int = 20 * 1024 * 1024
    """Largest body of a step page's post (413 above). A wage declaration posts one line per
    employee, 5,000 or more: 8 fields each, about 1.5 MB url-encoded (bench/step_page.py), more
    with long names, as multipart or with a CSV file; 20 MB keeps a wide margin and still bounds
    the memory a post may take (the body and its fields are held in memory while parsed)."""
    password_hash_profile: str = "default"  # noqa: S105 - a profile name, not a password
    """``default`` (argon2id, RFC 9106 low-memory) or ``cheapest`` (tests only)."""
    context_cache_seconds: int = 20
    """How long a member's registry context may be reused between two steps (0: never)."""
    login_max_failures: int = 10
    """Failed logins before an account is locked for ``login_lock_minutes``."""
    login_lock_minutes: int = 60
    """How long a lock lasts; also how long a failure is remembered without another one."""
    login_ip_max_failures: int = 100
    """Failed logins from one client address, whatever the identifiers, after which that address
    is refused (the same generic answer) until ``login_lock_minutes`` pass without reaching it."""
    login_delay_after: int = 3
    """Failures after which each attempt must wait 2^(failures - this) seconds after the last."""
    login_delay_max_seconds: int = 60
    """The longest such wait."""
    password_policy: str = "fund_2024"  # noqa: S105 - a profile name
    """``fund_2024`` (the fund's rule: 7 or 8 characters, no character three times in a row)
    or ``recommended`` (15 to 128); the blocklist and personal data always apply."""
    session_idle_minutes: int = 30
    """A page session unused this long ends (its absolute lifetime is ``token_ttl_hours``)."""
    staff_session_idle_minutes: int = 15
    """A back-office (staff) session unused this long ends: 1 to 30 (SECURITY.md SESS-04); its
    absolute lifetime is ``token_ttl_hours`` too."""
    login_records_keep_days: int = 730
    """Connection records older than this are deleted by ``flask security purge``."""
    dead_tokens_keep_days: int = 7
    """Expired or revoked sessions and tokens, used or expired e-mail links, are kept this long
    (for investigations) before ``flask security purge`` deletes them."""
    mail_backend: str = "local"
    """``local`` (embedded default: messages stay in the outbox, read at ``/dev/mailbox``) or
    ``smtp`` (the ``mail send`` worker delivers them); production needs ``smtp``."""
    mail_host: str = ""
    """SMTP server the worker delivers to (needed with ``MAIL_BACKEND=smtp``)."""
    mail_port: int = 25
    """SMTP port: 25 (relay), 587 (``starttls``) or 465 (``ssl``) as a rule."""
    mail_username: str = ""
    """SMTP login, empty for none; in production only over ``starttls`` or ``ssl``."""
    mail_password: str = field(default="", repr=False)
    """SMTP password, from the environment or a secret store; never shown nor logged."""
    mail_security: str = "none"
    """``none``, ``starttls`` (upgrade a plain connection) or ``ssl`` (TLS from the start)."""
    mail_from: str = "Caisses Sociales de Monaco <no-reply@caisses-sociales.mc>"
    """The From header of every message; its domain also names the Message-IDs."""
    registration_email: str = "immatriculation@caisses-sociales.mc"
    """The Registration Department's (Service Immatriculation) address: the "write to" link of
    the personal data pages (ref 002), the service that manages civil status and addresses."""
    mail_timeout_seconds: int = 30
    """Network timeout of one SMTP connection."""
    mail_max_attempts: int = 8
    """Attempts per message (1 min, 2, 4... up to 1 h apart) before it is given up."""

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
        from web.accounts.policy import PROFILES
        if self.password_policy not in PROFILES:
            raise SettingsError(f"PASSWORD_POLICY must be one of {', '.join(PROFILES)},"
                                f" not {self.password_policy!r}")
        if self.mail_backend not in ("local", "smtp"):
            raise SettingsError(f"MAIL_BACKEND must be local or smtp, not {self.mail_backend!r}")
        if self.mail_security not in ("none", "starttls", "ssl"):
            raise SettingsError(f"MAIL_SECURITY must be none, starttls or ssl, "
                                f"not {self.mail_security!r}")
        if self.mail_backend == "smtp" and not self.mail_host:
            raise SettingsError("MAIL_BACKEND=smtp needs MAIL_HOST")
        if "@" not in self.registration_email.strip("@") or any(
                c in self.registration_email for c in " \t\r\n?&<>\"'"):
            raise SettingsError("REGISTRATION_EMAIL must be one e-mail address, not "
                                f"{self.registration_email!r}")
        if self.mail_max_attempts < 1:
            raise SettingsError("MAIL_MAX_ATTEMPTS must be at least 1")
        if not 1 <= self.staff_session_idle_minutes <= 30:
            raise SettingsError("STAFF_SESSION_IDLE_MINUTES must be between 1 and 30, not"
                                f" {self.staff_session_idle_minutes}")
        if self.environment == "production":
            if len(self.secret_key) < 32:
                raise SettingsError("SECRET_KEY must hold at least 32 characters in production")
            if self.database_url.startswith("sqlite"):
                raise SettingsError("production needs PostgreSQL (DATABASE_URL), not SQLite")
            if self.frozen_today is not None:
                raise SettingsError("FROZEN_TODAY is for demos and tests, not production")
            if self.password_hash_profile != "default":  # noqa: S105
                raise SettingsError("PASSWORD_HASH_PROFILE=cheapest is for tests only")
            if self.mail_backend != "smtp":
                raise SettingsError("production sends mail over SMTP (MAIL_BACKEND=smtp and "
                                    "MAIL_HOST), not to the local mailbox")
            if self.mail_username and self.mail_security == "none":
                raise SettingsError("MAIL_USERNAME needs MAIL_SECURITY=starttls or ssl in "
                                    "production: no SMTP password in clear")
        return self
