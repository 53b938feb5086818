"""Errors as RFC 9457 problem documents (``application/problem+json``).

Code below the endpoints raises domain errors that carry their HTTP status; one set of handlers,
installed by ``install_problem_handlers``, renders every error — ours, FastAPI's request
validation errors, Starlette's 404/405 for unknown routes, database conflicts and anything
unexpected — as a problem document. Nothing below an endpoint raises ``HTTPException``.

::

    ProblemError                     the root; status 500 unless a subclass says otherwise
    ├── BadRequestError              400
    ├── UnauthorizedError            401, with ``WWW-Authenticate: Bearer``
    ├── ForbiddenError               403, a valid key whose role may not do this
    ├── NotFoundError                404, also for another provider's object
    ├── ConflictError                409, the change contradicts the current state (says why)
    ├── PreconditionFailedError      412, a stale ``If-Match``
    ├── ContentTooLargeError         413
    ├── UnsupportedMediaTypeError    415, a body that is not sent as JSON
    ├── UnprocessableContentError    422, with ``errors``: one entry per bad field
    ├── PreconditionRequiredError    428, ``If-Match`` missing where it is required
    └── ServiceUnavailableError      503

A service subclasses these for its own cases (``ServiceHasPathwaysError(ConflictError)``)
and sets ``code`` (a stable machine-readable string) and ``description`` (for the OpenAPI document).
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, Self

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
MAX_REPORTED_ERRORS = 20

log = logging.getLogger("pathways.errors")


class FieldError(BaseModel):
    """One invalid part of a request."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int] = Field(
        description="Where: 'body', 'query', 'path' or 'header', then the field path."
    )
    msg: str = Field(description="What is wrong, in plain words.")
    type: str = Field(description="A stable code for the kind of error.")


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document: every error this API returns has this shape."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(default="about:blank", description="A URI reference naming the problem.")
    title: str = Field(description="The HTTP status phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong and what to do about it, in plain words.")
    instance: str | None = Field(default=None, description="The path of the request.")
    code: str | None = Field(default=None, description="A stable machine-readable code.")
    errors: list[FieldError] | None = Field(
        default=None, description="For 422: every invalid field (at most 20)."
    )


