"""Statistics for the head of unit: the counts, the page with a table beside
every chart, the charts as strict SVG documents, the CSV for Excel, and clear
refusals of bad dates and other units."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from kiosk import clock
from kiosk.extensions import db
from kiosk.models import Unit
from kiosk.rooms import service
from kiosk.rooms.service import Actor
from tests.admin_support import events

DOOR = Actor("tablet:test")
RANGE = "from=2026-11-16&to=2026-11-26"


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def meeting(room_id, start, minutes, outcome="held", skip="urgent"):
    """Check in at ``start``, start (checklist skipped), end after ``minutes``, finish."""
    clock.freeze(start)
    service.check_in(room_id, DOOR)
    service.start_meeting(room_id, DOOR, skip_reason=skip)
    clock.advance(timedelta(minutes=minutes))
    service.end_meeting(room_id, DOOR)
    service.finish(room_id, DOOR, outcome)


@pytest.fixture
def unit_data(admin_app, make_unit, make_room):
    """A unit with rooms A and B and a known mix of sessions over two ISO weeks
    (W47 and W48), and a session in another unit that must not count."""
    unit_id = make_unit(name="Hudmottagningen", slug="hud")
    a = make_room(unit_id=unit_id, name="Rum A", slug="rum-a")
    b = make_room(unit_id=unit_id, name="Rum B", slug="rum-b")
    other = make_room(name="Annat rum")
    with admin_app.app_context():
        meeting(a, at(16), 20, "held")                      # W47: 20 min, skipped (urgent)
        clock.freeze(at(24))                                # W48: checklist complete, 40 of 30 min
        service.check_in(a, DOOR, minutes=30)
        for checklist, item in sorted(service.readiness_keys()):
            service.tick(a, DOOR, checklist, item)
        clock.advance(timedelta(minutes=40))
        service.end_meeting(a, DOOR)
        service.finish(a, DOOR, "no-show")
        clock.freeze(at(24, 12))
        service.check_in(a, DOOR)
        service.cancel(a, DOOR)                             # no meeting
        clock.freeze(at(25))
        service.check_in(b, DOOR)
        service.start_meeting(b, DOOR, skip_reason="checked-at-desk")
        clock.advance(timedelta(hours=4))
        service.release_if_expired(b)                       # auto-released, overran
        meeting(b, at(25, 14), 30, "technical", skip="checked-at-desk")
        clock.freeze(at(26, 8))
        service.check_in(b, DOOR)
        service.force_end(b, Actor("admin:1"), "Glömd")     # no meeting
        meeting(other, at(24), 10)
    clock.freeze(at(26))
    return unit_id, a, b


def test_the_counts(admin_app, unit_data):
    from kiosk.admin import stats

    unit_id, a, b = unit_data
    with admin_app.app_context():
        s = stats.compute(db.session.get(Unit, unit_id), datetime(2026, 11, 16).date(), datetime(2026, 11, 26).date())
        assert s.weeks == ["2026-W47", "2026-W48"]
        assert [r.name for r in s.rooms] == ["Rum A", "Rum B"]
        assert [[s.visits(w, r) for r in (a, b)] for w in s.weeks] == [[1, 0], [2, 3]]
        # Only the held meeting is a video meeting; the no-show's 40 minutes and
        # the technical failure's 30 are no meeting length (issue 12).
        assert [[s.meetings(w, r) for r in (a, b)] for w in s.weeks] == [[1, 0], [0, 0]]
        total = s.total()
        assert total.sessions == 6 and total.meetings == 1
        # Exactly one outcome per visit.
        assert dict(total.outcomes) == {"held": 1, "no-show": 1, "technical": 1, "cancelled": 1,
                                        "auto-released": 1, "force-ended": 1}
        assert sum(total.outcomes.values()) == total.sessions
        assert dict(total.end_reasons) == {"completed": 3, "cancelled": 1, "auto-released": 1, "force-ended": 1}
        assert dict(total.checklists) == {"complete": 1, "skipped": 3, "not-started": 2}
        assert sum(total.checklists.values()) == total.sessions
        assert dict(total.skip_reasons) == {"urgent": 1, "checked-at-desk": 2}
        assert total.overruns == 2
        assert total.minutes == [20.0] and stats.median(total.minutes) == 20.0
        assert stats.median(s.total(room_id=a).minutes) == 20.0 and s.total(room_id=b).minutes == []


def test_the_page_has_a_table_beside_every_chart(admin_client, unit_data):
    unit_id, a, b = unit_data
    r = admin_client.get(f"/admin/stats?unit={unit_id}&{RANGE}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count('<figure class="chart"><img src="/admin/stats/') == 4
    assert html.count("<table") == 4 and html.count("<caption>") == 4
    assert 'alt="Diagram: Incheckningar per rum och vecka. Siffrorna finns i tabellen bredvid."' in html
    assert "<tr><th scope=\"row\">vecka 48, 2026</th><td>2</td><td>3</td><td>5</td></tr>" in html
    assert "2026-W" not in html
    assert "Frigjorda automatiskt</th><td>1</td>" in html and "Hoppade över: Brådskande möte</th><td>1</td>" in html
    assert "Avslutade vid dörren" not in html
    assert "20,0 minuter" in html and "<td>20,0</td>" in html
    assert "<svg" not in html and "style=" not in html
    en = admin_client.get(f"/admin/stats?unit={unit_id}&{RANGE}&lang=en").get_data(as_text=True)
    assert "Check-ins per room and week" in en and "Released automatically" in en and "20.0 minutes" in en
    assert "week 48, 2026" in en


@pytest.mark.parametrize("chart", ["meetings", "endings", "checklists", "length"])
def test_charts_are_svg_documents_without_script_or_inline_style(admin_client, unit_data, chart):
    unit_id, _a, _b = unit_data
    r = admin_client.get(f"/admin/stats/{chart}.svg?unit={unit_id}&{RANGE}")
    svg = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg and "style=" not in svg
    # The one stylesheet is allowed by its hash, nothing else is.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", svg, re.S)
    assert len(styles) == 1
    parsed = styles[0].replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")  # as a browser sees it
    digest = base64.b64encode(hashlib.sha256(parsed.encode()).digest()).decode()
    csp = r.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; ") and f"style-src 'sha256-{digest}'" in csp
    assert "unsafe" not in csp and "script-src" not in csp
    if chart == "meetings":
        assert "Rum A" in svg and "vecka 47, 2026" in svg


def read_csv(response, delimiter):
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_csv_in_swedish_for_excel(admin_client, admin_app, unit_data):
    unit_id, _a, _b = unit_data
    r = admin_client.get(f"/admin/stats.csv?unit={unit_id}&{RANGE}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Content-Disposition"] == 'attachment; filename="statistik-hud-2026-11-16-2026-11-26.csv"'
    rows = read_csv(r, ";")
    assert rows[0][:7] == ["Vecka", "Rum", "Incheckningar", "Videomöten", "Mötet genomfördes",
                           "Patienten anslöt inte", "Tekniskt problem – ombokat"]
    assert rows[0][-2:] == ["Drog över tiden", "Mediantid (min)"]
    by_key = {(row[0], row[1]): dict(zip(rows[0], row)) for row in rows[1:]}
    assert len(by_key) == 5  # 2 weeks x 2 rooms, empty ones included, and the total
    a48 = by_key[("vecka 48, 2026", "Rum A")]
    assert (a48["Incheckningar"], a48["Videomöten"], a48["Patienten anslöt inte"]) == ("2", "0", "1")
    assert (a48["Incheckning avbruten"], a48["Alla punkter klara"], a48["Drog över tiden"]) == ("1", "1", "1")
    assert a48["Mediantid (min)"] == ""  # a no-show has no meeting length
    assert by_key[("vecka 47, 2026", "Rum A")]["Mediantid (min)"] == "20,0"  # a decimal comma for Swedish Excel
    b48 = by_key[("vecka 48, 2026", "Rum B")]
    assert (b48["Frigjorda automatiskt"], b48["Avslutade av administratör"]) == ("1", "1")
    assert b48["Hoppade över: Kontrollerat vid skrivbordet"] == "2"
    assert by_key[("vecka 47, 2026", "Rum B")]["Mediantid (min)"] == ""
    assert "Avslutade vid dörren" not in rows[0]
    total = by_key[("Totalt", "")]
    assert (total["Incheckningar"], total["Videomöten"], total["Mediantid (min)"]) == ("6", "1", "20,0")
    assert events(admin_app, "stats-export")[0][1] == f"admin:{admin_client.account.id}"


def test_csv_in_english(admin_client, unit_data):
    unit_id, _a, _b = unit_data
    rows = read_csv(admin_client.get(f"/admin/stats.csv?unit={unit_id}&{RANGE}&lang=en"), ",")
    assert rows[0][:4] == ["Week", "Room", "Check-ins", "Video meetings"]
    assert rows[1][:2] == ["week 47, 2026", "Rum A"] and rows[1][-1] == "20.0"
    assert rows[-1][:4] == ["Total", "", "6", "1"]


def test_csv_cells_never_run_as_formulas(admin_client, make_unit, make_room):
    unit_id = make_unit()
    make_room(unit_id=unit_id, name="=HYPERLINK(\"https://evil.example\")")
    rows = read_csv(admin_client.get(f"/admin/stats.csv?unit={unit_id}"), ";")
    assert rows[1][1] == "'=HYPERLINK(\"https://evil.example\")"


@pytest.mark.parametrize("query,status,words", [
    ("from=2026-02-30", 400, "ÅÅÅÅ-MM-DD"),
    ("from=26/11/2026", 400, "ÅÅÅÅ-MM-DD"),
    ("to=tomorrow", 400, "ÅÅÅÅ-MM-DD"),
    ("from=2026-11-26&to=2026-11-01", 400, "Slutdatumet kan inte vara före startdatumet."),
    ("from=2024-01-01&to=2026-11-26", 400, "Välj högst 366 dagar åt gången."),
    ("unit=abc", 400, "Välj ett av alternativen."),
    ("unit=99999", 404, ""),
])
def test_bad_requests_get_a_clear_answer(admin_client, make_unit, query, status, words):
    make_unit()
    for path in ("/admin/stats", "/admin/stats.csv", "/admin/stats/meetings.svg"):
        r = admin_client.get(f"{path}?{query}")
        assert r.status_code == status and words in r.get_data(as_text=True), path


def test_an_unknown_chart_is_404(admin_client, make_unit):
    make_unit()
    assert admin_client.get("/admin/stats/pie.svg").status_code == 404


def test_a_unit_manager_sees_their_unit_only(manager_client, make_unit):
    other = make_unit(name="Annan enhet")
    html = manager_client.get("/admin/stats").get_data(as_text=True)
    assert "Annan enhet" not in html
    for path in ("/admin/stats", "/admin/stats.csv", "/admin/stats/meetings.svg"):
        assert manager_client.get(f"{path}?unit={other}").status_code == 403


def test_without_any_unit_the_page_says_so(admin_client):
    r = admin_client.get("/admin/stats")
    assert r.status_code == 200 and "Det finns ingen enhet att visa statistik för." in r.get_data(as_text=True)


# ---- numbers that add up (issue 12) ------------------------------------------------


def _table(html: str, table_id: str) -> list[list[str]]:
    """The rows of one table of the page as text cells (header cells included)."""
    part = html[html.index(f'id="{table_id}"'):]
    part = part[:part.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", part, re.S)]


@pytest.mark.parametrize("lang, delimiter", [("sv", ";"), ("en", ",")])
def test_every_table_totals_the_visits_and_matches_the_csv(admin_client, unit_data, lang, delimiter):
    """Held, no-show, technical, cancelled, overrun and released visits: every
    chart's table has a total equal to the visits, each total is the sum of its
    rows, and the CSV's rows sum to the same numbers."""
    unit_id, _a, _b = unit_data
    query = f"unit={unit_id}&{RANGE}&lang={lang}"
    html = admin_client.get(f"/admin/stats?{query}").get_data(as_text=True)
    rows = read_csv(admin_client.get(f"/admin/stats.csv?{query}"), delimiter)
    header, body, csv_total = rows[0], rows[1:-1], dict(zip(rows[0], rows[-1]))
    visits = 6
    assert f'<dd id="total-visits">{visits}</dd>' in html
    col = {name: i for i, name in enumerate(header)}

    def csv_sum(name):
        return sum(int(r[col[name]]) for r in body)

    assert csv_sum(header[2]) == int(csv_total[header[2]]) == visits

    # Check-ins per room and week: rows sum to their total column, columns to the total row.
    meetings = _table(html, "table-meetings")
    rooms = meetings[0][1:-1]
    for row in meetings[1:-1]:
        assert sum(map(int, row[1:-1])) == int(row[-1])
        week = row[0]
        for room, value in zip(rooms, row[1:-1]):
            match = [r for r in body if r[0] == week and r[1] == room]
            assert len(match) == 1 and match[0][2] == value  # the CSV says the same
    foot = meetings[-1]
    assert int(foot[-1]) == visits and sum(map(int, foot[1:-1])) == visits
    assert [sum(int(r[i + 1]) for r in meetings[1:-1]) for i in range(len(rooms))] == list(map(int, foot[1:-1]))

    # Outcomes: one per visit; each row equals the CSV's column sum.
    endings = _table(html, "table-endings")
    outcome_rows = endings[1:-1]
    assert sum(int(r[1]) for r in outcome_rows) == int(endings[-1][1]) == visits
    for label, value in outcome_rows:
        assert csv_sum(label) == int(value) == int(csv_total[label]), label
    assert len(outcome_rows) == 7 and all(r[0] in header for r in outcome_rows)

    # The checklist: complete + skipped + never started = visits; the skip reasons are "of which".
    checklists = _table(html, "table-checklists")
    main = [r for r in checklists[1:-1] if r[0] in header and not r[0].startswith(checklists[2][0] + ":")]
    assert sum(int(r[1]) for r in main) == int(checklists[-1][1]) == visits, main
    for label, value in checklists[1:-1]:
        assert csv_sum(label) == int(value), label
    skipped = int(checklists[2][1])
    reasons = [r for r in checklists[1:-1] if r[0].startswith(checklists[2][0] + ":")]
    assert sum(int(r[1]) for r in reasons) == skipped

    # Length: visits and held meetings per room add up; the median is of held meetings only.
    length = _table(html, "table-length")
    assert sum(int(r[1]) for r in length[1:-1]) == int(length[-1][1]) == visits
    assert sum(int(r[2]) for r in length[1:-1]) == int(length[-1][2]) == csv_sum(header[3]) == 1
    assert length[-1][3] == csv_total[header[-1]] == {"sv": "20,0", "en": "20.0"}[lang]


def test_a_no_show_from_the_procedure_is_one_no_show_not_a_meeting(admin_app, make_unit, make_room):
    """A no-show concluded in the no-show guide (no wrap-up outcome) is one
    no-show; its waiting minutes are no meeting length."""
    from kiosk.admin import stats

    unit_id = make_unit(slug="ns")
    room = make_room(unit_id=unit_id, slug="ns-1")
    with admin_app.app_context():
        clock.freeze(at(24, 10))
        service.check_in(room, DOOR)
        service.start_meeting(room, DOOR, skip_reason="urgent")
        service.record_no_show(room, DOOR, result="no-show")
        clock.advance(timedelta(minutes=16))
        service.end_meeting(room, DOOR)
        clock.advance(timedelta(hours=5))
        service.release_if_expired(room)
        s = stats.compute(db.session.get(Unit, unit_id), at(23).date(), at(26).date())
        total = s.total()
        assert total.sessions == 1 and dict(total.outcomes) == {"no-show": 1}
        assert total.meetings == 0 and total.minutes == []
    clock.reset()
