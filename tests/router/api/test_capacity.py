"""Accepting within a service's capacity (SQLite and PostgreSQL).

A service's places left are its directory ``capacity.available`` less its handovers accepted
(still accepted or in progress) since the provider last confirmed the figures
(``capacity.updated``). With none left an accept is a 409 ``over_capacity`` problem, unless the
provider says why it takes the victim on anyway (``over_capacity_reason``): that decision is
recorded in the timeline and the audit log. The concurrent version (20 accepts racing for 3
places) is in ``tests/concurrency/test_capacity.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from graph import Directory
from services.common.db import utcnow

from .fakes import FakeDirectory
from .helpers import PROBLEM_JSON, Api, referral_body

SERVICE = "victim-support-enhanced"
PROVIDER_KEY = "victim_support"


def low_risk_body(reference: str) -> dict[str, Any]:
    """A referral whose whole plan is one handover to Victim Support's enhanced service,
    requested at once (from the referrer)."""
    body = referral_body(
        source={"reference": reference},
        victim={"age": 41, "sex": "male"},
        incident={"kind": "violence"},
    )
    body["assessment"] = {"dash_score": 0, "needs": {"emotional_support": 2}}
    return body


def with_capacity(
    directory: Directory, service_id: str, *, available: int | None, updated: dt.datetime | None
) -> Directory:
    return dataclasses.replace(
        directory,
        services=tuple(
            dataclasses.replace(
                s,
                capacity=dataclasses.replace(s.capacity, available=available, updated=updated),
            )
            if s.id == service_id
            else s
            for s in directory.services
        ),
    )


def confirm(
    fake: FakeDirectory, *, available: int | None, updated: dt.datetime | None = None
) -> None:
    """The provider confirms its figures in the directory (a new snapshot version)."""
    from graph import directory_from_dict  # noqa: PLC0415 - the fake holds a document

    current = directory_from_dict(fake.document, strict=False)
    fake.replace(
        with_capacity(
            current,
            SERVICE,
            available=available,
            updated=updated or utcnow() - dt.timedelta(minutes=1),
        )
    )


def requested(api: Api, n: int) -> list[str]:
    """``n`` new referrals, each with a requested handover to ``SERVICE``; their ids."""
    ids = []
    for i in range(n):
        response = api.post("/referrals", "referrer", low_risk_body(f"CAP/{i}"))
        assert response.status_code == 201, response.text
        [h] = response.json()["plan"]["handovers"]
        assert (h["service_id"], h["status"]) == (SERVICE, "requested")
        ids.append(h["id"])
    return ids


def accept(api: Api, handover_id: str, json: Any = None) -> Any:
    return api.act(handover_id, "accept", PROVIDER_KEY, json)


def status_of(api: Api, handover_id: str) -> str:
    response = api.get(f"/handovers/{handover_id}", PROVIDER_KEY)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_three_places_three_accepts_then_over_capacity(
    api: Api, fake_directory: FakeDirectory
) -> None:
    confirm(fake_directory, available=3)
    ids = requested(api, 4)
    for handover_id in ids[:3]:
        assert accept(api, handover_id).status_code == 200
    refused = accept(api, ids[3])
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    problem = refused.json()
    assert problem["code"] == "over_capacity"
    assert "no places left" in problem["detail"]
    assert "over_capacity_reason" in problem["detail"]
    assert status_of(api, ids[3]) == "requested"  # nothing changed


def test_an_explicit_over_capacity_decision_is_accepted_and_recorded(
    api: Api, fake_directory: FakeDirectory
) -> None:
    confirm(fake_directory, available=1)
    first, second = requested(api, 2)
    assert accept(api, first).status_code == 200
    reason = "the victim already knows this volunteer; the manager agreed to go over"
    taken = accept(api, second, {"over_capacity_reason": f"  {reason}  "})
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "accepted"

    referral_id = taken.json()["referral_id"]
    timeline = api.get(f"/referrals/{referral_id}/timeline", "referrer").json()["events"]
    [decision] = [e for e in timeline if e["kind"] == "handover.over_capacity"]
    assert decision["handover_id"] == second
    assert reason in decision["text"] and "above its confirmed capacity" in decision["text"]

    audit = api.get(
        "/audit", "admin", params={"entity_type": "handover", "entity_id": second}
    ).json()["items"]
    [accepted] = [e for e in audit if e["action"] == "accepted"]
    assert accepted["after"]["over_capacity"]["reason"] == reason
    assert accepted["after"]["over_capacity"]["available"] == 1
    assert accepted["after"]["over_capacity"]["taken"] == 1
    # The first, within capacity, carries no such decision.
    [plain] = [
        e
        for e in api.get(
            "/audit", "admin", params={"entity_type": "handover", "entity_id": first}
        ).json()["items"]
        if e["action"] == "accepted"
    ]
    assert "over_capacity" not in plain["after"]


def test_a_reason_while_places_are_left_changes_nothing(
    api: Api, fake_directory: FakeDirectory
) -> None:
    confirm(fake_directory, available=2)
    [handover_id] = requested(api, 1)
    response = accept(api, handover_id, {"over_capacity_reason": "just in case"})
    assert response.status_code == 200
    referral_id = response.json()["referral_id"]
    timeline = api.get(f"/referrals/{referral_id}/timeline", "referrer").json()["events"]
    assert not [e for e in timeline if e["kind"] == "handover.over_capacity"]


def test_only_places_taken_since_the_figures_were_confirmed_count(
    api: Api, fake_directory: FakeDirectory
) -> None:
    confirm(fake_directory, available=2, updated=utcnow() - dt.timedelta(hours=1))
    ids = requested(api, 5)
    assert [accept(api, h).status_code for h in ids[:3]] == [200, 200, 409]
    # The provider confirms afresh: one place now, the two it took before already counted.
    confirm(fake_directory, available=1, updated=utcnow())
    assert accept(api, ids[2]).status_code == 200
    assert accept(api, ids[3]).status_code == 409


def test_a_place_is_freed_when_support_ends(api: Api, fake_directory: FakeDirectory) -> None:
    confirm(fake_directory, available=1)
    first, second = requested(api, 2)
    assert accept(api, first).status_code == 200
    assert accept(api, second).status_code == 409
    assert api.act(first, "contact", PROVIDER_KEY).status_code == 200
    assert accept(api, second).status_code == 409  # in progress still holds the place
    done = api.act(first, "complete", PROVIDER_KEY, {"outcomes": {"emotional_support": "improved"}})
    assert done.status_code == 200, done.text
    assert accept(api, second).status_code == 200


def test_no_figure_means_no_limit(api: Api, fake_directory: FakeDirectory) -> None:
    confirm(fake_directory, available=None)
    ids = requested(api, 3)
    assert [accept(api, h).status_code for h in ids] == [200, 200, 200]


def test_zero_places_refuses_the_first_accept(api: Api, fake_directory: FakeDirectory) -> None:
    confirm(fake_directory, available=0)
    [handover_id] = requested(api, 1)
    assert accept(api, handover_id).json()["code"] == "over_capacity"


def test_capacity_comes_from_the_last_snapshot_while_the_directory_is_down(
    api: Api, fake_directory: FakeDirectory
) -> None:
    confirm(fake_directory, available=1)
    first, second = requested(api, 2)
    fake_directory.down = True
    assert accept(api, first).status_code == 200
    assert accept(api, second).json()["code"] == "over_capacity"


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (None, {}),
        (b"{}", {"Content-Type": "application/json"}),
        (b"null", {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "application/json"}),
    ],
    ids=["no-body", "empty-object", "null", "empty-json-body"],
)
def test_the_body_is_optional(
    api: Api, content: bytes | None, headers: dict[str, str], backend: str
) -> None:
    [handover_id] = requested(api, 1)
    response = api.client.post(
        f"/handovers/{handover_id}/accept",
        content=content,
        headers={**api.keys.of(PROVIDER_KEY), **headers},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"over_capacity_reason": ""},
        {"over_capacity_reason": "   "},
        {"over_capacity_reason": 3},
        {"over_capacity_reason": "x" * 2001},
        {"reason": "a decline's field"},
        [],
    ],
    ids=["empty", "blank", "number", "too-long", "unknown-field", "array"],
)
def test_a_bad_body_is_422_and_changes_nothing(api: Api, body: Any) -> None:
    [handover_id] = requested(api, 1)
    response = accept(api, handover_id, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert status_of(api, handover_id) == "requested"


def test_the_openapi_document_describes_the_optional_body_and_the_409(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"]["/handovers/{handover_id}/accept"][
        "post"
    ]
    body = operation["requestBody"]
    assert not body.get("required", False)
    schema = body["content"]["application/json"]["schema"]
    assert "AcceptIn" in str(schema)
    assert "over_capacity" in operation["responses"]["409"]["description"]
