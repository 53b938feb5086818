"""``pathways seed``: load a directory document into the directory database."""

from __future__ import annotations

import argparse

from sqlmodel import Session

from graph.codec import load_directory_document
from graph.errors import DirectoryError
from services.common.commands import EXIT_BAD_INPUT, fail, ready_engine
from services.common.db import writer

from .seed import SeedError
from .seed import seed as seed_document
from .spec import SPEC


def seed(args: argparse.Namespace) -> int:
    source = args.file or "the shipped directory"
    try:
        document = load_directory_document(args.file)
    except OSError as exc:
        return fail("seed", f"cannot read {source}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    except DirectoryError as exc:
        return fail("seed", f"{source}: {exc.message}", EXIT_BAD_INPUT)
    engine = ready_engine("seed", SPEC)
    if isinstance(engine, int):
        return engine
    try:
        with Session(writer(engine)) as session:
            report = seed_document(session=session, document=document)
            session.commit()
    except SeedError as exc:
        return fail("seed", f"{source}: {exc}", EXIT_BAD_INPUT)
    finally:
        engine.dispose()
    print(report.summary())
    return 0
