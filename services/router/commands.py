"""``pathways worker``: webhook deliveries and the expiry sweep, in a process of their own.

Run it where the router's instances start with ``PATHWAYS_RUN_WORKER=false`` (or beside them:
claims are leased, so several workers never deliver one event twice at the same time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
from types import FrameType

from services.common.commands import fail, ready_engine, service_spec
from services.common.observability.logging import configure_logging

from .clients.directory import DirectoryClient
from .handovers.service import expire_overdue
from .settings import RouterSettings
from .snapshot.service import DirectoryView
from .worker import Worker


def worker(args: argparse.Namespace) -> int:
    del args
    try:
        settings = RouterSettings()
    except ValueError as exc:
        return fail("worker", str(exc), 2)
    configure_logging(service="router", log_format=settings.log_format, level=settings.log_level)
    spec = service_spec("router")
    engine = ready_engine("worker", spec)
    if isinstance(engine, int):
        return engine
    client = DirectoryClient(
        base_url=settings.directory_url,
        api_key=settings.directory_api_key.get_secret_value()
        if settings.directory_api_key
        else None,
        timeout=settings.directory_timeout_seconds,
        retries=settings.directory_retries,
    )
    view = DirectoryView(
        client=client, engine=engine, max_age_seconds=settings.snapshot_max_age_seconds
    )

    def sweep(now: dt.datetime) -> int:
        return expire_overdue(engine=engine, view=view, now=now)

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("pathways.worker").info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker = Worker(settings=settings, engine=engine, sweep=sweep)
    print("pathways worker: running (SIGTERM or Ctrl-C stops it)", file=sys.stderr, flush=True)
    try:
        worker.run_forever(stop)
    finally:
        worker.close()
        view.close()
        client.close()
        engine.dispose()
    return 0
