"""Guides: every guide page from the content, and the no-show procedure
(R26-R28) on the server's clock: countdown, call, answers, the filled
voicemail and journal texts, bad input, and the seam for room sessions."""

import html as htmllib
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import session
from markupsafe import escape

from kiosk.guides import noshow
from kiosk.guides.noshow import BrowserNoShow, NoShowRecord, use_no_show

# conftest's FROZEN_AT: 09:00 UTC is 10:00 in Stockholm (November, CET).
NAME, TITLE, CLINIC = "Anna Andersson", "Sjuksköterska", "Vårdcentralen Lunden"


def _content(app, lang):
    return app.extensions["kiosk_content"].get(lang)


def _script(html: str, key: str) -> str:
    match = re.search(rf'<p id="script-{key}" class="script-text">(.*?)</p>', html, re.S)
    assert match, f"no script {key} on the page"
    return htmllib.unescape(match.group(1))


def _stored(client):
    with client.session_transaction() as s:
        return s.get(noshow.SESSION_KEY)


def _start(client, booked="10:00"):
    return client.form_post("/guides/no-show/start", {"booked_time": booked})


def _no_answer(client, clock):
    _start(client)
    clock.advance(timedelta(minutes=5))
    r = client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    assert r.status_code == 303


# ---- every guide --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_index_lists_every_guide(client, app, lang):
    html = client.get(f"/guides/?lang={lang}").get_data(as_text=True)
    for guide in _content(app, lang).guides.values():
        assert f'href="/guides/{guide.key}"' in html
        assert str(escape(guide.title)) in html


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_guide_shows_its_steps_contacts_links_and_requirements(client, app, lang):
    content = _content(app, lang)
    assert set(content.guides) >= {"no-show", "connection-problems", "call-broken", "phone-call",
                                   "two-screens", "login", "functions", "support", "responsibility"}
    for guide in content.guides.values():
        r = client.get(f"/guides/{guide.key}?lang={lang}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200, guide.key
        assert f"<h1>{escape(guide.title)}</h1>" in html
        positions = []
        for step in guide.steps:
            assert f'id="step-{step.key}"' in html
            positions.append(html.index(f'id="step-{step.key}"'))
            assert str(escape(step.title)) in html
            if step.text:
                assert str(escape(step.text)) in html
            for line in step.items:
                assert f"<li>{escape(line)}</li>" in html
            for req in step.req:
                assert re.search(rf'<span class="req" data-req="[^"]*\b{req}\b', html), req
            for key in step.contacts:
                contact = content.contacts[key]
                assert str(escape(contact.name)) in html
                if contact.phone:
                    assert f'href="tel:{contact.phone_uri}">{contact.phone}</a>' in html
                if contact.email:
                    assert f'href="mailto:{contact.email}">{contact.email}</a>' in html
            for key in step.links:
                link = content.links[key]
                assert f'<a href="{link.url}">{escape(link.title)}</a>' in html
        assert positions == sorted(positions), "steps out of order"


def test_support_guide_has_phone_and_mail_links(client):
    html = client.get("/guides/support").get_data(as_text=True)
    assert 'href="tel:+46104737100">010-47 37 100</a>' in html  # VGR IT (R41)
    assert 'href="tel:+46763144982">076-314 49 82</a>' in html  # Visiba Care (R40)
    assert 'href="mailto:support@visibacare.com"' in html


def test_unknown_guide_is_404(client):
    assert client.get("/guides/no-such-guide").status_code == 404
    assert client.hx_get("/guides/no-such-guide").status_code == 404


# ---- the no-show procedure: countdown --------------------------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_show_starts_by_asking_for_the_booked_time(client, app, lang):
    html = client.get(f"/guides/no-show?lang={lang}").get_data(as_text=True)
    guide = _content(app, lang).guides["no-show"]
    assert 'id="no-show-panel"' in html
    assert 'type="time" id="booked-time" name="booked_time"' in html
    assert 'name="now" value="1"' in html
    # The whole guide is on the page too, every step and requirement reachable.
    for step in guide.steps:
        assert f'id="step-{step.key}"' in html
    for req in ("R26", "R27", "R28"):
        assert re.search(rf'<span class="req" data-req="[^"]*\b{req}\b', html), req


def test_countdown_waits_then_says_call_the_patient(client, frozen_clock):
    r = _start(client, "10:00")
    assert r.status_code == 303 and r.headers["Location"] == "/guides/no-show#no-show-panel"
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert "Väntar på att patienten ska ansluta" in html
    assert 'data-seconds-left="300"' in html and ">5.00</span>" in html
    assert "Bokad tid: 10.00." in html and "kl. 10.05 ringer du upp" in html
    assert "ring patienten" not in html.lower()
    assert 'name="choice"' not in html

    frozen_clock.advance(timedelta(minutes=4, seconds=59))
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert 'data-seconds-left="1"' in html
    assert "ring patienten" not in html.lower()

    frozen_clock.advance(timedelta(seconds=1))
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert "Det har gått 5 minuter. Ring patienten på det telefonnummer som står i bokningen." in html
    assert 'class="time-up" role="alert"' in html
    for key in ("joined", "technical", "no-answer"):
        assert f'name="choice" value="{key}"' in html
    assert "data-countdown" not in html


def test_countdown_in_english(client, frozen_clock):
    client.get("/?lang=en")
    _start(client, "10:00")
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert "Waiting for the patient to join" in html and "Booked time: 10:00." in html
    assert ">5:00</span>" in html
    frozen_clock.advance(timedelta(minutes=5))
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert "5 minutes have passed. Call the patient" in html


def test_now_starts_the_timer_at_the_current_time(client, frozen_clock):
    r = client.form_post("/guides/no-show/start", {"now": "1", "booked_time": ""})
    assert r.status_code == 303
    assert _stored(client)["booked_at"] == "2026-11-26T09:00:00+00:00"


def test_a_booked_time_long_past_goes_straight_to_the_call(client, frozen_clock):
    _start(client, "09:30")
    assert "Ring patienten" in client.get("/guides/no-show").get_data(as_text=True)


def test_start_with_htmx_returns_the_panel_that_polls(client, frozen_clock):
    r = client.hx_post("/guides/no-show/start", {"booked_time": "10:02"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert html.strip().startswith('<section id="no-show-panel"')
    assert 'data-seconds-left="420"' in html
    assert 'data-hx-trigger="every 5s, countdown-done"' in html
    assert 'data-hx-get="/guides/no-show?shown=waiting-' in html


def test_poll_answers_204_while_nothing_changes_and_the_panel_when_time_is_up(client, frozen_clock):
    html = client.hx_post("/guides/no-show/start", {"booked_time": "10:00"}).get_data(as_text=True)
    poll = htmllib.unescape(re.search(r'data-hx-get="([^"]+)"', html).group(1))
    r = client.hx_get(poll)
    assert r.status_code == 204 and r.get_data() == b""
    assert "HX-Request" in r.headers["Vary"]
    frozen_clock.advance(timedelta(minutes=5))
    r = client.hx_get(poll)
    assert r.status_code == 200
    assert "Ring patienten" in r.get_data(as_text=True)
    assert "<html" not in r.get_data(as_text=True)


def test_the_timer_survives_a_reload_and_follows_the_server_clock(client, frozen_clock):
    _start(client, "10:00")
    frozen_clock.advance(timedelta(minutes=2))
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert 'data-seconds-left="180"' in html


def test_yesterdays_procedure_is_forgotten(client, frozen_clock):
    _start(client, "10:00")
    frozen_clock.advance(timedelta(hours=13))
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert 'id="booked-time"' in html and "Ring patienten" not in html


# ---- the no-show procedure: bad input ---------------------------------------


@pytest.mark.parametrize(("value", "message"), [
    ("", "Skriv in den bokade starttiden (TT:MM)"),
    ("25:00", "”25:00” är inget klockslag."),
    ("10:60", "”10:60” är inget klockslag."),
    ("kl tio", "”kl tio” är inget klockslag."),
    ("1" * 500, "”1111111111” är inget klockslag."),
])
def test_bad_booked_time_is_refused_with_a_clear_message_and_nothing_stored(client, value, message):
    r = client.form_post("/guides/no-show/start", {"booked_time": value})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert str(escape(message)) in html
    assert 'aria-invalid="true"' in html and 'role="alert"' in html
    assert _stored(client) is None


def test_bad_booked_time_with_htmx_is_swapped_into_the_panel(client):
    r = client.hx_post("/guides/no-show/start", {"booked_time": "99:99"})
    assert r.status_code == 400
    assert r.headers["X-Kiosk-Error"] == "400"  # kiosk.js swaps it
    assert "HX-Retarget" not in r.headers  # ... into the panel itself
    assert r.get_data(as_text=True).strip().startswith('<section id="no-show-panel"')
    assert _stored(client) is None


def test_bad_booked_time_in_english(client):
    client.get("/?lang=en")
    r = client.form_post("/guides/no-show/start", {"booked_time": "noon"})
    assert r.status_code == 400
    assert "is not a time of day" in r.get_data(as_text=True)


def test_picking_an_answer_before_the_minutes_are_up_is_refused(client, frozen_clock):
    _start(client, "10:00")
    r = client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    assert r.status_code == 400
    assert "Vänta tills det har gått 5 minuter" in r.get_data(as_text=True)
    assert "choice" not in _stored(client)


@pytest.mark.parametrize(("step", "choice"), [
    ("call", "no-such-choice"), ("rebook", "done"), ("journal", "done"), ("nope", "x"), ("", ""),
])
def test_a_choice_not_on_offer_is_refused(client, frozen_clock, step, choice):
    _start(client, "10:00")
    frozen_clock.advance(timedelta(minutes=5))
    r = client.form_post("/guides/no-show/choose", {"step": step, "choice": choice})
    assert r.status_code == 400
    assert "Det valet går inte att göra i det här steget" in r.get_data(as_text=True)
    assert "choice" not in _stored(client) and "outcome" not in _stored(client)


# ---- the no-show procedure: answers and outcomes -----------------------------


def test_joined_records_the_outcome_held(client, frozen_clock):
    _start(client)
    frozen_clock.advance(timedelta(minutes=6))
    r = client.hx_post("/guides/no-show/choose", {"step": "call", "choice": "joined"})
    html = r.get_data(as_text=True)
    assert "Klart: patienten anslöt och mötet genomförs." in html
    assert _stored(client)["choice"] == "joined" and _stored(client)["outcome"] == "held"


def test_technical_problem_leads_to_rebooking(client, frozen_clock):
    _start(client)
    frozen_clock.advance(timedelta(minutes=5))
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "technical"})
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert 'id="now-rebook"' in html and "Boka om mötet" in html
    assert 'id="now-voicemail"' not in html
    r = client.form_post("/guides/no-show/choose", {"step": "rebook", "choice": "done"})
    assert r.status_code == 303
    assert _stored(client)["outcome"] == "rebooked"
    assert "Klart: mötet är ombokat." in client.get("/guides/no-show").get_data(as_text=True)


def test_no_answer_shows_the_voicemail_then_the_journal_step(client, frozen_clock):
    _no_answer(client, frozen_clock)
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert html.index('id="now-voicemail"') < html.index('id="now-journal"')
    assert 'id="now-rebook"' not in html
    assert '<a href="#now-journal">Meddelandet är inspelat</a>' in html
    for slot in ("name", "title", "clinic"):
        assert f'id="slot-{slot}" name="{slot}"' in html
    # Before the form is filled, each slot shows its label; the time is known.
    voicemail = _script(html, "voicemail")
    assert voicemail.startswith("Hej, det här är [Ditt namn], [Din titel] på [Mottagning] vid Regionhälsan.")
    assert "i dag kl. 10.00" in voicemail
    assert 'data-copy-target="script-voicemail"' in html and 'data-copy-target="script-journal-no-show"' in html
    assert _stored(client)["choice"] == "no-answer"


def test_r28_voicemail_and_journal_texts_are_filled_in(client, frozen_clock):
    _no_answer(client, frozen_clock)
    r = client.form_post("/guides/no-show/script", {"name": NAME, "title": TITLE, "clinic": CLINIC})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert _script(html, "voicemail") == (
        "Hej, det här är Anna Andersson, Sjuksköterska på Vårdcentralen Lunden vid Regionhälsan. "
        "Vi hade ett bokat digitalt vårdmöte i dag kl. 10.00. "
        "Jag har försökt starta mötet på utsatt tid men har inte fått något svar. "
        "Avgift kommer att tas ut för uteblivet besök. Hej då."
    )
    assert _script(html, "journal-no-show") == (
        "Digitalt vårdmöte bokat 2026-11-26 kl. 10.00 kunde inte genomföras. "
        "Rutin för att få kontakt med patienten har följts: patienten hade inte anslutit på avtalad tid, "
        "efter cirka 5 minuter ringdes patienten upp på det telefonnummer som angetts i bokningen, utan svar. "
        "Röstmeddelande har talats in med uppgift om att bokat möte försökts starta på utsatt tid utan svar "
        "och att avgift kommer att tas ut för uteblivet besök. "
        "/Anna Andersson, Sjuksköterska"
    )
    # The scripts say slots are never stored: only the timer facts are.
    assert set(_stored(client)) == {"booked_at", "choice"}


def test_r28_texts_in_english(client, frozen_clock):
    client.get("/?lang=en")
    _no_answer(client, frozen_clock)
    r = client.hx_post("/guides/no-show/script", {"name": "Anna Andersson", "title": "Nurse",
                                                  "clinic": "Lunden health centre"})
    html = r.get_data(as_text=True)
    assert _script(html, "voicemail") == (
        "Hello, this is Anna Andersson, Nurse at Lunden health centre, Regionhälsan. "
        "We had a digital care meeting booked today at 10:00. "
        "I tried to start the meeting at the set time but got no answer. "
        "A fee will be charged for the missed visit. Goodbye."
    )
    journal = _script(html, "journal-no-show")
    assert journal.startswith("The digital care meeting booked 2026-11-26 at 10:00 could not take place.")
    assert journal.endswith("/Anna Andersson, Nurse")


def test_the_journal_time_is_dated_when_the_booking_was_not_today(client, frozen_clock):
    # 23:58 booked, now past midnight: the voicemail must not say "today".
    frozen_clock.freeze(datetime(2026, 11, 26, 22, 58, tzinfo=timezone.utc))  # 23:58 in Stockholm
    _start(client, "23:58")
    frozen_clock.advance(timedelta(minutes=5))
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    html = client.form_post("/guides/no-show/script", {"name": NAME, "title": TITLE, "clinic": CLINIC}).get_data(as_text=True)
    assert "vårdmöte 2026-11-26 kl. 23.58." in _script(html, "voicemail")


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "A" * 81, "title": TITLE, "clinic": CLINIC}, "”Ditt namn” får vara högst 80 tecken."),
    ({"name": NAME, "title": "T" * 200, "clinic": CLINIC}, "”Din titel” får vara högst 80 tecken."),
    ({"name": "Anna\nAndersson", "title": TITLE, "clinic": CLINIC}, "”Ditt namn” innehåller tecken som inte är tillåtna"),
    ({"name": NAME, "title": TITLE, "clinic": "Lunden\u202e"}, "”Mottagning” innehåller tecken som inte är tillåtna"),
    ({"name": NAME, "title": TITLE, "clinic": "\x00"}, "”Mottagning” innehåller tecken som inte är tillåtna"),
    ({"name": "", "title": TITLE, "clinic": CLINIC}, "Fyll i ”Ditt namn”."),
    ({"title": TITLE, "clinic": CLINIC}, "Fyll i ”Ditt namn”."),
])
def test_bad_script_input_is_refused_with_a_clear_message(client, frozen_clock, form, message):
    _no_answer(client, frozen_clock)
    before = _stored(client)
    r = client.form_post("/guides/no-show/script", form)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert str(escape(message)) in html
    assert "Rätta uppgifterna nedan. Inget har sparats." in html
    assert 'aria-invalid="true"' in html
    assert "\x00" not in html and "\u202e" not in html
    # Nothing filled in and nothing stored.
    assert _script(html, "voicemail").startswith("Hej, det här är [Ditt namn], [Din titel] på [Mottagning]")
    assert _stored(client) == before


