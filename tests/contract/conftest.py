"""Both services in-process for schemathesis: each test gets a fresh database built by the
migrations (on SQLite, and on PostgreSQL when it is configured), an app, API keys, and the
configuration from the repository's ``schemathesis.toml``."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.python import asgi
from schemathesis.specs.openapi.schemas import OpenApiSchema
from sqlalchemy import Engine

from services.common.db import create_db_engine
from services.directory.app import create_app as create_directory
from services.directory.settings import DirectorySettings
from services.router.app import create_app as create_router
from services.router.settings import RouterSettings
from tests.directory.conftest import (  # noqa: F401 - the directory's database fixtures
    database_url,
    engine,
    keys,
    postgres_engine,
    settings,
    sqlite_template,
)
from tests.faults import figures
from tests.router.api.fakes import FakeDirectory
from tests.router.api.helpers import Keys, make_keys
from tests.router.conftest import (  # noqa: F401 - the router's database fixtures
    fake_directory,
    fake_directory_settings,
    fresh_database_url,
    router_postgres_engine,
    router_sqlite_template,
)

from . import hooks  # noqa: F401 - registers our hook and check with schemathesis


# The router's database, by names that do not clash with the directory's fixtures above.
@pytest.fixture
def router_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database_url(backend, request, tmp_path)


@pytest.fixture
def router_engine(router_database_url: str) -> Iterator[Engine]:
    made = create_db_engine(router_database_url)
    yield made
    made.dispose()


@pytest.fixture
def router_settings(router_database_url: str) -> RouterSettings:
    return fake_directory_settings(router_database_url)


@pytest.fixture
def router_keys(router_engine: Engine) -> Keys:
    return make_keys(router_engine)


CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
KEY_VARIABLE = "PATHWAYS_CONTRACT_KEY"
"""schemathesis.toml sends ``Authorization: Bearer ${PATHWAYS_CONTRACT_KEY}``."""

UNIT_PHASES = ("examples", "coverage", "fuzzing")
STATEFUL = ("stateful",)

# Each schemathesis test runs short in `make test` (schemathesis.toml's counts, derandomized)
# and long in `make soak` (HYPOTHESIS_PROFILE=soak, `-m slow`): many more examples and scenarios,
# and a new seed each time (a failure report names it).
SOAK_EXAMPLES = 150
SOAK_SCENARIOS = 120
_SOAKING = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
LENGTHS = pytest.mark.parametrize(
    "soak",
    [
        pytest.param(False, id="short"),
        pytest.param(
            True,
            id="soak",
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(not _SOAKING, reason="the long variant runs in `make soak`"),
            ],
        ),
    ],
)


def load(
    app: FastAPI,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    phases: Iterable[str],
    tags: Iterable[str] = (),
    operation_ids: Iterable[str] = (),
    soak: bool = False,
) -> OpenApiSchema:
    """The app's OpenAPI document, fetched in-process, as schemathesis.toml configures it for
    that service (its ``[[project]]`` is chosen by the title), authenticated with ``key``."""
    monkeypatch.setenv(KEY_VARIABLE, key)
    config = schemathesis.Config.from_path(CONFIG)
    override = config.projects.override
    override.phases.update(phases=list(phases))
    if soak:
        # CI runs the long variant with the fixed seed, so a red build is reproducible and a
        # submission is judged on cases verified before it; elsewhere each soak explores anew.
        seed = config.seed if os.environ.get("CI") == "true" else random.getrandbits(64)
        config.update(seed=seed, max_failures=None)
        override.generation.update(max_examples=SOAK_EXAMPLES, deterministic=False)
        override.phases.stateful.generation.update(max_examples=SOAK_SCENARIOS, deterministic=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    if wanted := list(tags):
        schema = schema.include(tag=wanted)
    if wanted := list(operation_ids):
        schema = schema.include(operation_id=wanted)
    return schema


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures.report(terminalreporter, "contract")


@pytest.fixture
def in_process() -> Iterator[None]:
    # schemathesis starts an app's lifespan on its first request and keeps it running; stop it
    # with the test, so that the engine is disposed of before the test's database goes.
    yield
    asgi.shutdown_lifespans()


@pytest.fixture
def directory_app(settings: DirectorySettings, in_process: None) -> FastAPI:  # noqa: F811
    return create_directory(settings)


@pytest.fixture
def router_app(
    router_settings: RouterSettings,
    fake_directory: FakeDirectory,  # noqa: F811
    in_process: None,
) -> FastAPI:
    return create_router(router_settings, directory_transport=fake_directory.transport())
