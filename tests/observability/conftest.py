"""Both services in process on fresh databases (SQLite and PostgreSQL through ``backend``), with
keys for every role: the security suite's fixtures, shared rather than copied."""

from tests.security.conftest import (
    directory,
    directory_app,
    directory_engine,
    directory_keys,
    directory_settings,
    directory_url,
    fake_directory,
    router,
    router_app,
    router_engine,
    router_keys,
    router_settings,
    router_url,
    security_directory_postgres,
    security_directory_template,
    security_router_postgres,
    security_router_template,
)

__all__ = [
    "directory",
    "directory_app",
    "directory_engine",
    "directory_keys",
    "directory_settings",
    "directory_url",
    "fake_directory",
    "router",
    "router_app",
    "router_engine",
    "router_keys",
    "router_settings",
    "router_url",
    "security_directory_postgres",
    "security_directory_template",
    "security_router_postgres",
    "security_router_template",
]
