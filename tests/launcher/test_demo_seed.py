"""The demo's sample hours: last week complete and this week up to today, on every weekday."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tipro import clock
from tipro.demo import DEMO_TODAY_ENV, pin_clock_from_env, sample_days

MONDAY = date(2026, 11, 16)
LAST_WEEK = [date(2026, 11, d) for d in (9, 10, 11, 12, 13)]


@pytest.mark.parametrize(
    ("weekday", "this_week"),
    [
        (0, [16]),
        (1, [16, 17]),
        (2, [16, 17, 18]),
        (3, [16, 17, 18, 19]),
        (4, [16, 17, 18, 19, 20]),
        (5, [16, 17, 18, 19, 20]),
        (6, [16, 17, 18, 19, 20]),
    ],
    ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
)
def test_current_week_is_lived_in_whatever_the_weekday(frozen_clock, weekday, this_week):
    frozen_clock(datetime(2026, 11, 16 + weekday, 8, 30))
    today = clock.today()
    plan = sample_days(today)
    assert [day for day, _ in plan] == LAST_WEEK + [date(2026, 11, d) for d in this_week]
    # Today has the morning so far, every earlier day a full day.
    assert all(hours == ("4" if day == today else "7,5") for day, hours in plan)
    assert any(clock.monday_of(day) == MONDAY for day, _ in plan)


def test_demo_clock_is_pinned_only_by_its_variable(monkeypatch):
    monkeypatch.delenv(DEMO_TODAY_ENV, raising=False)
    assert pin_clock_from_env() is False
    monkeypatch.setenv(DEMO_TODAY_ENV, "2026-11-18")
    try:
        assert pin_clock_from_env() is True
        assert clock.today() == date(2026, 11, 18)
    finally:
        clock.set_now(None)