class ProblemError(Exception):
    """An error with an HTTP status; rendered as a problem document."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    description: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None


class BadRequestError(ProblemError):
    status = 400
    code = "bad_request"
    description = "The request cannot be understood"


class UnauthorizedError(ProblemError):
    status = 401
    code = "unauthorized"
    description = "No API key, or a key that is wrong or revoked"

    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        # RFC 6750 §3: say which scheme to use, and whether the token given was the problem.
        challenge = 'Bearer realm="pathways"'
        if invalid_token:
            challenge += ', error="invalid_token"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(ProblemError):
    status = 403
    code = "forbidden"
    description = "The API key's role may not do this"


class NotFoundError(ProblemError):
    status = 404
    code = "not_found"
    description = "No such object (or it belongs to another provider)"


class ConflictError(ProblemError):
    status = 409
    code = "conflict"
    description = "The change contradicts the current state"


class PreconditionFailedError(ProblemError):
    status = 412
    code = "precondition_failed"
    description = "If-Match does not match the current ETag: reload and retry"


class ContentTooLargeError(ProblemError):
    status = 413
    code = "content_too_large"
    description = "The request body is too large"


class UnsupportedMediaTypeError(ProblemError):
    status = 415
    code = "unsupported_media_type"
    description = "The body is not sent as JSON: use Content-Type: application/json"


class UnprocessableContentError(ProblemError):
    status = 422
    code = "invalid_request"
    description = "The request is not valid; `errors` lists each invalid field"

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str, *, type: str = "value_error") -> Self:
        """One invalid field: ``UnprocessableContentError.at(["body", "provider_id"], "…")``."""
        where = ".".join(str(part) for part in loc)
        return cls(f"{where}: {msg}", errors=[FieldError(loc=list(loc), msg=msg, type=type)])


class PreconditionRequiredError(ProblemError):
    status = 428
    code = "precondition_required"
    description = "If-Match is required: GET the object first and send its ETag"


class ServiceUnavailableError(ProblemError):
    status = 503
    code = "unavailable"
    description = "Not ready: the database is unreachable or not migrated"


# --------------------------------------------------------------------------- rendering


_RFC_9110_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def _phrase(status: int) -> str:
    if status in _RFC_9110_PHRASES:
        return _RFC_9110_PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_OPERATIONS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@functools.lru_cache(maxsize=256)
def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _allowed_methods(request: Request) -> str:
    # Starlette's 405 names only the first route that matched the path; the OpenAPI document
    # knows every operation on it.
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if _template(template).fullmatch(request.url.path):
            methods |= {m.upper() for m in operations if m in _OPERATIONS}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def problem_response(
    request: Request,
    *,
    status: int,
    detail: str,
    code: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    doc = ProblemDocument(
        title=_phrase(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        code=code,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        doc.model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def _loc_part(part: object) -> str | int:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


def _field_errors(raw: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    # Only loc, msg and type: FastAPI's "input" would echo the caller's data (possibly huge or
    # personal) and "ctx" may hold exception objects.
    return [
        FieldError(
            loc=[_loc_part(p) for p in e.get("loc", ())],
            msg=str(e.get("msg", "is not valid")),
            type=str(e.get("type", "value_error")),
        )
        for e in raw
    ]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        detail=exc.detail,
        code=exc.code,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc.errors())
    first = errors[0] if errors else None
    detail = "The request is not valid"
    if first is not None:
        detail += f": {'.'.join(str(p) for p in first.loc)}: {first.msg}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
    return problem_response(
        request,
        status=422,
        detail=detail,
        code=UnprocessableContentError.code,
        errors=errors[:MAX_REPORTED_ERRORS],
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        detail, code = f"Nothing is at {request.url.path}", "no_route"
    elif status == 405:
        allowed = _allowed_methods(request) or headers.get("Allow", "")
        headers["Allow"] = allowed
        detail = f"{request.method} is not allowed on {request.url.path}"
        detail += f"; allowed: {allowed}" if allowed else ""
        code = "method_not_allowed"
    elif status == 413:
        detail, code = "The request body is too large", ContentTooLargeError.code
    elif status == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI's answer to a JSON body it cannot even decode (not UTF-8, nested past the
        # parser's limit): the same 422 as any other JSON that does not parse.
        return _unparseable_body(request, exc.__cause__)
    else:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else _phrase(status)
        code = None
    return problem_response(request, status=status, detail=detail, code=code, headers=headers)


def _unparseable_body(request: Request, cause: Exception) -> JSONResponse:
    if isinstance(cause, RecursionError):
        msg = "is nested too deeply to read"
    else:
        msg = "is not JSON: it must be UTF-8 text"
    return problem_response(
        request,
        status=422,
        detail=f"The request is not valid: body: {msg}",
        code=UnprocessableContentError.code,
        errors=[FieldError(loc=["body"], msg=msg, type="json_invalid")],
    )


DATABASE_RETRY_AFTER_S = 5


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The database is out of reach (down, restarting, a network fault), timed out, or every
    # pooled connection is busy. Not the caller's fault and not a bug: a 503 to retry, never a
    # 500. The pool pings before each use, so the service recovers by itself when it is back.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        status=503,
        detail="The database cannot be reached just now; retry shortly (a referral with the "
        "same Idempotency-Key, so that it is not made twice)",
        code="database_unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


async def _on_integrity(request: Request, exc: Exception) -> JSONResponse:
    # Checks in the services catch the ordinary cases with a clear message; this is the
    # database's backstop when two requests race (a duplicate id, a row deleted meanwhile).
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        status=409,
        detail="The change conflicts with another change made at the same time: reload and retry",
        code="concurrent_change",
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex
    log.error(
        "unexpected error %s on %s %s", incident, request.method, request.url.path, exc_info=exc
    )
    return problem_response(
        request,
        status=500,
        detail=f"An unexpected error occurred; it has been logged as {incident}",
        code=ProblemError.code,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as ``application/problem+json``."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(IntegrityError, _on_integrity)
    for unavailable in (OperationalError, InterfaceError, PoolTimeoutError):
        app.add_exception_handler(unavailable, _on_database_unavailable)
    # Starlette gives the catch-all to ServerErrorMiddleware: it sends this response and then
    # re-raises, so the server logs the traceback too.
    app.add_exception_handler(Exception, _on_unexpected)


# --------------------------------------------------------------------------- OpenAPI

PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/ProblemDocument"}


def problem_responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for endpoints that may raise ``errors``; one entry per status."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        descriptions = by_status.setdefault(error.status, [])
        if error.description not in descriptions:
            descriptions.append(error.description)
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(by_status):
        entry: dict[str, Any] = {
            "description": "; ".join(by_status[status]),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA_REF}},
        }
        if status == 401:
            entry["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to use: Bearer",
                    "schema": {"type": "string"},
                }
            }
        out[status] = entry
    return out
