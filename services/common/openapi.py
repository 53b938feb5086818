"""The OpenAPI document: problem documents declared once, exported byte-stable."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .errors import (
    PROBLEM_JSON,
    FieldError,
    ProblemDocument,
    UnprocessableContentError,
    problem_responses,
)


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


def render(document: dict[str, Any]) -> str:
    """The document as committed under ``openapi/``: indented, key order kept, newline-ended."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
