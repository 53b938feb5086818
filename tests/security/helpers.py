"""The route tables of both apps, and what the security tests know about each route.

Every test here is generated from ``app.routes``. What a route needs (its roles, how to fill its
path parameters, a valid body) is declared below, and a route this module does not know makes
the tests fail with a message naming it: a new endpoint cannot slip past them.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from services.common.auth.schemas import Role
from tests.directory.helpers import provider_body, service_body
from tests.router.api.helpers import referral_body

HOOK_URL = "https://hooks.provider-systems.example/pathways"
HOOK_SECRET = "whsec_" + base64.b64encode(b"security suite secret: 32 bytes.").decode()
SECRET_PREFIX = "whsec_"

DOCS = frozenset(
    {
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
    }
)
"""The API's own documentation: it names fields and formats, never anyone's data."""

PUBLIC = frozenset[Role]()
"""No key needed (health checks, the vocabulary, the Open Referral export, the API docs)."""
ANY_KEY = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
METRICS = frozenset({Role.ADMIN, Role.SERVICE})
"""GET /metrics: operators' scrapers, unless PATHWAYS_METRICS_PUBLIC=true (off in these tests)."""

HERE = "tests/security/helpers.py"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    params: tuple[str, ...]
    """The path parameters, in the order they appear."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], self.path)


CONSOLE = "/console"
"""The directory's admin console: HTML pages for people, signed in with a cookie session rather
than an API key (an API key alone is refused there). Its access tests are generated from its own
routes in tests/console/test_session.py: every page needs a session, every form a CSRF token, and
only an admin key signs in."""


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every method and path the app answers (HEAD, which Starlette adds to GET, aside)."""
    found: list[Endpoint] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount) and route.path == CONSOLE:
            continue
        path = route.path
        assert isinstance(path, str) and route.methods, (
            f"{route}: a mount or a websocket; the security tests know HTTP endpoints only, so "
            f"teach {HERE} what it is before adding it"
        )
        params = tuple(re.findall(r"\{(\w+)(?::\w+)?\}", path))
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append(Endpoint(method=method, path=path, params=params))
    return found


# --------------------------------------------------------------------------- function level

DIRECTORY_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/vocabulary"): PUBLIC,
    ("GET", "/openreferral/services"): PUBLIC,
    ("GET", "/openreferral/services/{service_id}"): PUBLIC,
    ("POST", "/providers"): ADMIN,
    ("GET", "/providers"): ANY_KEY,
    ("GET", "/providers/{provider_id}"): ANY_KEY,
    ("PATCH", "/providers/{provider_id}"): ADMIN,
    ("DELETE", "/providers/{provider_id}"): ADMIN,
    ("POST", "/services"): ADMIN,
    ("GET", "/services"): ANY_KEY,
    ("GET", "/services/{service_id}"): ANY_KEY,
    ("PATCH", "/services/{service_id}"): ADMIN,
    ("DELETE", "/services/{service_id}"): ADMIN,
    ("PUT", "/services/{service_id}/capacity"): frozenset({Role.ADMIN, Role.PROVIDER}),
    ("POST", "/pathways"): ADMIN,
    ("GET", "/pathways"): ANY_KEY,
    ("GET", "/pathways/{pathway_id}"): ANY_KEY,
    ("DELETE", "/pathways/{pathway_id}"): ADMIN,
    ("GET", "/snapshot"): frozenset({Role.SERVICE, Role.ADMIN}),
    ("GET", "/webhook-targets"): frozenset({Role.SERVICE, Role.ADMIN}),
    ("POST", "/search"): ANY_KEY,
    ("GET", "/audit"): ADMIN,
    ("GET", "/metrics"): METRICS,
}
"""Who may call each directory endpoint (API.md); every other role must get 403."""

