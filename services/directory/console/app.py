"""``create_console(settings)``: the console as an app of its own, mounted by the directory.

A sub-application rather than routes of the directory's app: its errors are HTML pages (the API
keeps its problem documents), it stays out of the OpenAPI document, and it shares the
directory's lifespan (engine, settings, snapshot cache) through the request state.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ..settings import DirectorySettings
from .endpoints import router
from .session import Signer
from .web import (
    EXCEPTION_HANDLERS,
    STATIC,
    ConsoleContext,
    SecurityHeadersMiddleware,
    make_templates,
)

PATH = "/console"
"""Where the directory mounts the console."""


def create_console(settings: DirectorySettings) -> FastAPI:
    """The console, signing its session cookies with ``settings.console_secret`` (or with a
    secret of its own, drawn now, when none is set)."""
    secret = (
        settings.console_secret.get_secret_value().encode()
        if settings.console_secret is not None
        else secrets.token_bytes(32)
    )
    console = FastAPI(
        title="Pathways admin console",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    console.state.console = ConsoleContext(
        signer=Signer(secret),
        templates=make_templates(),
        cookie_secure=settings.console_cookie_secure,
    )
    console.add_middleware(SecurityHeadersMiddleware)
    for error, handler in EXCEPTION_HANDLERS.items():
        console.add_exception_handler(error, handler)
    console.mount("/static", StaticFiles(directory=STATIC), name="static")
    console.include_router(router)
    return console
