"""``GET /referrals/{id}/letter``: the plan in plain English, for the right people only."""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser

import pyphen  # type: ignore[import-untyped]
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.common.audit.models import AuditEvent

from .helpers import PROBLEM_JSON, Api

HYPHENS = pyphen.Pyphen(lang="en_GB")


class _Text(HTMLParser):
    """The words a reader meets: text outside <head>, <style>; links' addresses left out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "title"):
            self._skip += 1
        if tag in ("p", "li", "h1", "h2", "h3", "dd", "dt"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _prose(page: str) -> list[str]:
    """The letter's sentences, without phone numbers, addresses and emails."""
    parser = _Text()
    parser.feed(page)
    text = "".join(parser.parts)
    text = re.sub(r"\S+@\S+|https?://\S+|\b[\d ]{6,}\b", " ", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    sentences: list[str] = []
    for line in lines:
        sentences += [s for s in re.split(r"(?<=[.!?:])\s+", line) if re.search(r"[A-Za-z]", s)]
    return sentences


def flesch_kincaid_grade(sentences: list[str]) -> float:
    """The Flesch–Kincaid grade level (Kincaid et al., 1975), syllables counted with pyphen's
    hyphenation dictionary (a lower bound on syllables, so a little generous)."""
    words = [w for s in sentences for w in re.findall(r"[A-Za-z']+", s)]
    syllables = sum(max(1, len(HYPHENS.positions(w)) + 1) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59


def test_the_letter_says_who_will_contact_the_victim_how_and_by_when(api: Api) -> None:
    r = api.refer()
    response = api.get(f"/referrals/{r['id']}/letter", "referrer")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    page = html.unescape(response.text)
    assert '<html lang="en">' in page and "<title>Your support plan</title>" in page
    idva = api.handover(r, "idva-cambridgeshire")
    assert "Cambridgeshire" in page and idva["service_name"] in page
    assert " will contact you by " in page
    assert "by a phone call, as you asked" in page
    assert "weekdays 9-12" in page
    assert "You can say no to any service." in page
    assert "Victim Personal Statement" in page
    assert "you can get extra help" in page  # enhanced: domestic abuse
    assert "CC/2026/004211" in page
    assert "news about your case by" not in page  # the first update's date has passed
    assert "you do not need to have reported" not in page  # how to self-refer: not asked to
    # Nothing of the risk assessment or the crime: the wrong person may find a letter.
    for word in ("DASH", "MARAC", "high risk", "domestic abuse", "offender", "risk"):
        assert word.lower() not in page.lower(), word


def test_the_letter_gives_the_first_update_date_while_it_is_ahead(api: Api) -> None:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    r = api.refer(incident={"occurred_on": today, "reported_on": today})
    page = html.unescape(api.get(f"/referrals/{r['id']}/letter", "referrer").text)
    due = dt.date.fromisoformat(r["deadlines"]["first_update_by"])
    assert (
        f"The police should give you news about your case by {due:%A} {due.day} {due:%B}." in page
    )


def test_the_letter_reads_at_about_age_nine(api: Api) -> None:
    r = api.refer()
    page = api.get(f"/referrals/{r['id']}/letter", "referrer").text
    sentences = _prose(page)
    grade = flesch_kincaid_grade(sentences)
    # Grade 4 is a reading age of 9–10; service names ("Independent Sexual Violence Advisers")
    # are not ours to shorten, so allow a little above it.
    assert grade <= 5.0, (grade, sentences)
    assert max(len(s.split()) for s in sentences) <= 25


def test_without_consent_the_letter_tells_the_victim_how_to_self_refer(api: Api) -> None:
    r = api.refer(victim={"consent_to_share": False})
    page = html.unescape(api.get(f"/referrals/{r['id']}/letter", "referrer").text)
    assert "we have not passed them on" in page
    assert "will contact you" not in page
    assert "You can contact them." in page
    assert "tel:" in page  # the services' own numbers, from the directory
    assert "you do not need to have reported to the police" in page  # how to self-refer


def test_do_not_contact_is_honoured_in_the_letter(api: Api) -> None:
    r = api.refer(
        victim={"contact": {"channels": ["phone"], "safe_times": None, "do_not_contact": True}}
    )
    page = html.unescape(api.get(f"/referrals/{r['id']}/letter", "referrer").text)
    assert "nobody will call or write to you" in page
    assert "will contact you" not in page


def test_the_letter_follows_the_plan_as_it_changes(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    api.act(idva["id"], "accept", "idva")
    api.act(idva["id"], "contact", "idva")
    page = html.unescape(api.get(f"/referrals/{r['id']}/letter", "idva").text)
    assert f"{idva['service_name']} is already helping you." in page
    assert f"To do any of this, tell {idva['service_name']}." in page
    api.act(idva["id"], "complete", "idva", {"outcomes": {"domestic_abuse_advocacy": "improved"}})
    page = html.unescape(api.get(f"/referrals/{r['id']}/letter", "referrer").text)
    assert f"{idva['service_name']} has finished helping you." in page


def test_only_the_people_on_the_case_may_read_the_letter(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    path = f"/referrals/{r['id']}/letter"
    assert api.get(path, "referrer_b").status_code == 404
    assert api.get(path, "bobby").status_code == 404  # not on this plan
    assert api.get(path, "service").status_code == 403
    assert api.client.get(path).status_code == 401
    missing = api.get("/referrals/00000000-0000-0000-0000-000000000000/letter", "admin")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith(PROBLEM_JSON)
    assert api.get("/referrals/not-an-id/letter", "admin").status_code == 422
    assert api.get(path, "admin").status_code == 200
    assert api.get(path, "idva").status_code == 200
    with Session(router_engine) as session:
        reads = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.action) == "read_letter", col(AuditEvent.entity_id) == r["id"]
            )
        ).all()
    assert len(reads) == 2
