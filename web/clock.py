"""The one clock. ``FROZEN_TODAY`` pins the date for demos and tests; the time of day stays real.

Tests may also move time on (:meth:`Clock.advance`) or stop it altogether (:meth:`Clock.freeze`),
to check what happens 31 minutes or 12 hours later without waiting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


class Clock:
    def __init__(self, frozen_today: date | None = None) -> None:
        self.frozen_today = frozen_today
        self.offset = timedelta()
        """Added to every reading (tests move time on with :meth:`advance`)."""
        self.frozen_at: datetime | None = None
        """When set (by :meth:`freeze`), the instant the clock shows, plus ``offset``."""

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at + self.offset
        real = datetime.now(UTC)
        if self.frozen_today is not None:
            real = datetime.combine(self.frozen_today, real.time().replace(tzinfo=None),
                                    tzinfo=UTC)
        return real + self.offset

    def today(self) -> date:
        return self.now().date()

    def start_of_day(self) -> datetime:
        return datetime.combine(self.today(), time(0), tzinfo=UTC)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on (tests only); returns the new time."""
        self.offset += delta
        return self.now()

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at ``at`` (default: now): only :meth:`advance` moves it (tests only)."""
        if at is not None and at.tzinfo is None:
            raise ValueError("the clock reads aware UTC datetimes")
        self.frozen_at = (at or self.now()).astimezone(UTC)
        self.offset = timedelta()
        return self.frozen_at
