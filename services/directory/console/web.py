"""The console's web plumbing: its context, page rendering, HTML error pages, and the headers
every console response carries.

Errors inside the console are pages for people, not problem documents: the same domain errors
the API renders as ``application/problem+json`` are rendered here as HTML with the same detail.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.vocabulary import (
    CapacityStatus,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    SourceKind,
    VictimRole,
)
from services.common.errors import ProblemError

from . import labels
from .session import COOKIE_NAME, ConsoleUser, Signer, cookie_options

log = logging.getLogger("pathways.console")

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

SECURITY_HEADERS = {
    # Everything the console uses is its own: no inline script or style, no other origin.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class ConsoleContext:
    """What the console's pages share: the signer, the templates, the cookie's settings."""

    signer: Signer
    templates: Jinja2Templates
    cookie_secure: bool


def console_context(request: Request) -> ConsoleContext:
    context = getattr(request.app.state, "console", None)
    if not isinstance(context, ConsoleContext):
        raise RuntimeError("the console's context is missing: build it with create_console()")
    return context


def base(request: Request) -> str:
    """Where the console is mounted (``/console``), for links and the cookie's path."""
    return str(request.scope.get("root_path", "")).rstrip("/")


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def field_id(name: str) -> str:
    """An HTML id for a form field's dotted name: ``eligibility.min_age`` →
    ``f-eligibility-min_age``."""
    return "f-" + _ID_UNSAFE.sub("-", name)


@functools.cache
def make_templates() -> Jinja2Templates:
    """The console's templates. One environment per process: it holds nothing but the
    templates, compiled once, so every console app (tests make many) can share it."""
    templates = Jinja2Templates(directory=TEMPLATES)
    env = templates.env
    env.globals.update(
        labels=labels,
        word=labels.word,
        field_id=field_id,
        needs=[n.value for n in Need],
        incident_kinds=[k.value for k in IncidentKind],
        roles=[r.value for r in VictimRole],
        risk_levels=[r.value for r in RiskLevel],
        sexes=[s.value for s in Sex],
        flags=[f.value for f in RiskFlag],
        sources=[s.value for s in SourceKind],
        statuses=[c.value for c in CapacityStatus],
        areas=list(labels.AREAS),
        severity_options=[(str(k), v) for k, v in labels.SEVERITIES.items()],
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    user: ConsoleUser | None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page of the console, with the signed-in user and the form token in its context."""
    console = console_context(request)
    page: dict[str, Any] = {
        "base": base(request),
        "user": user,
        "csrf_token": user.csrf_token if user is not None else "",
        "path": request.url.path,
    }
    page.update(context or {})
    return console.templates.TemplateResponse(request, template, page, status_code=status_code)


def redirect(request: Request, path: str, **query: str) -> RedirectResponse:
    """303 See Other to a console page (after a form: the browser then GETs it)."""
    given = {k: v for k, v in query.items() if v}
    url = base(request) + path + (f"?{urlencode(given)}" if given else "")
    return RedirectResponse(url, status_code=303)


# --------------------------------------------------------------------------- sign-in required


class SignInRequired(Exception):  # noqa: N818 - a control-flow signal, not an error
    """No valid session: send the browser to the sign-in page (and back here afterwards)."""


class CsrfRefused(Exception):  # noqa: N818
    """A form without the session's token: refuse it (403) with a page that says why."""


def safe_next(request: Request, target: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    home = base(request) + "/"
    if not target or not target.startswith(home) or target.startswith("//") or "\\" in target:
        return home
    if any(ord(c) < 0x21 for c in target):
        return home
    return target


async def _on_sign_in_required(request: Request, exc: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    query = "next=" + quote(target if request.method == "GET" else base(request) + "/", safe="")
    if COOKIE_NAME in request.cookies:
        query += "&ended=1"
    response = RedirectResponse(f"{base(request)}/sign-in?{query}", status_code=303)
    if COOKIE_NAME in request.cookies:
        console = console_context(request)
        response.delete_cookie(
            COOKIE_NAME, **cookie_options(secure=console.cookie_secure, path=base(request) or "/")
        )
    return response


# --------------------------------------------------------------------------- error pages


def error_page(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    console = console_context(request)
    response = console.templates.TemplateResponse(
        request,
        "error.html",
        {
            "base": base(request),
            "user": None,
            "csrf_token": "",
            "status": status,
            "title": title,
            "detail": detail,
            "path": request.url.path,
        },
        status_code=status,
    )
    response.headers.update(headers or {})
    return response


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "That clashes with the directory as it is",
    412: "Someone else changed this",
    413: "Too much to send",
    422: "That is not valid",
    503: "The directory is not available",
}


async def _on_csrf(request: Request, exc: Exception) -> HTMLResponse:
    return error_page(
        request,
        status=403,
        title="This form could not be accepted",
        detail="The form did not carry this session's security token: it may have been open "
        "since before you signed in, or it came from another site. Go back, reload the page "
        "and try again.",
    )


async def _on_problem(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, ProblemError)
    title = _TITLES.get(exc.status, "Something went wrong")
    return error_page(request, status=exc.status, title=title, detail=exc.detail)


async def _on_validation(request: Request, exc: Exception) -> HTMLResponse:
    # Only path parameters are declared (forms are read by hand): a malformed id names nothing.
    return error_page(
        request, status=404, title=_TITLES[404], detail="There is nothing at this address."
    )


async def _on_http(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = {
        404: "There is nothing at this address. Use the menu to find what you were looking for.",
        405: "This page cannot be used that way: use the links and buttons on the console's pages.",
        413: "The form sent too much data.",
    }.get(status, exc.detail if isinstance(exc.detail, str) else "")
    headers = {"Allow": exc.headers["Allow"]} if exc.headers and "Allow" in exc.headers else None
    return error_page(
        request, status=status, title=_TITLES.get(status, "Error"), detail=detail, headers=headers
    )


async def _on_unavailable(request: Request, exc: Exception) -> HTMLResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_page(
        request,
        status=503,
        title=_TITLES[503],
        detail="The directory's database cannot be reached just now. Nothing was changed. "
        "Wait a moment and try again.",
        headers={"Retry-After": "5"},
    )


async def _on_integrity(request: Request, exc: Exception) -> HTMLResponse:
    log.info("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return error_page(
        request,
        status=409,
        title=_TITLES[409],
        detail="Someone else changed the directory at the same moment. Nothing was changed: "
        "reload the page and try again.",
    )


async def _on_unexpected(request: Request, exc: Exception) -> HTMLResponse:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error %s on %s %s", incident, request.method, request.url.path, exc_info=exc
    )
    return error_page(
        request,
        status=500,
        title="Something went wrong",
        detail=f"The console hit an unexpected error; nothing was changed. It has been logged "
        f"as {incident}.",
    )


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    SignInRequired: _on_sign_in_required,
    CsrfRefused: _on_csrf,
    ProblemError: _on_problem,
    RequestValidationError: _on_validation,
    StarletteHTTPException: _on_http,
    IntegrityError: _on_integrity,
    OperationalError: _on_unavailable,
    InterfaceError: _on_unavailable,
    PoolTimeoutError: _on_unavailable,
    Exception: _on_unexpected,
}


# --------------------------------------------------------------------------- headers


class SecurityHeadersMiddleware:
    """Adds ``SECURITY_HEADERS`` to every console response, and ``Cache-Control: no-store`` to
    every page (they show the directory to a signed-in admin; only the static files are
    cacheable)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(str(scope.get("root_path", "")) + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if not static:
                    extra["Cache-Control"] = "no-store"
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
