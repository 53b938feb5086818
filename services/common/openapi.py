"""The OpenAPI document: problem documents declared once, exported byte-stable."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .errors import (
    PROBLEM_JSON,
    ContentTooLargeError,
    FieldError,
    ProblemDocument,
    ProblemError,
    ServiceUnavailableError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
    problem_responses,
)
from .etag import REQUIRED_IN_DOCUMENT

ETAG_HEADER = {
    "ETag": {
        "description": "The representation's entity tag: send it back as `If-Match` to change "
        "it, or as `If-None-Match` to read it only if it changed.",
        "schema": {"type": "string"},
    }
}
"""``headers`` for a response that carries an ``ETag``."""

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string"},
    }
}

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def link(
    operation_id: str,
    description: str,
    parameters: dict[str, str] | None = None,
    request_body: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An OpenAPI link: what a client (or a stateful test) can do next with this response.

    ``parameters`` maps ``path.name`` or ``header.Name`` to a runtime expression such as
    ``$response.body#/id`` or ``$response.header.ETag``; ``request_body`` gives fields of the
    next request's body the same way (the rest is up to the client).
    """
    out: dict[str, Any] = {"operationId": operation_id, "description": description}
    if parameters:
        out["parameters"] = parameters
    if request_body:
        out["requestBody"] = request_body
    return out


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` include the problem document schema that every error uses."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas,
            )
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            for model in (FieldError, ProblemDocument):
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schema.pop("$defs", None)
                schemas[model.__name__] = schema
            # Every 422 is a problem document: FastAPI's own shapes are never sent.
            _problem_422s(doc)
            # What the middleware and the shared handlers answer: the document says so too.
            _answers_from_outside_the_endpoints(doc)
            _required_headers(doc)
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            doc["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _problem_422s(doc: dict[str, Any]) -> None:
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            if response is None or PROBLEM_JSON in response.get("content", {}):
                continue
            response.clear()
            response.update(problem_responses(UnprocessableContentError)[422])


@functools.lru_cache(maxsize=256)
def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def find_operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The operation of ``document`` that a request to ``method path`` reaches, if any."""
    for template, operations in document.get("paths", {}).items():
        if _path_pattern(template).fullmatch(path):
            operation = operations.get(method.lower())
            if operation is not None:
                return dict(operation)
    return None


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for operations in doc.get("paths", {}).values()
        for method, operation in operations.items()
        if method in _METHODS
    ]


def _answers_from_outside_the_endpoints(doc: dict[str, Any]) -> None:
    """Declare what the middleware and the shared handlers answer, on every operation they
    answer for: BodyLimitMiddleware refuses any request over the cap (even a GET's);
    JsonBodyMiddleware a body that is not JSON wherever an operation takes one; and an
    operation that needs a key looks it up in the database, so while that is unreachable it
    answers 503 (operations without a key that use the database declare that themselves)."""
    for operation in _operations(doc):
        errors: list[type[ProblemError]] = [ContentTooLargeError]
        if "requestBody" in operation:
            errors.append(UnsupportedMediaTypeError)
        if operation.get("security"):
            errors.append(ServiceUnavailableError)
        responses = operation.setdefault("responses", {})
        for status, response in problem_responses(*errors).items():
            if status == 503:
                response["headers"] = RETRY_AFTER_HEADER
            responses.setdefault(str(status), response)
        operation["responses"] = dict(sorted(responses.items()))


def _required_headers(doc: dict[str, Any]) -> None:
    for operation in _operations(doc):
        for parameter in operation.get("parameters", ()):
            schema = parameter.get("schema", {})
            if schema.pop(REQUIRED_IN_DOCUMENT, False):
                parameter["required"] = True
                # A header that must be sent has a value: no "or null".
                options = [o for o in schema.pop("anyOf", ()) if o != {"type": "null"}]
                if len(options) == 1:
                    schema.update(options[0])
                elif options:
                    schema["anyOf"] = options


def render(document: dict[str, Any]) -> str:
    """The document as committed under ``openapi/``: indented, key order kept, newline-ended."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
