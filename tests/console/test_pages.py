"""The console's pages without a browser: what they show, that their forms validate as the API
does with each error beside its field, that a stale edit is caught, that "try a referral" stores
nothing, and that every page has a language, a title and a label for every control."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.directory.helpers import PROBLEM_JSON, Keys

from .helpers import (
    CONSOLE,
    csrf_token,
    error_beside,
    form_values,
    parse,
    post_form,
    row_counts,
    signed_in,
    unlabelled,
)

IDVA = "idva-cambridgeshire"

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
"""For what only renders or validates: PostgreSQL would add nothing but time. Whatever writes,
or must write nothing, runs on both backends."""

PAGES = [
    "/",
    "/services",
    "/services?q=isva&area=E06000031&need=sexual_violence_advocacy&capacity_status=green",
    f"/services/{IDVA}",
    f"/services/{IDVA}/edit",
    "/services/new",
    "/capacity",
    "/pathways",
    "/pathways?area=E07000010&need=accommodation",
    "/try",
    "/gaps",
    "/gaps?area=E06000031",
]


@pytest.fixture
def admin(client: TestClient, keys: Keys) -> TestClient:
    return signed_in(client, keys.admin)


def _api_service(client: TestClient, keys: Keys, service_id: str) -> tuple[dict[str, Any], str]:
    r = client.get(f"/services/{service_id}", headers=keys.of("admin"))
    assert r.status_code == 200, r.text
    return dict(r.json()), str(r.headers["etag"])


def _edit_form(admin: TestClient, service_id: str, **changes: Any) -> dict[str, Any]:
    """The edit form of a service as the page fills it in, with ``changes`` made."""
    page = admin.get(f"{CONSOLE}/services/{service_id}/edit")
    assert page.status_code == 200
    data = form_values(page.text, "service-form")
    data.update(changes)
    return data


def _audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor_key_id, actor_role, action, entity_id FROM audit_log ORDER BY id")
        )
        return [dict(r._mapping) for r in rows]


# --------------------------------------------------------------------------- every page


@SQLITE_ONLY
def test_every_page_has_a_language_a_title_and_labels(admin: TestClient) -> None:
    for path in PAGES:
        answer = admin.get(CONSOLE + path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")
        page = parse(answer.text)
        assert page.lang == "en-GB", path
        assert page.title.strip().endswith("Pathways directory"), (path, page.title)
        assert not unlabelled(page), (path, unlabelled(page))
        repeated = [i for i, n in page.ids.items() if n > 1]
        assert not repeated, (path, repeated)
        assert 'class="skip-link" href="#main"' in answer.text
        assert 'id="main"' in answer.text


@SQLITE_ONLY
def test_the_signed_out_pages_are_labelled_too(client: TestClient) -> None:
    for path in ("/sign-in", "/nowhere"):
        page = parse(client.get(CONSOLE + path).text)
        assert page.lang == "en-GB" and page.title.strip(), path
        assert not unlabelled(page), path


@SQLITE_ONLY
def test_pages_carry_security_headers_and_are_not_cached(admin: TestClient) -> None:
    answer = admin.get(f"{CONSOLE}/services")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    for asset in ("console.css", "console.js"):
        served = admin.get(f"{CONSOLE}/static/{asset}")
        assert served.status_code == 200, asset
        assert (
            "cache-control" not in served.headers or served.headers["cache-control"] != "no-store"
        )
    # Nothing from elsewhere: no CDN, no web font, no inline script or style.
    for path in PAGES:
        html = admin.get(CONSOLE + path).text
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", ""), path
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path


@SQLITE_ONLY
def test_errors_are_pages_in_the_console_and_problem_documents_in_the_api(
    admin: TestClient, keys: Keys
) -> None:
    for path in ("/nowhere", "/services/no-such-service", "/services/bad%20id", "/services/x/edit"):
        answer = admin.get(CONSOLE + path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in answer.text
    wrong_method = admin.put(f"{CONSOLE}/services")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("text/html")
    api = admin.get("/services/no-such-service", headers=keys.of("admin"))
    assert api.status_code == 404
    assert api.headers["content-type"].startswith(PROBLEM_JSON)
    assert admin.get("/nowhere").headers["content-type"].startswith(PROBLEM_JSON)


@SQLITE_ONLY
def test_the_console_is_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(CONSOLE)]


# --------------------------------------------------------------------------- services


def test_services_are_found_by_name_area_need_provider_and_capacity(admin: TestClient) -> None:
    everything = admin.get(f"{CONSOLE}/services").text
    assert "28 services." in everything
    isvas = admin.get(f"{CONSOLE}/services?q=ISVA").text
    assert "isva-cambridgeshire" in isvas and "isva-peterborough" in isvas
    assert IDVA not in isvas
    peterborough = admin.get(
        f"{CONSOLE}/services?area=E06000031&need=sexual_violence_advocacy"
    ).text
    assert "isva-peterborough" in peterborough and "isva-cambridgeshire" not in peterborough
    assert "sarc-peterborough" in peterborough
    amber = admin.get(f"{CONSOLE}/services?capacity_status=amber").text
    assert "womens-aid-refuge" in amber and IDVA not in amber
    provider = admin.get(f"{CONSOLE}/services?provider=idva-service").text
    assert "idva-peterborough" in provider and "isva-peterborough" not in provider
    # Values that are no code are ignored, never an error.
    assert (
        admin.get(f"{CONSOLE}/services?need=nonsense&area=x&capacity_status=blue").status_code
        == 200
    )


@SQLITE_ONLY
def test_the_service_page_shows_eligibility_capacity_and_pathways(admin: TestClient) -> None:
    html = admin.get(f"{CONSOLE}/services/{IDVA}").text
    assert "16 and over" in html
    assert "Domestic abuse advocacy (IDVA)" in html and "main need" in html
    assert "Leading here" in html and "Police referral" in html
    assert 'name="status"' in html  # the quick capacity form


def test_a_bad_value_is_shown_beside_its_field_and_nothing_changes(
    admin: TestClient, keys: Keys, engine: Engine
) -> None:
    before, etag = _api_service(admin, keys, IDVA)
    counts = row_counts(engine)
    answer = admin.post(
        f"{CONSOLE}/services/{IDVA}/edit",
        data=_edit_form(admin, IDVA, **{"eligibility.min_age": "200"}),
    )
    assert answer.status_code == 422
    page = parse(answer.text)
    assert "120" in error_beside(page, "eligibility.min_age")
    assert 'href="#f-eligibility-min_age"' in answer.text  # the summary links to the field
    assert 'value="200"' in answer.text  # what was typed is kept
    after, etag_after = _api_service(admin, keys, IDVA)
    assert (after, etag_after) == (before, etag)
    assert row_counts(engine) == counts


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"eligibility.min_age": "70", "eligibility.max_age": "20"},
            "eligibility.min_age",
            "max_age",
        ),
        ({"eligibility.min_age": "sixteen"}, "eligibility.min_age", "whole number"),
        ({"eligibility.other_areas": "Cambridge"}, "eligibility.other_areas", "E07000008"),
        ({"response_hours": "0"}, "response_hours", "greater than or equal to 1"),
        ({"name": "   "}, "name", "at least 1 character"),
        ({"specialisms": ["refuge"]}, "specialisms", "subset of needs"),
        ({"contact.other": "no colon here"}, "contact.other", "name: value"),
        ({"eligibility.any_of": "[{"}, "eligibility.any_of", "JSON"),
        ({"eligibility.any_of": '[{"min_age": -1}]'}, "eligibility.any_of", "greater than"),
        ({"webhook.url": "http://example.org/hook"}, "webhook.url", "https"),
    ],
)
def test_each_rule_of_the_api_is_reported_beside_its_field(
    admin: TestClient, engine: Engine, changes: dict[str, Any], field: str, words: str
) -> None:
    counts = row_counts(engine)
    answer = admin.post(f"{CONSOLE}/services/{IDVA}/edit", data=_edit_form(admin, IDVA, **changes))
    assert answer.status_code == 422, answer.text[:300]
    page = parse(answer.text)
    if field == "eligibility.other_areas":  # an area code belongs to the areas
        assert words in page.text_by_id["f-eligibility-areas-error"]
    else:
        assert words in error_beside(page, field), page.text_by_id.get(f"f-{field}-error")
    assert row_counts(engine) == counts


def test_an_edit_is_saved_and_audited_as_the_admin_key(
    admin: TestClient, keys: Keys, engine: Engine
) -> None:
    answer = admin.post(
        f"{CONSOLE}/services/{IDVA}/edit",
        data=_edit_form(admin, IDVA, **{"eligibility.min_age": "18", "description": "New words."}),
    )
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"] == f"{CONSOLE}/services/{IDVA}?notice=saved"
    assert "Your changes were saved" in admin.get(answer.headers["location"]).text
    after, _ = _api_service(admin, keys, IDVA)
    assert after["eligibility"]["min_age"] == 18
    assert after["description"] == "New words."
    last = _audit_rows(engine)[-1]
    assert (last["action"], last["entity_id"]) == ("service.update", IDVA)
    with engine.connect() as connection:
        admin_key_id = connection.execute(
            text("SELECT id FROM api_keys WHERE name = 'test-admin'")
        ).scalar_one()
    assert (last["actor_key_id"], last["actor_role"]) == (admin_key_id, "admin")


def test_saving_an_unchanged_form_changes_nothing(admin: TestClient, engine: Engine) -> None:
    # Every shipped service: the form round-trips its data exactly (webhook secret included).
    for service_id in ("victim-support-triage", "bobby-scheme", "womens-aid-refuge", IDVA):
        counts = row_counts(engine)
        answer = admin.post(
            f"{CONSOLE}/services/{service_id}/edit", data=_edit_form(admin, service_id)
        )
        assert answer.status_code == 303, (service_id, answer.text[:800])
        assert row_counts(engine) == counts, service_id


def test_a_stale_edit_says_someone_else_changed_it_and_keeps_their_change(
    admin: TestClient, keys: Keys, engine: Engine
) -> None:
    mine = _edit_form(admin, IDVA, **{"eligibility.min_age": "17"})
    _, etag = _api_service(admin, keys, IDVA)
    theirs = admin.patch(
        f"/services/{IDVA}",
        json={"response_hours": 12},
        headers={**keys.of("admin"), "If-Match": etag},
    )
    assert theirs.status_code == 200, theirs.text
    answer = admin.post(f"{CONSOLE}/services/{IDVA}/edit", data=mine)
    assert answer.status_code == 409
    assert "Someone else changed this service" in answer.text
    assert "your changes have not been saved" in answer.text
    assert 'value="17"' in answer.text  # what was typed is still there
    after, _ = _api_service(admin, keys, IDVA)
    assert after["response_hours"] == 12 and after["eligibility"]["min_age"] == 16
    # Without the form's ETag at all: the same answer, never a blind overwrite.
    mine.pop("etag")
    assert admin.post(f"{CONSOLE}/services/{IDVA}/edit", data=mine).status_code == 409


def test_a_service_is_added_and_a_taken_id_is_reported_beside_the_id(
    admin: TestClient, keys: Keys
) -> None:
    form = {
        "id": "console-made",
        "provider_id": "victim-support",
        "name": "Made in the console",
        "description": "A test service.",
        "main_need": "emotional_support",
        "needs": ["emotional_support", "practical_support"],
        "specialisms": ["emotional_support"],
        "response_hours": "48",
        "eligibility.areas": ["E07000008"],
        "eligibility.min_age": "18",
        "capacity.status": "green",
        "capacity.available": "3",
        "capacity.maximum": "5",
        "contact.phone": "01632 960999",
    }
    answer = post_form(admin, f"{CONSOLE}/services/new", form)
    assert answer.status_code == 303, answer.text[:800]
    made, _ = _api_service(admin, keys, "console-made")
    assert made["needs"] == ["emotional_support", "practical_support"]
    assert made["eligibility"] == {"min_age": 18, "areas": ["E07000008"]}
    assert made["capacity"]["available"] == 3
    again = post_form(admin, f"{CONSOLE}/services/new", form)
    assert again.status_code == 422
    assert "already exists" in error_beside(parse(again.text), "id")
    bad = post_form(admin, f"{CONSOLE}/services/new", {**form, "id": "Not A Slug"})
    assert "lowercase letters" in error_beside(parse(bad.text), "id")
    over = post_form(
        admin,
        f"{CONSOLE}/services/new",
        {**form, "id": "another", "capacity.available": "9", "capacity.maximum": "5"},
    )
    assert "above maximum" in error_beside(parse(over.text), "capacity.available")


# --------------------------------------------------------------------------- capacity


def test_the_capacity_board_updates_and_reports_errors_by_row(
    admin: TestClient, keys: Keys, engine: Engine
) -> None:
    board = admin.get(f"{CONSOLE}/capacity").text
    assert board.index("womens-aid-refuge") < board.index(IDVA)  # amber before green
    answer = post_form(
        admin,
        f"{CONSOLE}/services/{IDVA}/capacity",
        {"back": "board", "status": "red", "available": "0", "maximum": "40"},
        token_from=f"{CONSOLE}/capacity",
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"#cap-{IDVA}")
    after, _ = _api_service(admin, keys, IDVA)
    assert after["capacity"]["status"] == "red" and after["capacity"]["available"] == 0
    board = admin.get(answer.headers["location"].split("#")[0]).text
    assert "Capacity updated for" in board
    assert board.index(IDVA) < board.index("womens-aid-refuge")  # red first now
    counts = row_counts(engine)
    bad = post_form(
        admin,
        f"{CONSOLE}/services/{IDVA}/capacity",
        {"back": "board", "status": "green", "available": "50", "maximum": "40"},
        token_from=f"{CONSOLE}/capacity",
    )
    assert bad.status_code == 422
    assert "above maximum" in parse(bad.text).text_by_id[f"f-cap-{IDVA}-available-error"]
    assert row_counts(engine) == counts
    detail = post_form(
        admin,
        f"{CONSOLE}/services/{IDVA}/capacity",
        {"back": "service", "status": "purple"},
        token_from=f"{CONSOLE}/services/{IDVA}",
    )
    assert detail.status_code == 422
    assert error_beside(parse(detail.text), "status")


# --------------------------------------------------------------------------- pathways


def test_a_pathway_is_added_drawn_and_removed(admin: TestClient, engine: Engine) -> None:
    pair = 'data-from="neighbourhood-watch" data-to="road-victims-trust"'
    page = admin.get(f"{CONSOLE}/pathways").text
    assert pair not in page
    assert page.count('class="node node-entry"') == 2
    answer = post_form(
        admin,
        f"{CONSOLE}/pathways",
        {"from_service": "neighbourhood-watch", "to_service": "road-victims-trust", "days": "2"},
    )
    assert answer.status_code == 303, answer.text[:500]
    shown = admin.get(answer.headers["location"]).text
    assert pair in shown
    assert 'class="arrow new"' in shown or 'class="arrow back new"' in shown
    assert "Pathway added" in shown
    events = [e["action"] for e in _audit_rows(engine)]
    assert events[-1] == "pathway.create"
    again = post_form(
        admin,
        f"{CONSOLE}/pathways",
        {"from_service": "neighbourhood-watch", "to_service": "road-victims-trust", "days": "2"},
    )
    assert again.status_code == 422 and "already exists" in again.text
    same = post_form(
        admin,
        f"{CONSOLE}/pathways",
        {"from_service": IDVA, "to_service": IDVA, "days": "x"},
    )
    assert same.status_code == 422
    assert error_beside(parse(same.text), "days")
    with engine.connect() as connection:
        pathway_id = connection.execute(
            text(
                "SELECT id FROM pathways WHERE from_service_id = 'neighbourhood-watch' "
                "AND to_service_id = 'road-victims-trust'"
            )
        ).scalar_one()
    removed = post_form(
        admin, f"{CONSOLE}/pathways/{pathway_id}/delete", {}, token_from=f"{CONSOLE}/pathways"
    )
    assert removed.status_code == 303
    after = admin.get(removed.headers["location"]).text
    assert pair not in after and "Pathway removed" in after
    assert (
        admin.post(
            f"{CONSOLE}/pathways/{pathway_id}/delete", data={"csrf_token": csrf_token(after)}
        ).status_code
        == 404
    )


@SQLITE_ONLY
def test_the_picture_is_filtered_by_area_and_need(admin: TestClient) -> None:
    fenland_housing = admin.get(f"{CONSOLE}/pathways?area=E07000010&need=accommodation").text
    nodes = [line for line in fenland_housing.splitlines() if 'data-node="' in line]
    shown = {line.split('data-node="')[1].split('"')[0] for line in nodes}
    assert {"housing-fenland", "womens-aid-refuge", "entry:police", "entry:self"} <= shown
    assert "housing-cambridge" not in shown and "bobby-scheme" not in shown


@SQLITE_ONLY
def test_the_picture_stands_on_its_own_as_svg(admin: TestClient) -> None:
    answer = admin.get(f"{CONSOLE}/pathways/picture.svg?area=E06000031")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(answer.content)  # well-formed XML
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    nodes = {n.get("data-node") for n in svg.iter() if n.get("data-node")}
    assert {"entry:police", "entry:self", "idva-peterborough"} <= nodes
    assert "idva-cambridgeshire" not in nodes
    assert admin.get(f"{CONSOLE}/pathways").text.count("Open the picture on its own") == 1


# --------------------------------------------------------------------------- try a referral


TRY = {
    "source.kind": "police",
    "victim.age": "34",
    "victim.area": "E07000008",
    "victim.sex": "female",
    "victim.role": "direct",
    "victim.consent_to_share": "true",
    "incident.kind": "domestic_abuse",
    "incident.reported_to_police": "true",
    "assessment.dash_score": "16",
    "assessment.flags": ["risk_from_offender"],
    "need.domestic_abuse_advocacy": "3",
    "need.accommodation": "2",
    "need.forensic_medical": "1",
}


def test_try_a_referral_shows_the_plan_and_stores_nothing(
    admin: TestClient, engine: Engine
) -> None:
    counts = row_counts(engine)
    answer = post_form(admin, f"{CONSOLE}/try", TRY)
    assert answer.status_code == 200, answer.text[:1000]
    html = answer.text
    assert "Lead (owns the case)" in html
    assert "Cambridgeshire IDVA" in html or "IDVA" in html
    assert f'href="{CONSOLE}/services/{IDVA}"' in html
    assert "a MARAC referral is due" in html
    assert "Unmet needs (1)" in html and "Forensic medical care (SARC)" in html
    assert "Path" in html and "Police referral →" in html
    assert row_counts(engine) == counts  # nothing stored: no row, no audit event, same version


def test_try_a_referral_reports_bad_input_beside_the_field(
    admin: TestClient, engine: Engine
) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for changes, field in (
        ({"victim.age": "130"}, "victim.age"),
        ({"assessment.dash_score": "25"}, "assessment.dash_score"),
        ({"incident.occurred_on": tomorrow}, "incident.occurred_on"),
        ({"incident.kind": ""}, "incident.kind"),
    ):
        counts = row_counts(engine)
        answer = post_form(admin, f"{CONSOLE}/try", {**TRY, **changes})
        assert answer.status_code == 422, (changes, answer.text[:300])
        assert error_beside(parse(answer.text), field), changes
        assert "The plan" not in answer.text
        assert row_counts(engine) == counts


# --------------------------------------------------------------------------- gaps


@SQLITE_ONLY
def test_gaps_list_the_services_that_fail_one_check_for_common_profiles(
    admin: TestClient, keys: Keys
) -> None:
    html = admin.get(f"{CONSOLE}/gaps").text
    assert html.count('<section class="profile"') >= 6
    # The teenage domestic abuse victim: the IDVA misses her by age alone (16+).
    teen = html.split('id="profile-da-teenager"')[1].split("</section>")[0]
    assert "Cambridgeshire IDVA" in teen or IDVA in teen
    assert "<td>age</td>" in teen and "ages 16 and over" in teen
    # The man who needs a refuge: the women's refuge misses him by sex alone.
    man = html.split('id="profile-da-high-risk-man"')[1].split("</section>")[0]
    assert "single-sex provision" in man and "<td>Female</td>" in man
    # The same answer as POST /search for the profile.
    body = {
        "victim": {"area": "E07000010", "role": "direct", "consent_to_share": True, "age": 15},
        "incident": {
            "kind": "domestic_abuse",
            "reported_to_police": True,
            "occurred_on": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
        },
        "assessment": {"needs": {"domestic_abuse_advocacy": 3}, "dash_score": 18},
        "source": {"kind": "police"},
    }
    searched = admin.post("/search", json=body, headers=keys.of("referrer")).json()
    for gap in searched["gaps"]:
        assert f"{CONSOLE}/services/{gap['service_id']}" in teen
