"""Input models refuse unstorable text; database URLs and UTC datetimes behave."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import Field, ValidationError
from sqlalchemy import create_engine

from services.common.db import UtcDateTime, create_db_engine, normalise_url
from services.common.inputs import InputModel, PatchModel


class Body(InputModel):
    name: str
    tags: dict[str, list[str]] = Field(default_factory=dict)


class Patch(PatchModel):
    name: str | None = None


@pytest.mark.parametrize(
    "data",
    [
        {"name": "a\x00b"},
        {"name": "\ud800"},
        {"name": "ok", "tags": {"k\x00": ["v"]}},
        {"name": "ok", "tags": {"k": ["fine", "bad\x00"]}},
        {"name": "ok", "extra": 1},
    ],
)
def test_input_models_refuse_unstorable_text_and_unknown_fields(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate(data)


def test_input_models_refuse_deep_nesting() -> None:
    deep: object = "x"
    for _ in range(20):
        deep = [deep]
    with pytest.raises(ValidationError, match="nested"):
        Body.model_validate({"name": "ok", "tags": {"k": deep}})


def test_patch_models_refuse_null_unless_allowed() -> None:
    assert Patch.model_validate({}).model_fields_set == set()
    with pytest.raises(ValidationError, match="must not be null"):
        Patch.model_validate({"name": None})


def test_postgresql_urls_mean_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///var/x.db") == "sqlite:///var/x.db"


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "sqlite://", "sqlite:///:memory:", "postgresql+psycopg2://u@h/db"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        create_db_engine(url)


def test_utc_datetimes_round_trip_on_both_dialects() -> None:
    column = UtcDateTime()
    moment = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    # Engines that never connect: only their dialects are used.
    sqlite = create_engine("sqlite://").dialect
    postgres = create_engine("postgresql+psycopg://nobody@localhost/none").dialect
    for dialect in (sqlite, postgres):
        stored = column.process_bind_param(moment, dialect)
        assert stored is not None
        back = column.process_result_value(stored, dialect)
        assert back == moment and back is not None and back.tzinfo == dt.UTC
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 1, 1), sqlite)
