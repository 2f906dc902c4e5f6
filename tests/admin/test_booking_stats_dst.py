"""The occupancy statistics on the days Sweden changes its clocks (issue 13).

On 2027-03-28 (23 hours: 02:00 becomes 03:00) and 2027-10-31 (25 hours: the
hour 02 comes twice) bookings and use across the changed hour count their
real minutes, land in the right hour-of-day x weekday cells (Sunday), and every
total is the sum of its rows, in the page, the CSVs and the numbers behind them."""

import csv
import io
from datetime import datetime, timezone

import pytest

from kiosk import clock
from kiosk.bookings import service as bookings
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import log_in

SUNDAY = 6
WHO = Actor("test")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def visit(room_id: int, check_in: datetime, free: datetime) -> None:
    """A visit from check-in to free again, through the state machine."""
    clock.freeze(check_in)
    service.check_in(room_id, WHO)
    service.start_meeting(room_id, WHO, skip_reason="urgent")
    clock.freeze(free)
    service.end_meeting(room_id, WHO)
    service.finish(room_id, WHO, "held")


def read_csv(client, url: str) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def occupancy(client, q: str) -> tuple[dict[str, list[int]], list[int]]:
    rows = read_csv(client, f"/admin/stats/bookings/occupancy.csv?{q}")
    hours = {row[0]: [int(v) for v in row[1:]] for row in rows[1:-1]}
    totals = [int(v) for v in rows[-1][1:]]
    # every hour's total is the sum of its weekdays, every weekday's the sum of its hours
    assert all(sum(v[:7]) == v[7] for v in hours.values())
    assert totals[:7] == [sum(v[d] for v in hours.values()) for d in range(7)]
    assert totals[7] == sum(totals[:7]) == sum(v[7] for v in hours.values())
    return hours, totals


def per_room(client, q: str) -> tuple[list[list[int]], list[int]]:
    rows = read_csv(client, f"/admin/stats/bookings/bookings.csv?{q}")
    body = [[int(v) for v in row[2:]] for row in rows[1:-1]]
    total = [int(v) for v in rows[-1][2:]]
    assert total == [sum(row[i] for row in body) for i in range(8)]
    # bookings = checked in + released + not started; visits = to a booking + ad hoc
    assert total[2] == total[3] + total[4] + total[5]
    return body, total


@pytest.fixture
def two_rooms(admin_app, make_unit, make_room):
    unit_id = make_unit(name="Sommartidsenheten")
    return unit_id, make_room(unit_id=unit_id, name="Rum A", slug="rum-a"), make_room(unit_id=unit_id, name="Rum B",
                                                                                      slug="rum-b")


def admin(admin_app, make_admin):
    client = admin_app.test_client()
    log_in(client, make_admin("global"))
    return client


def test_the_spring_change_day_counts_its_23_hours(frozen_clock, admin_app, make_admin, two_rooms):
    unit_id, a, b = two_rooms
    day = "2027-03-28"
    with admin_app.app_context():
        clock.freeze(utc(2027, 3, 27, 20, 0))  # the evening before
        # 01:30-03:30 on the clock is one real hour (02:00 does not exist that night)
        bookings.create(a, WHO, bookings.parse_local(day, "01:30"), bookings.parse_local(day, "03:30"))
        bookings.create(a, WHO, bookings.parse_local(day, "05:00"), bookings.parse_local(day, "05:30"))
        visit(a, bookings.parse_local(day, "01:30"), bookings.parse_local(day, "03:30"))  # claims the first
        visit(b, bookings.parse_local(day, "03:10"), bookings.parse_local(day, "04:20"))  # ad hoc
        clock.freeze(bookings.parse_local(day, "05:11"))
        service.release_if_expired(a)  # nobody came at 05:00
        clock.freeze(bookings.parse_local(day, "12:00"))
    client = admin(admin_app, make_admin)
    q = f"unit={unit_id}&from={day}&to={day}"
    hours, totals = occupancy(client, q)
    assert hours["01"][SUNDAY] == 30 and hours["02"][SUNDAY] == 0 and hours["03"][SUNDAY] == 30 + 50
    assert hours["04"][SUNDAY] == 20
    assert totals[SUNDAY] == totals[7] == 60 + 70
    body, total = per_room(client, q)
    # booked, used, bookings, claimed, unclaimed, open, visits to a booking, ad hoc
    assert body == [[90, 60, 2, 1, 1, 0, 1, 0], [0, 70, 0, 0, 0, 0, 0, 1]]
    assert total[1] == totals[7]  # the used time, both ways
    words = " ".join(client.get(f"/admin/stats/bookings?{q}").get_data(as_text=True).split())
    assert "vecka 12, 2027" in words and "2027-W" not in words  # weeks written one way, as people write them


def test_the_autumn_change_day_counts_its_25_hours(frozen_clock, admin_app, make_admin, two_rooms):
    unit_id, a, b = two_rooms
    day = "2027-10-31"
    first_0230 = bookings.parse_local(day, "02:30")      # summer time, 00:30 UTC
    second_0230 = utc(2027, 10, 31, 1, 30)               # winter time, the hour again
    assert first_0230 == utc(2027, 10, 31, 0, 30)
    with admin_app.app_context():
        clock.freeze(utc(2027, 10, 30, 20, 0))
        # 01:30 summer time to 02:30 winter time: two real hours
        bookings.create(a, WHO, bookings.parse_local(day, "01:30"), second_0230)
        visit(a, bookings.parse_local(day, "01:30"), second_0230)
        # the repeated hour, the second time round: 02:15 winter time to 03:15
        visit(b, utc(2027, 10, 31, 1, 15), bookings.parse_local(day, "03:15"))
        clock.freeze(bookings.parse_local(day, "12:00"))
    client = admin(admin_app, make_admin)
    q = f"unit={unit_id}&from={day}&to={day}"
    hours, totals = occupancy(client, q)
    # hour 02 happened twice: 60 + 30 minutes of room A and 45 of room B
    assert hours["01"][SUNDAY] == 30 and hours["02"][SUNDAY] == 60 + 30 + 45 and hours["03"][SUNDAY] == 15
    assert totals[SUNDAY] == totals[7] == 120 + 60
    body, total = per_room(client, q)
    assert body == [[120, 120, 1, 1, 0, 0, 1, 0], [0, 60, 0, 0, 0, 0, 0, 1]]
    assert total[1] == totals[7]
    assert "vecka 43, 2027" in client.get(f"/admin/stats/bookings?{q}").get_data(as_text=True)


def test_a_visit_from_saturday_night_into_the_change_day(frozen_clock, admin_app, make_admin, two_rooms):
    """The visit counts in the week of its check-in; its minutes in the hours and weekdays where they fell."""
    unit_id, a, _b = two_rooms
    with admin_app.app_context():
        clock.freeze(utc(2027, 3, 27, 20, 0))
        # Saturday 23:30 to Sunday 03:15 on the clock: 2 h 45 min (02 is skipped)
        visit(a, bookings.parse_local("2027-03-27", "23:30"), bookings.parse_local("2027-03-28", "03:15"))
        clock.freeze(bookings.parse_local("2027-03-28", "12:00"))
    client = admin(admin_app, make_admin)
    hours, totals = occupancy(client, f"unit={unit_id}&from=2027-03-27&to=2027-03-28")
    assert hours["23"][SUNDAY - 1] == 30
    assert [hours[h][SUNDAY] for h in ("00", "01", "02", "03")] == [60, 60, 0, 15]
    assert totals[7] == 165
