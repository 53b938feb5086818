"""Fixtures every service's tests share: the database backends.

A test that uses ``backend`` runs twice, on SQLite and on PostgreSQL. PostgreSQL runs when
``PATHWAYS_TEST_POSTGRES_URL`` is set (``postgresql+psycopg://user@host:port/db``) and is skipped
otherwise — unless ``PATHWAYS_REQUIRE_POSTGRES=1``, when a missing URL or an unreachable server
fails the run instead (CI sets both). Each test session works in PostgreSQL schemas of its own,
named uniquely and dropped at the end, so parallel runs and earlier runs cannot interfere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "PATHWAYS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "PATHWAYS_REQUIRE_POSTGRES"
CONNECT_TIMEOUT_S = 5

SchemaFactory = Callable[[str], str]
"""Makes a fresh schema named after a label; returns a SQLAlchemy URL that works in it."""


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's search_path set to ``schema`` (psycopg ``options``)."""
    u = make_url(url).set(drivername="postgresql+psycopg")
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server to test against; skips (or fails, when required) without one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    required = os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1"
    if not url:
        message = f"{POSTGRES_URL_VARIABLE} is not set"
        if required:
            pytest.fail(f"{message}, and {REQUIRE_POSTGRES_VARIABLE}=1 requires PostgreSQL")
        pytest.skip(message)
    try:
        with psycopg.connect(_libpq(url), connect_timeout=CONNECT_TIMEOUT_S) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc}"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_schemas(postgres_url: str) -> Iterator[SchemaFactory]:
    created: list[str] = []

    def make(label: str) -> str:
        schema = f"pathways_test_{label}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        created.append(schema)
        return with_search_path(postgres_url, schema)

    yield make
    with psycopg.connect(_libpq(postgres_url), autocommit=True) as connection:
        for schema in created:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: tests using it run on both."""
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres_url")  # skip or fail here, before any other set-up
    return name
