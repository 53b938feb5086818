"""Alembic environment of the router: see services.common.migrations.run_env."""

from typing import cast

from alembic import context
from alembic.runtime.environment import EnvironmentContext

from services.common.migrations import run_env
from services.router.db import MIGRATIONS, metadata
from services.router.settings import RouterSettings

run_env(
    # alembic.context is a module that proxies the running EnvironmentContext.
    cast(EnvironmentContext, context),
    migration_set=MIGRATIONS,
    metadata=metadata,
    default_url=lambda: RouterSettings().database_url,
)