def test_bad_script_input_with_htmx_swaps_the_panel(client, frozen_clock):
    _no_answer(client, frozen_clock)
    r = client.hx_post("/guides/no-show/script", {"name": "x" * 100, "title": TITLE, "clinic": CLINIC})
    assert r.status_code == 400 and r.headers["X-Kiosk-Error"] == "400"
    assert r.get_data(as_text=True).strip().startswith('<section id="no-show-panel"')


def test_script_form_before_the_voicemail_step_is_refused(client, frozen_clock):
    _start(client)
    r = client.form_post("/guides/no-show/script", {"name": NAME, "title": TITLE, "clinic": CLINIC})
    assert r.status_code == 400


def test_journal_done_records_no_show_and_keeps_the_filled_texts(client, frozen_clock):
    _no_answer(client, frozen_clock)
    html = client.hx_post("/guides/no-show/script", {"name": NAME, "title": TITLE, "clinic": CLINIC}).get_data(as_text=True)
    # The outcome form carries the slot values along, so the texts stay on screen.
    assert f'<input type="hidden" name="name" value="{NAME}">' in html
    r = client.hx_post("/guides/no-show/choose", {"step": "journal", "choice": "done",
                                                  "name": NAME, "title": TITLE, "clinic": CLINIC})
    html = r.get_data(as_text=True)
    assert "Klart: patienten uteblev och rutinen är följd." in html
    assert "Anna Andersson, Sjuksköterska på Vårdcentralen Lunden" in _script(html, "voicemail")
    assert _stored(client) == {"booked_at": "2026-11-26T09:00:00+00:00", "choice": "no-answer", "outcome": "no-show"}


