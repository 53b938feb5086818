"""openapi/<service>.json is what the app serves: regenerate with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.common.openapi import render
from services.directory.app import create_app as create_directory
from services.router.app import create_app as create_router

OPENAPI = Path(__file__).resolve().parents[1] / "openapi"


@pytest.mark.parametrize(
    ("name", "factory"), [("directory", create_directory), ("router", create_router)]
)
def test_the_committed_openapi_document_matches_the_app(name: str, factory: object) -> None:
    assert callable(factory)
    committed = OPENAPI / f"{name}.json"
    assert committed.is_file(), f"{committed} is missing: run `make openapi`"
    generated = render(factory().openapi())
    assert json.loads(committed.read_text("utf-8")) == json.loads(generated), (
        f"{committed} is out of date: run `make openapi` and commit the result"
    )
    assert committed.read_text("utf-8") == generated  # byte for byte, so diffs stay honest
