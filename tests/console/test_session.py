"""Signing in and out of the console: the session cookie, CSRF, who may sign in, and that a
revoked key signs its sessions out. Generated where it can be from the console's own routes, so
that a new page cannot slip past."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Mount

from services.directory.app import create_app
from services.directory.console.session import COOKIE_NAME, SESSION_SECONDS, Signer
from services.directory.settings import DirectorySettings
from tests.directory.helpers import Keys

from .helpers import CONSOLE, csrf_token, post_form, revoke, row_counts, sign_in, signed_in

SAMPLE = {"service_id": "idva-cambridgeshire", "pathway_id": "pw-nowhere"}
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
"""For what does not depend on the database: PostgreSQL would add nothing but time."""
PUBLIC = {("GET", "/sign-in"), ("POST", "/sign-in"), ("POST", "/sign-out")}


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every method and path of the console (its static files aside)."""
    mounts = [r for r in app.routes if isinstance(r, Mount) and r.path == CONSOLE]
    assert len(mounts) == 1, "the directory mounts the console once, at /console"
    console = mounts[0].app
    assert isinstance(console, FastAPI)
    found = []
    for route in iter_route_contexts(console.routes):
        if isinstance(route.path, str) and route.methods:
            for method in sorted(set(route.methods) - {"HEAD"}):
                found.append((method, route.path))
    assert len(found) >= 15, found
    return found


def _url(path: str) -> str:
    return CONSOLE + re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)


def _set_cookie(response_header: str) -> dict[str, str]:
    """The attributes of a Set-Cookie header, lower-cased (flags map to "")."""
    parts = [p.strip() for p in response_header.split(";")]
    attributes = {"value": parts[0].split("=", 1)[1]}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        attributes[name.lower()] = value
    return attributes


def test_every_page_needs_a_session(app: FastAPI, client: TestClient, keys: Keys) -> None:
    for method, path in console_routes(app):
        if (method, path) in PUBLIC:
            continue
        # An API key is no session: the console signs people in with a form.
        answer = client.request(
            method, _url(path), headers={"Authorization": f"Bearer {keys.admin}"}
        )
        assert answer.status_code == 303, (method, path, answer.status_code)
        assert answer.headers["location"].startswith(f"{CONSOLE}/sign-in?next="), (method, path)


def test_the_session_cookie_is_httponly_strict_secure_and_holds_no_key(
    client: TestClient, keys: Keys
) -> None:
    answer = sign_in(client, keys.admin, next_page=f"{CONSOLE}/capacity")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{CONSOLE}/capacity"
    cookie = _set_cookie(answer.headers["set-cookie"])
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "strict"
    assert "secure" in cookie
    assert cookie["path"] == CONSOLE
    assert keys.admin not in cookie["value"]
    assert keys.admin[4:20] not in cookie["value"]
    assert client.get(f"{CONSOLE}/capacity").status_code == 200


@SQLITE_ONLY
def test_plain_http_cookies_only_when_the_setting_allows_them(
    settings: DirectorySettings, keys: Keys
) -> None:
    insecure = settings.model_copy(update={"console_cookie_secure": False})
    with TestClient(create_app(insecure), follow_redirects=False) as client:  # http://
        answer = sign_in(client, keys.admin)
        assert answer.status_code == 303
        assert "secure" not in _set_cookie(answer.headers["set-cookie"])
        assert client.get(f"{CONSOLE}/services").status_code == 200


def test_production_refuses_insecure_console_cookies() -> None:
    with pytest.raises(ValueError, match="PATHWAYS_CONSOLE_COOKIE_SECURE"):
        DirectorySettings(environment="production", console_cookie_secure=False)


@pytest.mark.parametrize("who", ["referrer", "service", "provider_a", "wrong", "blank"])
def test_only_an_admin_key_signs_in_and_the_page_does_not_say_why(
    client: TestClient, keys: Keys, who: str
) -> None:
    made_up = {"wrong": "pwk_" + "x" * 43, "blank": ""}
    key = made_up[who] if who in made_up else getattr(keys, who)
    answer = sign_in(client, key)
    assert answer.status_code == 422
    assert "This key cannot sign in to the console" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert client.get(f"{CONSOLE}/services").status_code == 303