def test_the_voicemail_next_choice_leads_to_the_journal_step(client, frozen_clock):
    _no_answer(client, frozen_clock)
    r = client.form_post("/guides/no-show/choose", {"step": "voicemail", "choice": "next"})
    assert r.status_code == 303 and r.headers["Location"] == "/guides/no-show#now-journal"
    assert "outcome" not in _stored(client)


def test_changing_the_answer_forgets_the_outcome(client, frozen_clock):
    _start(client)
    frozen_clock.advance(timedelta(minutes=5))
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "joined"})
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    assert _stored(client)["choice"] == "no-answer" and "outcome" not in _stored(client)


def test_reset_starts_again(client, frozen_clock):
    _no_answer(client, frozen_clock)
    r = client.form_post("/guides/no-show/reset")
    assert r.status_code == 303
    assert _stored(client) is None
    assert 'id="booked-time"' in client.get("/guides/no-show").get_data(as_text=True)
    html = client.hx_post("/guides/no-show/reset").get_data(as_text=True)
    assert html.strip().startswith('<section id="no-show-panel" class="no-show-panel phase-start"')


def test_no_show_posts_need_the_csrf_token(client, frozen_clock):
    r = client.post("/guides/no-show/start", data={"booked_time": "10:00"})
    assert r.status_code == 400
    assert _stored(client) is None


