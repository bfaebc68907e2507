"""The one clock. ``FROZEN_TODAY`` pins the date for demos and tests; the time of day stays real."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


class Clock:
    def __init__(self, frozen_today: date | None = None) -> None:
        self.frozen_today = frozen_today

    def now(self) -> datetime:
        real = datetime.now(UTC)
        if self.frozen_today is None:
            return real
        return datetime.combine(self.frozen_today, real.time().replace(tzinfo=None), tzinfo=UTC)

    def today(self) -> date:
        return self.now().date()

    def start_of_day(self) -> datetime:
        return datetime.combine(self.today(), time(0), tzinfo=UTC)
