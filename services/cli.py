"""The ``pathways`` command line.

Subcommands register themselves in ``build_parser``; each has a ``_cmd_*`` function that returns
the process exit status. Bad input is reported on standard error with the field it concerns and
exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_BAD_INPUT = 2


def _cmd_route(args: argparse.Namespace) -> int:
    # Imported here so that `pathways serve` never pays for it, and graph stays optional.
    from graph import PathwaysError, load_directory, route_offline  # noqa: PLC0415

    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    except ValueError:
        print(
            f"pathways route: --as-of must be a date (YYYY-MM-DD), not {args.as_of!r}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        text = Path(args.referral).read_text("utf-8") if args.referral != "-" else sys.stdin.read()
    except OSError as exc:
        print(f"pathways route: cannot read {args.referral}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        print(f"pathways route: {args.referral} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        directory = load_directory(args.directory)
    except OSError as exc:
        print(f"pathways route: cannot read {args.directory}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PathwaysError as exc:
        where = f" at {exc.field}" if exc.field else ""
        print(f"pathways route: the directory is not valid{where}: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = route_offline(body, directory, as_of=as_of)
    except PathwaysError as exc:
        where = exc.field or "the referral"
        print(f"pathways route: {where}: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathways", description="Pathways: referral-pathway routing for victims of crime."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    route = sub.add_parser(
        "route",
        help="plan a referral offline and print what POST /referrals would return",
        description="Plan REFERRAL.json (API.md's POST /referrals body; '-' for standard "
        "input) against a directory file, with no server running.",
    )
    route.add_argument("referral", metavar="REFERRAL.json")
    route.add_argument(
        "--directory",
        metavar="FILE",
        default=None,
        help="a directory document (default: the shipped Cambridgeshire and Peterborough one)",
    )
    route.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        default=None,
        help="plan as on this day (default: today); dates in the referral may not be after it",
    )
    route.set_defaults(func=_cmd_route)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