# ---- the flow and the seam ----------------------------------------------------


def test_flow_phases(app):
    guide = _content(app, "sv").guides["no-show"]
    at = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    assert noshow.flow(guide, NoShowRecord(), at, 5).phase == "start"
    waiting = noshow.flow(guide, NoShowRecord(booked_at=at), at + timedelta(seconds=10), 5)
    assert (waiting.phase, waiting.seconds_left) == ("waiting", 290)
    assert noshow.flow(guide, NoShowRecord(booked_at=at), at + timedelta(minutes=5), 5).phase == "call"
    after = noshow.flow(guide, NoShowRecord(at, "no-answer"), at + timedelta(minutes=6), 5)
    assert after.phase == "steps" and [s.key for s in after.steps] == ["voicemail", "journal"]
    rebook = noshow.flow(guide, NoShowRecord(at, "technical"), at + timedelta(minutes=6), 5)
    assert [s.key for s in rebook.steps] == ["rebook"]
    done = noshow.flow(guide, NoShowRecord(at, "joined", "held"), at + timedelta(minutes=6), 5)
    assert done.phase == "done" and done.steps == []


def test_parse_booked_time():
    today = datetime(2026, 11, 26).date()  # winter: Stockholm is UTC+1
    assert noshow.parse_booked_time("14:30", today) == datetime(2026, 11, 26, 13, 30, tzinfo=timezone.utc)
    assert noshow.parse_booked_time("9.05", today) == datetime(2026, 11, 26, 8, 5, tzinfo=timezone.utc)
    for bad in ("", "24:00", "12:7", "12", "noon", "12:30:00", None):
        assert noshow.parse_booked_time(bad, today) is None