ROUTER_ROLES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("POST", "/referrals"): frozenset({Role.REFERRER}),
    ("GET", "/referrals"): frozenset({Role.REFERRER, Role.ADMIN}),
    ("GET", "/referrals/{referral_id}"): frozenset({Role.REFERRER, Role.ADMIN}),
    ("GET", "/referrals/{referral_id}/timeline"): frozenset(
        {Role.REFERRER, Role.PROVIDER, Role.ADMIN}
    ),
    ("POST", "/referrals/{referral_id}/assessments"): frozenset(
        {Role.REFERRER, Role.PROVIDER, Role.ADMIN}
    ),
    ("GET", "/referrals/{referral_id}/letter"): frozenset(
        {Role.REFERRER, Role.PROVIDER, Role.ADMIN}
    ),
    ("GET", "/reports/summary"): ADMIN,
    **dict.fromkeys(
        [
            ("POST", "/referrals/{referral_id}/refusals"),
            ("POST", "/referrals/{referral_id}/pause"),
            ("POST", "/referrals/{referral_id}/resume"),
            ("PUT", "/referrals/{referral_id}/contact"),
            ("POST", "/referrals/{referral_id}/consent/withdraw"),
            ("GET", "/reviews/due"),
            ("GET", "/referrals/{referral_id}/reviews"),
            ("POST", "/referrals/{referral_id}/reviews"),
            ("POST", "/referrals/{referral_id}/reviews/request"),
            ("POST", "/referrals/{referral_id}/family"),
            ("GET", "/referrals/{referral_id}/family"),
            ("GET", "/family/{case_id}"),
        ],
        frozenset({Role.REFERRER, Role.PROVIDER, Role.ADMIN}),
    ),
    ("GET", "/handovers"): frozenset({Role.PROVIDER, Role.ADMIN}),
    ("GET", "/handovers/{handover_id}"): frozenset({Role.PROVIDER, Role.ADMIN}),
    ("POST", "/handovers/{handover_id}/accept"): frozenset({Role.PROVIDER}),
    ("POST", "/handovers/{handover_id}/decline"): frozenset({Role.PROVIDER}),
    ("POST", "/handovers/{handover_id}/contact"): frozenset({Role.PROVIDER}),
    ("POST", "/handovers/{handover_id}/complete"): frozenset({Role.PROVIDER}),
    ("GET", "/outbox/dead-letters"): ADMIN,
    ("POST", "/outbox/dead-letters/{event_id}/replay"): ADMIN,
    ("GET", "/outbox/events/{event_id}"): ADMIN,
    ("GET", "/audit"): ADMIN,
    ("GET", "/metrics"): METRICS,
}
"""Who may call each router endpoint (API.md); every other role must get 403."""


# --------------------------------------------------------------------------- bodies

ROUTER_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/referrals"): referral_body(),
    ("POST", "/referrals/{referral_id}/assessments"): referral_body()["assessment"],
    ("POST", "/handovers/{handover_id}/accept"): None,
    ("POST", "/handovers/{handover_id}/decline"): {"reason": "caseload full"},
    ("POST", "/handovers/{handover_id}/contact"): None,
    ("POST", "/handovers/{handover_id}/complete"): {
        "outcomes": {"domestic_abuse_advocacy": "improved"}
    },
    ("POST", "/outbox/dead-letters/{event_id}/replay"): None,
    ("POST", "/referrals/{referral_id}/refusals"): {"service_id": "housing-cambridge"},
    ("POST", "/referrals/{referral_id}/pause"): {"until": None, "reason": "on holiday"},
    ("POST", "/referrals/{referral_id}/resume"): None,
    ("PUT", "/referrals/{referral_id}/contact"): {
        "channels": ["phone"],
        "safe_times": "SENTINEL-audit-safe-times-4417",
        "do_not_contact": False,
    },
    ("POST", "/referrals/{referral_id}/consent/withdraw"): {"reason": "changed their mind"},
    ("POST", "/referrals/{referral_id}/reviews"): {"outcome": "no_change", "note": "all well"},
    ("POST", "/referrals/{referral_id}/reviews/request"): {
        "review_by": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat(),
        "reason": "the victim asked to talk sooner",
    },
    ("POST", "/referrals/{referral_id}/family"): {
        "kind": "household",
        "members": [{"relationship": "child", "age": 7, "consent_to_share": True}],
    },
}
"""A valid body (None: no body) for every router endpoint that is not a GET, so that a
request reaches the checks under test rather than stopping at validation."""

DIRECTORY_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/providers"): provider_body("prov-new"),
    ("PATCH", "/providers/{provider_id}"): {"name": "Renamed"},
    ("DELETE", "/providers/{provider_id}"): None,
    ("POST", "/services"): service_body("svc-new", "prov-a"),
    ("PATCH", "/services/{service_id}"): {"name": "Renamed"},
    ("PUT", "/services/{service_id}/capacity"): {"status": "red", "available": 0, "maximum": 9},
    ("DELETE", "/services/{service_id}"): None,
    ("POST", "/pathways"): {"from_service": "entry:self", "to_service": "svc-a", "days": 1},
    ("DELETE", "/pathways/{pathway_id}"): None,
    ("POST", "/search"): {
        "victim": {"age": 30, "area": "E07000008"},
        "incident": {"kind": "burglary"},
        "assessment": {"needs": {"emotional_support": 1}},
    },
}
"""The same for the directory."""


def may(role: Role | None, allowed: frozenset[Role]) -> bool:
    """Whether ``role`` (None: no key) may call an endpoint open to ``allowed``."""
    return allowed == PUBLIC or (role is not None and role in allowed)


def add_to(table: str) -> str:
    return f"add it to {table} in {HERE}"


def body_for(bodies: dict[tuple[str, str], Any], endpoint: Endpoint) -> Any:
    """The request body to send, or a failure telling the developer to declare one."""
    if endpoint.method == "GET":
        return None
    if endpoint.key not in bodies:
        raise AssertionError(
            f"the security tests know no body for {endpoint}: {add_to('*_BODIES')} (a valid "
            "one, or None, so that the request reaches the checks under test)"
        )
    return bodies[endpoint.key]
