"""Bad input, on purpose, to every operation of both services that takes a body, on SQLite and
on PostgreSQL: each is a clear 4xx problem document, and nothing is stored.

The answers are fixed by kind, the same on both services:

- a body that is not sent as JSON (text/plain, a form, no Content-Type at all): 415;
- a body over PATHWAYS_MAX_BODY_BYTES, announced or streamed: 413;
- JSON that is not JSON (bytes that are not UTF-8, nesting too deep for the parser): 422;
- JSON of the wrong shape (NUL in a string or a key, deep nesting, 2.5 or true where an integer
  or a number belongs, an array where an object belongs): 422, naming the field.

"Nothing is stored" is checked by counting the rows of every table of the service (and the
directory's version) before and after.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.directory.db import MIGRATIONS as DIRECTORY_MIGRATIONS
from services.directory.settings import DirectorySettings
from services.router.db import MIGRATIONS as ROUTER_MIGRATIONS
from services.router.settings import RouterSettings
from tests.directory.helpers import PROVIDER_A, Keys, provider_body, service_body
from tests.faults import figures
from tests.router.api.helpers import Keys as RouterKeys
from tests.router.api.helpers import referral_body

PROBLEM_JSON = "application/problem+json"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Target:
    """An operation that takes a body, a valid body for it, and where its fields of each kind
    are."""

    name: str
    method: str
    url: str
    who: str
    body: dict[str, Any]
    text: Path
    integer: Path | None
    number: Path | None
    object: Path
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Bad:
    """A request body (and its Content-Type) and the status it must get."""

    content: bytes | Iterator[bytes]
    content_type: str | None
    status: int


def _set(body: dict[str, Any], path: Path, value: Any) -> Any:
    if not path:  # the body itself
        return value
    out = copy.deepcopy(body)
    here: Any = out
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    return out


def _json(body: Any) -> Bad:
    return Bad(json.dumps(body).encode(), "application/json", 422)


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"text": "'
    sent = 0
    while sent < total:
        yield b"x" * 65536
        sent += 65536
    yield b'"}'


MUTATIONS: dict[str, Callable[[Target, int], Bad | None]] = {
    "nul-in-a-string": lambda t, _cap: _json(_set(t.body, t.text, "before\x00after")),
    "nul-in-a-key": lambda t, _cap: _json({**t.body, "a\x00key": "value"}),
    "nul-in-a-nested-key": lambda t, _cap: _json(_set(t.body, (*t.object, "k\x00"), "v")),
    "deeply-nested": lambda t, _cap: _json(_set(t.body, t.text, _nested(40))),
    "nested-past-the-parser": lambda t, _cap: Bad(
        b"[" * 100_000 + b"]" * 100_000, "application/json", 422
    ),
    "float-for-an-integer": lambda t, _cap: (
        _json(_set(t.body, t.integer, 2.5)) if t.integer else None
    ),
    "boolean-for-an-integer": lambda t, _cap: (
        _json(_set(t.body, t.integer, True)) if t.integer else None
    ),
    "boolean-for-a-number": lambda t, _cap: (
        _json(_set(t.body, t.number, True)) if t.number else None
    ),
    "string-for-a-number": lambda t, _cap: _json(_set(t.body, t.number, "3")) if t.number else None,
    "array-for-the-body": lambda t, _cap: _json([t.body]),
    "array-for-an-object": lambda t, _cap: _json(_set(t.body, t.object, [])),
    "not-utf-8": lambda t, _cap: Bad(
        json.dumps(t.body).encode().replace(b'"', b'"\xff\xfe', 1), "application/json", 422
    ),
    "text-plain": lambda t, _cap: Bad(json.dumps(t.body).encode(), "text/plain", 415),
    "form": lambda t, _cap: Bad(b"name=x&id=y", "application/x-www-form-urlencoded", 415),
    "multipart": lambda t, _cap: Bad(
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        415,
    ),
    "no-content-type": lambda t, _cap: Bad(json.dumps(t.body).encode(), None, 415),
    "too-large": lambda t, cap: Bad(
        json.dumps(_set(t.body, t.text, "x" * (cap + 1))).encode(), "application/json", 413
    ),
    "too-large-streamed": lambda t, cap: Bad(_chunks(cap + 1), "application/json", 413),
}


def send(client: TestClient, target: Target, bad: Bad, auth: dict[str, str]) -> httpx2.Response:
    headers = {**auth, **target.headers}
    if bad.content_type is not None:
        headers["Content-Type"] = bad.content_type
    return client.request(target.method, target.url, content=bad.content, headers=headers)


def row_counts(engine: Engine, tables: frozenset[str]) -> dict[str, int]:
    with engine.connect() as connection:
        counts = {
            table: int(connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one())
            for table in sorted(tables)
        }
        if "directory_state" in tables:
            version = connection.execute(text("SELECT version FROM directory_state")).scalar_one()
            counts["directory_state.version"] = int(version)
    return counts


def assert_clear_problem(response: httpx2.Response, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), (what, response.headers)
    problem = response.json()
    assert problem["status"] == status and problem["title"], (what, problem)
    assert len(problem["detail"]) > 10, (what, problem)
    if status == 422:
        assert problem["errors"] and all(e["loc"] for e in problem["errors"]), (what, problem)
    if status == 415:
        assert "application/json" in problem["detail"], (what, problem)


@dataclass(frozen=True)
class Service:
    """A service under test: its client, its database, and how to authenticate."""

    name: str
    backend: str
    client: TestClient
    engine: Engine
    tables: frozenset[str]
    auth: Callable[[str], dict[str, str]]
    cap: int
    """PATHWAYS_MAX_BODY_BYTES, as the app was built."""
    settle: Callable[[], None] = lambda: None
    """Waits for writes made in the background (the router's copy of the directory)."""

    def rows(self) -> dict[str, int]:
        self.settle()
        return row_counts(self.engine, self.tables)


TALLY: Counter[tuple[str, str]] = Counter()
"""Bad requests refused (and nothing stored), by service and backend, for the figures."""


def check(service: Service, targets: list[Target], mutation: str) -> None:
    tried = 0
    for target in targets:
        bad = MUTATIONS[mutation](target, service.cap)
        if bad is None:
            continue
        before = service.rows()
        response = send(service.client, target, bad, service.auth(target.who))
        assert_clear_problem(response, bad.status, f"{mutation} to {target.name}")
        assert service.rows() == before, f"{mutation} to {target.name} stored data"
        tried += 1
    assert tried, f"no target has a field for {mutation}"
    TALLY[service.name, service.backend] += tried


@pytest.fixture(scope="module", autouse=True)
def figures_of_this_module() -> Iterator[None]:
    yield
    for (name, backend), refused in sorted(TALLY.items()):
        figures.record(
            "contract",
            f"bad input to the {name} [{backend}]",
            kinds=len(MUTATIONS),
            requests=refused,
            clear_4xx=refused,
            stored=0,
        )


# --------------------------------------------------------------------------- the directory


@pytest.fixture
def directory(directory_app: FastAPI, keys: Keys) -> Iterator[tuple[TestClient, list[Target]]]:
    admin = keys.of("admin")
    with TestClient(directory_app) as client:
        for body, url in (
            (provider_body(PROVIDER_A), "/providers"),
            (service_body("svc-a", PROVIDER_A), "/services"),
            (service_body("svc-b", PROVIDER_A), "/services"),
        ):
            assert client.post(url, json=body, headers=admin).status_code == 201
        etag = client.get("/services/svc-a", headers=admin).headers["etag"]
        search = {k: referral_body()[k] for k in ("victim", "incident", "assessment")}
        targets = [
            Target(
                "POST /providers",
                "POST",
                "/providers",
                "admin",
                provider_body("prov-new"),
                text=("name",),
                integer=None,
                number=None,
                object=("contact",),
            ),
            Target(
                "POST /services",
                "POST",
                "/services",
                "admin",
                service_body("svc-new", PROVIDER_A),
                text=("name",),
                integer=("response_hours",),
                number=None,
                object=("eligibility",),
            ),
            Target(
                "PATCH /services/{id}",
                "PATCH",
                "/services/svc-a",
                "admin",
                {"name": "Renamed", "eligibility": {"min_age": 18}},
                text=("name",),
                integer=("eligibility", "min_age"),
                number=None,
                object=("eligibility",),
                headers={"If-Match": etag},
            ),
            Target(
                "PUT /services/{id}/capacity",
                "PUT",
                "/services/svc-a/capacity",
                "admin",
                {"status": "amber", "available": 1, "maximum": 4},
                text=("status",),
                integer=("available",),
                number=None,
                object=(),
            ),
            Target(
                "POST /pathways",
                "POST",
                "/pathways",
                "admin",
                {"from_service": "svc-a", "to_service": "svc-b", "days": 2.0},
                text=("to_service",),
                integer=None,
                number=("days",),
                object=(),
            ),
            Target(
                "POST /search",
                "POST",
                "/search",
                "referrer",
                search,
                text=("victim", "area"),
                integer=("assessment", "dash_score"),
                number=None,
                object=("assessment", "needs"),
            ),
        ]
        yield client, targets


def test_directory_targets_take_their_valid_bodies(
    directory: tuple[TestClient, list[Target]], keys: Keys
) -> None:
    # So that each refusal below is for what the mutation broke, not for the rest of the body.
    client, targets = directory
    for target in targets:
        response = send(client, target, _json(target.body), keys.of(target.who))
        assert response.status_code < 400, (target.name, response.text)


def test_a_whole_number_written_with_a_point_is_an_integer(
    directory: tuple[TestClient, list[Target]], keys: Keys
) -> None:
    # JSON has one kind of number and the OpenAPI document says "integer": as JSON Schema
    # reads it, 3.0 is the integer 3 (2.5, true and "3" are refused above).
    client, _targets = directory
    body = {"status": "amber", "available": 3.0, "maximum": 4}
    response = client.put("/services/svc-a/capacity", json=body, headers=keys.of("admin"))
    assert response.status_code == 200, response.text
    assert response.json()["available"] == 3


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_directory_refuses_it_and_stores_nothing(
    *,
    directory: tuple[TestClient, list[Target]],
    engine: Engine,
    keys: Keys,
    settings: DirectorySettings,
    backend: str,
    mutation: str,
) -> None:
    client, targets = directory
    tables = DIRECTORY_MIGRATIONS.tables
    service = Service(
        "directory", backend, client, engine, tables, keys.of, settings.max_body_bytes
    )
    check(service, targets, mutation)


# --------------------------------------------------------------------------- the router


@pytest.fixture
def router(
    router_app: FastAPI, router_keys: RouterKeys
) -> Iterator[tuple[TestClient, list[Target]]]:
    with TestClient(router_app) as client:
        created = client.post(
            "/referrals", json=referral_body(), headers=router_keys.of("referrer")
        )
        assert created.status_code == 201, created.text
        referral = created.json()
        handover = next(
            h for h in referral["plan"]["handovers"] if h["service_id"] == "idva-cambridgeshire"
        )
        reassessment = {
            "dash_score": 14,
            "flags": ["risk_from_offender"],
            "needs": {"domestic_abuse_advocacy": 3},
        }
        targets = [
            Target(
                "POST /referrals",
                "POST",
                "/referrals",
                "referrer",
                referral_body(),
                text=("source", "reference"),
                integer=("victim", "age"),
                number=("assessment", "dash_score"),
                object=("victim",),
            ),
            Target(
                "POST /referrals/{id}/assessments",
                "POST",
                f"/referrals/{referral['id']}/assessments",
                "referrer",
                reassessment,
                text=("flags", 0),
                integer=("dash_score",),
                number=("needs", "domestic_abuse_advocacy"),
                object=("needs",),
            ),
            Target(
                "POST /handovers/{id}/decline",
                "POST",
                f"/handovers/{handover['id']}/decline",
                "idva",
                {"reason": "No capacity this week."},
                text=("reason",),
                integer=None,
                number=None,
                object=(),
            ),
            Target(
                "POST /handovers/{id}/complete",
                "POST",
                f"/handovers/{handover['id']}/complete",
                "idva",
                {"outcomes": {"domestic_abuse_advocacy": "improved"}},
                text=("outcomes", "domestic_abuse_advocacy"),
                integer=None,
                number=None,
                object=("outcomes",),
            ),
        ]
        yield client, targets


def test_router_targets_take_their_valid_bodies(
    router: tuple[TestClient, list[Target]], router_keys: RouterKeys
) -> None:
    client, targets = router
    for target in targets:
        response = send(client, target, _json(target.body), router_keys.of(target.who))
        # Completing a handover not yet in contact is a 409: the body itself was accepted.
        assert response.status_code < 400 or response.status_code == 409, (
            target.name,
            response.text,
        )


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_router_refuses_it_and_stores_nothing(
    *,
    router: tuple[TestClient, list[Target]],
    router_engine: Engine,
    router_keys: RouterKeys,
    router_settings: RouterSettings,
    backend: str,
    mutation: str,
) -> None:
    client, targets = router
    view = client.app_state["directory"]
    service = Service(
        "router",
        backend,
        client,
        router_engine,
        ROUTER_MIGRATIONS.tables,
        router_keys.of,
        router_settings.max_body_bytes,
        settle=view.flush,
    )
    check(service, targets, mutation)
