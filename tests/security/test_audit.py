"""Every access to a referral's personal data is in the audit log, naming who it was.

Generated from the router's route table: every endpoint is called by every role that may call
it (the referrer that sent the referral, the lead provider on its warm handover, an admin), and
any answer that carries the victim's personal data (found by sentinel values in the victim's
details and the crime reference) must have added an audit entry for that referral or one of its
handovers, naming the caller's key. Which endpoints do is checked too, so the test cannot pass
by finding nothing: sending a referral (``create``), reading it whole (``read``) or listed
(``read_summary``: the reference and the risk level), its timeline (``read_timeline``), its
letter (``read_letter``), a reassessment (``reassess``), a warm handover (``read``), and a
replayed ``POST /referrals``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.router.api.helpers import WHO, referral_body
from tests.router.api.helpers import Keys as RouterKeys

from .helpers import (
    DOCS,
    ROUTER_BODIES,
    ROUTER_ROLES,
    Endpoint,
    add_to,
    body_for,
    endpoints,
    may,
)

SAFE_TIMES = "SENTINEL-audit-safe-times-4417"
REFERENCE = "SENTINEL/AUDIT/4417"
CALLERS = ("referrer", "idva", "admin")
"""The referral's referrer, its lead provider (a warm handover) and an admin."""

PERSONAL_DATA_ENDPOINTS = {
    ("POST", "/referrals"): "create",
    ("GET", "/referrals"): "read_summary",
    ("GET", "/referrals/{referral_id}"): "read",
    ("GET", "/referrals/{referral_id}/timeline"): "read_timeline",
    ("GET", "/referrals/{referral_id}/letter"): "read_letter",
    ("POST", "/referrals/{referral_id}/assessments"): "reassess",
    ("GET", "/handovers/{handover_id}"): "read",
    # The victim's choices: the first caller makes the change; a repeat changes nothing and is
    # audited as the read it is (the answer carries the referral).
    ("POST", "/referrals/{referral_id}/refusals"): frozenset({"refuse_service", "read"}),
    ("POST", "/referrals/{referral_id}/pause"): frozenset({"pause_contact", "read"}),
    ("POST", "/referrals/{referral_id}/resume"): frozenset({"resume_contact", "read"}),
    ("PUT", "/referrals/{referral_id}/contact"): frozenset({"change_contact", "read"}),
    ("POST", "/referrals/{referral_id}/consent/withdraw"): frozenset({"withdraw_consent", "read"}),
}
"""The endpoints found to answer with personal data, and the audit action (or the actions) each
records."""


def _body() -> dict[str, Any]:
    contact = {"channels": ["phone"], "safe_times": SAFE_TIMES, "do_not_contact": False}
    return referral_body(
        source={"reference": REFERENCE}, victim={"contact": contact, "consent_to_share": True}
    )


def _audit(engine: Engine, after: int) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, actor_name, actor_role, actor_key_id, action, entity_type, entity_id "
                "FROM audit_log WHERE id > :after ORDER BY id"
            ),
            {"after": after},
        )
        return [dict(r._mapping) for r in rows]


def _last_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
        )


def _ordered(routes: list[Endpoint]) -> list[Endpoint]:
    # Reads, then the reassessment, then the handover's lifecycle in its natural order, then
    # the victim's choices (withdrawing consent last: nothing personal is shared after it).
    order = [
        "GET",
        "/assessments",
        "/accept",
        "/contact",
        "/complete",
        "/decline",
        "/replay",
        "/refusals",
        "/pause",
        "/resume",
        "/withdraw",
    ]

    def rank(e: Endpoint) -> int:
        if e.method == "GET":
            return 0
        return next((i for i, part in enumerate(order) if e.path.endswith(part)), len(order))

    return sorted(routes, key=lambda e: (rank(e), e.path))


