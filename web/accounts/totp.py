"""The staff's second factor: time-based one-time codes (TOTP, RFC 6238; SECURITY.md AUTH-11).

Six digits, a new code every 30 seconds, HMAC-SHA1: what every authenticator app reads from an
``otpauth://`` URI or its QR code. A code is accepted for its own 30-second step and one step
either side (a phone's clock drifts, a person types slowly), and only once: the step of the last
accepted code is kept on the account (``totp_last_step``) and a code of that step or an earlier
one is refused, so a code seen over a shoulder or in a log cannot be replayed.

Nothing here reads the clock, the request or the database: callers pass ``now`` (the app's
clock) and the account, and store what :func:`verify` changed on it in their transaction.
Codes are compared in constant time (``pyotp.utils.strings_equal``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pyotp
from pyotp.utils import strings_equal

from web.db.models import Account

ISSUER = "CSM services en ligne"
"""The name an authenticator app shows beside the account."""
DIGITS = 6
INTERVAL = 30
"""Seconds per step: a new code every 30 seconds."""
DRIFT = 1
"""Steps accepted either side of the current one."""

Verdict = Literal["accepted", "wrong", "replayed", "no_secret"]


def new_secret() -> str:
    """A new random secret: 32 base32 characters, 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def step_at(now: datetime) -> int:
    """The 30-second step ``now`` falls in (counted from 1970-01-01 UTC, as RFC 6238 does)."""
    if now.tzinfo is None:
        raise ValueError("the clock reads aware UTC datetimes")
    return int(now.timestamp()) // INTERVAL


def code_at(secret: str, now: datetime, steps: int = 0) -> str:
    """The code of ``now``'s step moved by ``steps`` (what the authenticator app shows)."""
    return _totp(secret).generate_otp(step_at(now) + steps)


def seconds_left(now: datetime) -> int:
    """How long the current step still lasts."""
    return INTERVAL - int(now.timestamp()) % INTERVAL


def provisioning_uri(secret: str, identifier: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app enrols from (typed or as a QR)."""
    return _totp(secret).provisioning_uri(name=identifier, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to read out and type: ``ABCD EFGH ...``."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean(code: str) -> str:
    """What was typed, without the spaces and dashes people put between digit groups."""
    return "".join(code.split()).replace("-", "")


def check(secret: str | None, last_step: int | None, code: str,
          now: datetime) -> tuple[Verdict, int | None]:
    """The verdict on ``code``, and for an accepted one the step it belongs to.

    ``wrong``: not the code of the current step nor of the step either side (a code from two
    steps ago is wrong); ``replayed``: the code of a step not after ``last_step``;
    ``no_secret``: nothing to check against (the account is not enrolled)."""
    if not secret:
        return "no_secret", None
    typed = clean(code)
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return "wrong", None
    totp, current = _totp(secret), step_at(now)
    matched = [step for step in range(current - DRIFT, current + DRIFT + 1)
               if strings_equal(typed, totp.generate_otp(step))]  # every step compared
    if not matched:
        return "wrong", None
    fresh = [step for step in matched if last_step is None or step > last_step]
    if not fresh:
        return "replayed", None
    return "accepted", max(fresh)


def verify(account: Account, code: str, now: datetime) -> bool:
    """Whether ``code`` opens ``account`` now; when it does, its step is recorded on the
    account (the caller commits), so the same code is refused the next time."""
    verdict, step = check(account.totp_secret, account.totp_last_step, code, now)
    if verdict != "accepted":
        return False
    account.totp_last_step = step
    return True


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
