"""How many times an address did something in the last hour, counted in the database.

Anonymous actions that touch the registry or create rows (a subscription's registry look-up, the
start of a public procedure) are capped per client address. The count lives in
``login_throttles`` (one row per ``key``, e.g. ``ip:subscription:<address>``), so every process
shares it, and is written in a transaction of its own: a refused request rolls its own work
back, the count stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from web.db.models import LoginThrottle

WINDOW = timedelta(hours=1)


def count_in_window(session: Session, key: str, now: datetime,
                    window: timedelta = WINDOW) -> int:
    """Count one more under ``key`` (at most 64 characters kept), in a transaction of its own;
    how many in the window."""
    with Session(session.get_bind()) as own, own.begin():
        return bump(own, key, now, window)


def bump(session: Session, key: str, now: datetime, window: timedelta = WINDOW) -> int:
    """Count one more under ``key`` in the caller's transaction (the row stays locked until it
    ends); how many in the window. The window runs from its first count: a fixed window."""
    key = key[:64]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)
                          .with_for_update().execution_options(populate_existing=True)).one()
    if row.last_failure_at is None or row.last_failure_at + window <= now:
        row.failures, row.last_failure_at = 0, now  # a new window starts
    row.failures += 1
    return row.failures

def count_now(session: Session, key: str, now: datetime, window: timedelta = WINDOW) -> int:
    """How many were counted under ``key`` in the current window (0 once it has passed)."""
    row = session.get(LoginThrottle, key[:64])
    if row is None or row.last_failure_at is None or row.last_failure_at + window <= now:
        return 0
    return row.failures