def test_every_answer_with_personal_data_is_audited_with_its_caller(
    router: TestClient, router_app: FastAPI, router_keys: RouterKeys, router_engine: Engine
) -> None:
    first = _last_id(router_engine)
    made = router.post("/referrals", json=_body(), headers=router_keys.of("referrer"))
    assert made.status_code == 201, made.text
    referral = made.json()
    handover = next(h for h in referral["plan"]["handovers"] if h["provider_id"] == WHO["idva"][1])
    assert handover["mode"] == "warm" and handover["lead"]
    with router_engine.connect() as connection:
        event_id = connection.execute(
            text("SELECT id FROM outbox_events WHERE handover_id = :h"), {"h": handover["id"]}
        ).scalar_one()
    family = ROUTER_BODIES[("POST", "/referrals/{referral_id}/family")]
    linked = router.post(
        f"/referrals/{referral['id']}/family", json=family, headers=router_keys.of("referrer")
    )
    assert linked.status_code == 201, linked.text
    ids = {
        "referral_id": referral["id"],
        "handover_id": handover["id"],
        "event_id": event_id,
        "case_id": linked.json()["case"]["id"],
    }
    ours = {referral["id"], *(h["id"] for h in referral["plan"]["handovers"])}

    seen: dict[tuple[str, str], set[str]] = {("POST", "/referrals"): {"referrer"}}
    problems: list[str] = []
    entries = _audit(router_engine, first)
    if not any(e["action"] == "create" and e["actor_name"] == "test-referrer" for e in entries):
        problems.append(f"POST /referrals: no create entry naming its referrer: {entries}")

    routes = [e for e in endpoints(router_app) if e.key not in DOCS]
    for endpoint in _ordered(routes):
        if endpoint.key == ("POST", "/referrals"):
            continue  # done above: a new referral of its own
        assert endpoint.key in ROUTER_ROLES, (
            f"{endpoint}: no roles declared; {add_to('ROUTER_ROLES')}"
        )
        body = body_for(ROUTER_BODIES, endpoint)
        for who in CALLERS:
            role = WHO[who][0]
            if not may(role, ROUTER_ROLES[endpoint.key]):
                continue
            before = _last_id(router_engine)
            got = router.request(
                endpoint.method, endpoint.url(ids), headers=router_keys.of(who), json=body
            )
            if SAFE_TIMES not in got.text and REFERENCE not in got.text:
                continue
            seen.setdefault(endpoint.key, set()).add(who)
            entries = [
                e
                for e in _audit(router_engine, before)
                if e["entity_id"] in ours
                and e["actor_name"] == f"test-{who}"
                and e["actor_role"] == role.value
                and e["actor_key_id"] is not None
            ]
            expected = PERSONAL_DATA_ENDPOINTS.get(endpoint.key)
            if not entries:
                problems.append(
                    f"{endpoint} answered {who} with personal data and wrote no audit entry "
                    f"naming it ({got.status_code})"
                )
            elif expected is None:
                problems.append(f"{endpoint} answers with personal data: add it to this test")
            elif not ({expected} if isinstance(expected, str) else expected) & {
                e["action"] for e in entries
            }:
                problems.append(f"{endpoint} as {who}: audited as {entries}, not {expected!r}")
    assert not problems, "\n".join(problems)
    assert set(seen) == set(PERSONAL_DATA_ENDPOINTS), seen
    assert seen[("GET", "/handovers/{handover_id}")] == {"idva", "admin"}
    assert seen[("GET", "/referrals/{referral_id}/timeline")] == {"referrer", "idva", "admin"}


def test_a_replayed_referral_is_an_audited_read(
    router: TestClient, router_keys: RouterKeys, router_engine: Engine
) -> None:
    headers = {**router_keys.of("referrer"), "Idempotency-Key": "audit-replay-1"}
    made = router.post("/referrals", json=_body(), headers=headers)
    assert made.status_code == 201, made.text
    before = _last_id(router_engine)
    again = router.post("/referrals", json=_body(), headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert SAFE_TIMES in again.text
    [entry] = _audit(router_engine, before)
    assert entry["actor_name"] == "test-referrer" and entry["actor_role"] == "referrer"
    assert (entry["action"], entry["entity_type"], entry["entity_id"]) == (
        "read",
        "referral",
        made.json()["id"],
    )


def test_a_signpost_handover_shares_nothing_so_reading_it_is_not_an_access(
    router: TestClient, router_keys: RouterKeys, router_engine: Engine
) -> None:
    body = _body()
    body["victim"]["consent_to_share"] = False
    made = router.post("/referrals", json=body, headers=router_keys.of("referrer"))
    assert made.status_code == 201, made.text
    signpost = next(
        h for h in made.json()["plan"]["handovers"] if h["provider_id"] == WHO["idva"][1]
    )
    before = _last_id(router_engine)
    got = router.get(f"/handovers/{signpost['id']}", headers=router_keys.of("idva"))
    assert got.status_code == 200 and got.json()["shared"] is None
    assert SAFE_TIMES not in got.text and REFERENCE not in got.text
    assert _audit(router_engine, before) == []