def test_a_revoked_key_signs_its_sessions_out(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    signed_in(client, keys.admin)
    assert client.get(f"{CONSOLE}/services").status_code == 200
    revoke(engine, keys.admin)
    answer = client.get(f"{CONSOLE}/services")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"{CONSOLE}/sign-in?next=")
    assert "ended=1" in answer.headers["location"]
    assert "max-age=0" in answer.headers["set-cookie"].lower()
    page = client.get(answer.headers["location"])
    assert "Your session has ended" in page.text


def test_signing_out_ends_the_session(client: TestClient, keys: Keys) -> None:
    signed_in(client, keys.admin)
    answer = post_form(client, f"{CONSOLE}/sign-out", {}, token_from=f"{CONSOLE}/services")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{CONSOLE}/sign-in?signed_out=1"
    assert client.get(f"{CONSOLE}/services").status_code == 303
    assert "You have signed out" in client.get(f"{CONSOLE}/sign-in?signed_out=1").text


@SQLITE_ONLY
def test_a_forged_or_tampered_cookie_is_no_session(client: TestClient, keys: Keys) -> None:
    signed_in(client, keys.admin)
    good = client.cookies.get(COOKIE_NAME)
    assert good
    body, signature = good.split(".")
    for forged in (f"{body}.{signature[:-2]}AA", f"{body[:-3]}xyz.{signature}", "garbage", ""):
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, forged, path=CONSOLE)
        assert client.get(f"{CONSOLE}/services").status_code == 303, forged
    # Signed with another app's secret (another instance without the shared setting).
    other = Signer(b"another instance's secret, 32 bytes or more")
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, other.dumps(other.new(key_id="x", key_hash="y")), path=CONSOLE)
    assert client.get(f"{CONSOLE}/services").status_code == 303


def test_sessions_expire() -> None:
    signer = Signer(b"s" * 32)
    data = signer.new(key_id="k", key_hash="h")
    cookie = signer.dumps(data)
    assert signer.loads(cookie) == data
    assert signer.loads(cookie, now=data.expires + 1) is None
    assert data.expires - SESSION_SECONDS <= data.expires
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(b"short")


@SQLITE_ONLY
def test_after_sign_in_only_a_local_page_is_next(client: TestClient, keys: Keys) -> None:
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "/docs", "/console\\x"):
        client.cookies.clear()
        answer = sign_in(client, keys.admin, next_page=target)
        assert answer.headers["location"] == f"{CONSOLE}/", target


def test_a_form_without_this_sessions_token_is_refused(
    app: FastAPI, client: TestClient, keys: Keys, engine: Engine
) -> None:
    # The sign-in form's own token is worthless once signed in (a new session, new tokens).
    before_sign_in = csrf_token(client.get(f"{CONSOLE}/sign-in").text)
    signed_in(client, keys.admin)
    counts = row_counts(engine)
    posts = [path for method, path in console_routes(app) if method == "POST"]
    assert len(posts) >= 6
    for path in posts:
        if path == "/sign-in":
            continue
        for token in (None, "", "not-the-token", before_sign_in):
            data = {
                "status": "red",
                "from_service": "entry:self",
                "to_service": "sarc-peterborough",
            }
            if token is not None:
                data["csrf_token"] = token
            answer = client.post(_url(path), data=data)
            assert answer.status_code == 403, (path, token, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
            assert "This form could not be accepted" in answer.text
    assert row_counts(engine) == counts
    assert client.get(f"{CONSOLE}/services").status_code == 200  # still signed in


@SQLITE_ONLY
def test_the_sign_in_form_has_a_token_too(client: TestClient, keys: Keys) -> None:
    client.get(f"{CONSOLE}/sign-in")
    answer = client.post(f"{CONSOLE}/sign-in", data={"key": keys.admin})
    assert answer.status_code == 403
    client.cookies.clear()  # no cookie at all: no token can hold
    answer = client.post(f"{CONSOLE}/sign-in", data={"key": keys.admin, "csrf_token": "x"})
    assert answer.status_code == 403


@SQLITE_ONLY
def test_cookies_are_scoped_to_the_console(client: TestClient, keys: Keys) -> None:
    answer = sign_in(client, keys.admin)
    jar = SimpleCookie()
    jar.load(answer.headers["set-cookie"])
    assert jar[COOKIE_NAME]["path"] == CONSOLE
    # The API does not take a console session for a key.
    assert client.get("/services").status_code == 401
