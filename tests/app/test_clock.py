"""Sweden's day from the one clock: the zone, today, a day's bounds across the
DST nights, and the moment a wall clock shows a time (kiosk/clock.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from kiosk import clock

SPRING = date(2026, 3, 29)  # clocks go forward 02:00 -> 03:00
AUTUMN = date(2026, 10, 25)  # clocks go back 03:00 -> 02:00


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_a_day_is_23_hours_in_spring_25_in_autumn_and_24_otherwise():
    start, end = clock.day_bounds(SPRING)
    assert (start, end - start) == (utc(2026, 3, 28, 23), timedelta(hours=23))
    start, end = clock.day_bounds(AUTUMN)
    assert (start, end - start) == (utc(2026, 10, 24, 22), timedelta(hours=25))
    start, end = clock.day_bounds(date(2026, 11, 26))
    assert (start, end) == (utc(2026, 11, 25, 23), utc(2026, 11, 26, 23))


def test_the_bounds_of_several_days_run_from_the_first_midnight_to_the_last():
    start, end = clock.day_bounds(date(2026, 3, 28), date(2026, 3, 30))
    assert (start, end) == (utc(2026, 3, 27, 23), utc(2026, 3, 30, 22))


@pytest.mark.parametrize("at, day", [
    (utc(2026, 11, 26, 22, 59), date(2026, 11, 26)),  # 23.59 in winter
    (utc(2026, 11, 26, 23, 0), date(2026, 11, 27)),   # midnight in winter: tomorrow, still the 26th in UTC
    (utc(2026, 6, 30, 22, 30), date(2026, 7, 1)),     # 00.30 in summer
])
def test_the_local_date_is_swedens_not_utcs(at, day):
    assert clock.local_date(at) == day
    assert clock.local(at).date() == day


def test_today_follows_the_moved_clock(frozen_clock):
    frozen_clock.freeze(utc(2026, 12, 31, 23, 30))  # New Year's Day in Stockholm
    assert clock.today() == date(2027, 1, 1)


def test_a_wall_time_is_the_first_of_a_repeated_hour_and_lands_after_the_spring_gap():
    assert clock.wall(date(2026, 11, 26), time(14, 30)) == utc(2026, 11, 26, 13, 30)
    assert clock.wall(date(2026, 7, 1), time(14, 30)) == utc(2026, 7, 1, 12, 30)
    assert clock.wall(AUTUMN, time(2, 30)) == utc(2026, 10, 25, 0, 30)  # the first 02:30 (summer time)
    assert clock.local(clock.wall(SPRING, time(2, 30))).time() == time(3, 30)
    assert clock.shows(AUTUMN, time(2, 30)) and clock.shows(SPRING, time(3, 0))
    assert not clock.shows(SPRING, time(2, 30))


def test_the_zone_comes_from_the_configuration(make_app):
    try:
        make_app(BABEL_DEFAULT_TIMEZONE="Europe/Helsinki")
        assert clock.zone().key == "Europe/Helsinki"
        assert clock.day_bounds(date(2026, 11, 26))[0] == utc(2026, 11, 25, 22)
    finally:
        clock.use_zone(clock.DEFAULT_ZONE)
    make_app()
    assert clock.zone().key == "Europe/Stockholm"


def test_an_unknown_zone_stops_start_up(make_app):
    from zoneinfo import ZoneInfoNotFoundError

    try:
        with pytest.raises(ZoneInfoNotFoundError):
            make_app(BABEL_DEFAULT_TIMEZONE="Europe/Atlantis")
    finally:
        clock.use_zone(clock.DEFAULT_ZONE)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_time_of_day_is_written_as_babel_writes_it_across_both_dst_nights(app, lang):
    """``local_time`` writes the language's pattern itself (the boards ask for
    hundreds); Babel's pattern engine, which it stands in for, is the reference."""
    from flask_babel import format_time

    from kiosk.i18n import local_time, time_pattern

    moments = [utc(2026, 3, 28, 22) + timedelta(minutes=7 * k, seconds=k % 60) for k in range(0, 2 * 24 * 60 // 7)]
    moments += [utc(2026, 10, 24, 22) + timedelta(minutes=7 * k, seconds=59) for k in range(0, 2 * 24 * 60 // 7)]
    with app.test_request_context(f"/?lang={lang}"):
        written = [local_time(at) for at in moments]
        assert written == [format_time(at, time_pattern()) for at in moments]
    assert written[0] == ("23.00" if lang == "sv" else "23:00")