class RecordingNoShow:
    """A stand-in for the room session's store."""

    scope = "room"

    def __init__(self):
        self.record = NoShowRecord()
        self.calls = []

    def load(self):
        return self.record

    def start(self, booked_at):
        self.calls.append(("start", booked_at))
        self.record = NoShowRecord(booked_at=booked_at)

    def record_choice(self, choice, outcome=None):
        self.calls.append(("choice", choice) if outcome is None else ("choice", choice, outcome))
        self.record = NoShowRecord(self.record.booked_at, choice, outcome)

    def record_outcome(self, outcome):
        self.calls.append(("outcome", outcome))
        self.record = NoShowRecord(self.record.booked_at, self.record.choice, outcome)

    def reset(self):
        self.calls.append(("reset",))
        self.record = NoShowRecord()


def test_an_installed_store_gets_the_procedure_instead_of_the_browser(app, frozen_clock):
    room = RecordingNoShow()
    app.before_request(lambda: use_no_show(room))
    client = app.test_client()
    client.form_post("/guides/no-show/start", {"booked_time": "10:00"})
    frozen_clock.advance(timedelta(minutes=5))
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "no-answer"})
    client.form_post("/guides/no-show/choose", {"step": "journal", "choice": "done"})
    # 10:00 in Stockholm is 09:00 UTC.
    assert room.calls == [
        ("start", datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)),
        ("choice", "no-answer"),
        ("outcome", "no-show"),
    ]
    # An answer that ends the procedure is one call (one event in a room), not two.
    client.form_post("/guides/no-show/reset", {})
    client.form_post("/guides/no-show/start", {"now": "1"})
    frozen_clock.advance(timedelta(minutes=5))
    del room.calls[:]
    client.form_post("/guides/no-show/choose", {"step": "call", "choice": "joined"})
    assert room.calls == [("choice", "joined", "held")]
    html = client.get("/guides/no-show").get_data(as_text=True)
    assert "hör till rummets pågående möte" in html
    assert _stored(client) is None


def test_browser_store_keeps_only_the_facts(app, frozen_clock):
    with app.test_request_context("/"):
        store = BrowserNoShow()
        store.start(datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=1))))
        store.record_choice("technical")
        store.record_outcome("rebooked")
        assert session[noshow.SESSION_KEY] == {"booked_at": "2026-11-26T09:00:00+00:00",
                                               "choice": "technical", "outcome": "rebooked"}
        store.record_choice("no-answer")
        assert store.load() == NoShowRecord(datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc), "no-answer", None)
        store.reset()
        assert store.load() == NoShowRecord()
