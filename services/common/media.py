"""Request bodies are JSON: anything else sent to an operation that takes a body is a 415.

FastAPI on its own hands a text/plain or form body to validation as raw bytes, and reads a body
without any ``Content-Type`` as nothing at all, so the client is told "Input should be a valid
dictionary" or "Field required" about a body it did send. Here the answer names the real
problem. A request without a body is left alone: an optional body may be left out, and a
missing required one is a 422 naming ``body``.
"""

from __future__ import annotations

from email.message import Message

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import UnsupportedMediaTypeError, problem_response
from .openapi import find_operation


def is_json(content_type: str) -> bool:
    """``application/json`` or any ``application/*+json``, with or without parameters."""
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _takes_body(request: Request) -> bool:
    # The OpenAPI document knows which operations take a body; it is built once per app.
    app = request.scope.get("app")
    if not isinstance(app, FastAPI):
        return False
    operation = find_operation(app.openapi(), request.method, request.url.path)
    return operation is not None and "requestBody" in operation


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


class JsonBodyMiddleware:
    """Answer 415 (a problem document) when a request to an operation that takes a body carries
    one that is not declared as JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            request = Request(scope)
            if _has_body(headers) and not is_json(content_type) and _takes_body(request):
                got = f"got {content_type!r}" if content_type else "none was given"
                response = problem_response(
                    request,
                    status=UnsupportedMediaTypeError.status,
                    detail="The body must be JSON, sent with Content-Type: application/json "
                    f"({got})",
                    code=UnsupportedMediaTypeError.code,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
