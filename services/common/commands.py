"""The ``pathways`` subcommands that work on any HTTP service: serve, db upgrade, keys create,
openapi. ``services/cli.py`` parses the arguments and imports this module only to run one.

Exit status: 0 done, 1 failed (database unreachable, not migrated), 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from .auth.schemas import Principal, Role
from .auth.service import InvalidKeyRequestError, create_key
from .db import create_db_engine, writer
from .observability.logging import configure_logging
from .openapi import render
from .spec import ServiceSpec

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def service_spec(name: str) -> ServiceSpec:
    spec = importlib.import_module(f"services.{name}.spec").SPEC
    assert isinstance(spec, ServiceSpec)
    return spec


def fail(command: str, message: str, status: int = EXIT_FAILURE) -> int:
    print(f"pathways {command}: {message}", file=sys.stderr)
    return status


def ready_engine(command: str, spec: ServiceSpec) -> Engine | int:
    """An engine on the service's database if it is reachable and fully migrated; else the
    exit status, with the reason printed."""
    try:
        engine = create_db_engine(spec.load_settings().database_url)
    except ValueError as exc:
        return fail(command, str(exc), EXIT_BAD_INPUT)
    try:
        with engine.connect() as connection:
            current = spec.migrations.current(connection)
    except SQLAlchemyError as exc:
        engine.dispose()
        return fail(command, f"cannot reach the {spec.name} database: {exc}")
    head = spec.migrations.head()
    if current != head:
        engine.dispose()
        return fail(
            command,
            f"the {spec.name} database is at {current or 'no revision'}, not {head}: "
            f"run `pathways db upgrade --service {spec.name}` first",
        )
    return engine


def serve(args: argparse.Namespace) -> int:
    spec = service_spec(args.service)
    try:
        settings = spec.load_settings()
    except ValueError as exc:
        return fail("serve", str(exc), EXIT_BAD_INPUT)
    configure_logging(service=spec.name, log_format=settings.log_format, level=settings.log_level)
    uvicorn.run(
        spec.app_factory,
        factory=True,
        host=args.host,
        port=args.port if args.port is not None else spec.default_port,
        # Logging is configured above (JSON lines by default); uvicorn's access log would
        # repeat the middleware's access line with the raw path and no request id.
        log_config=None,
        access_log=False,
    )
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    spec = service_spec(args.service)
    try:
        engine = create_db_engine(spec.load_settings().database_url)
    except ValueError as exc:
        return fail("db upgrade", str(exc), EXIT_BAD_INPUT)
    try:
        spec.migrations.upgrade(engine, args.revision)
        with engine.connect() as connection:
            current = spec.migrations.current(connection)
    except SQLAlchemyError as exc:
        return fail("db upgrade", f"cannot migrate the {spec.name} database: {exc}")
    finally:
        engine.dispose()
    print(f"the {spec.name} database is at revision {current}", file=sys.stderr)
    return 0


def keys_create(args: argparse.Namespace) -> int:
    spec = service_spec(args.service)
    role = Role(args.role)
    name = args.name or f"{role.value}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    engine = ready_engine("keys create", spec)
    if isinstance(engine, int):
        return engine
    try:
        with Session(writer(engine)) as session:
            if (
                args.provider
                and spec.provider_exists is not None
                and not spec.provider_exists(session, args.provider)
            ):
                return fail(
                    "keys create", f"there is no provider {args.provider!r}", EXIT_BAD_INPUT
                )
            _row, key = create_key(
                session=session,
                role=role,
                name=name,
                provider_id=args.provider,
                replace=args.replace,
                by=Principal.operator("pathways keys create"),
            )
            session.commit()
    except InvalidKeyRequestError as exc:
        return fail("keys create", str(exc), EXIT_BAD_INPUT)
    finally:
        engine.dispose()
    print(key)
    return 0


def openapi(args: argparse.Namespace) -> int:
    text = render(service_spec(args.service).create_app().openapi())
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, "utf-8")
    except OSError as exc:
        return fail("openapi", f"cannot write {args.output}: {exc.strerror}", EXIT_BAD_INPUT)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
