"""The one clock: Oslo dates and UTC instants, settable for tests and the demo.

Norwegian dates are dates in Europe/Oslo whatever the server's zone. Everything that asks
"what day is it" or "what time is it" goes through here, so a test can pin the clock
(`clock.set_now(...)` or the `frozen_clock` fixture) instead of depending on today's weekday.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

# A fixed instant (UTC) when pinned; None means the real clock. Process-wide on purpose:
# a pinned clock must hold for server threads started by a test as well.
_pinned: datetime | None = None


def now() -> datetime:
    """Timezone-aware now in UTC (stored as UTC everywhere)."""
    return _pinned if _pinned is not None else datetime.now(UTC)


def now_in_oslo() -> datetime:
    return now().astimezone(OSLO)


def today() -> date:
    """Today in Oslo."""
    return now_in_oslo().date()


def aware(instant: datetime) -> datetime:
    """An instant with its zone: a naive one (SQLite returns stored ones so) is UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def oslo_date(instant: datetime) -> date:
    """The Oslo calendar day of an instant (naive instants are taken as UTC)."""
    return aware(instant).astimezone(OSLO).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def set_now(instant: datetime | None) -> None:
    """Pin the clock to `instant` (naive = Oslo wall time), or release it with None."""
    global _pinned
    if instant is not None and instant.tzinfo is None:
        instant = instant.replace(tzinfo=OSLO)
    _pinned = instant.astimezone(UTC) if instant is not None else None


@contextmanager
def pinned(instant: datetime) -> Iterator[None]:
    """Run a block with the clock pinned; restores what was there before."""
    global _pinned
    saved = _pinned
    set_now(instant)
    try:
        yield
    finally:
        _pinned = saved
