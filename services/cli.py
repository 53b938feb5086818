"""The ``pathways`` command line.

Subcommands register themselves in ``build_parser``; each has a ``_cmd_*`` function that returns
the process exit status. Bad input is reported on standard error with the field it concerns and
exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
from collections.abc import Callable, Sequence
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


# --------------------------------------------------------------------------- pathways simulate


def _cmd_simulate(args: argparse.Namespace) -> int:
    from graph import PathwaysError, load_directory  # noqa: PLC0415
    from graph.simulate import simulate, simulation_to_dict  # noqa: PLC0415

    if args.days < 1 or args.scale < 0 or args.warmup_days < 0:
        print(
            "pathways simulate: --days must be at least 1, --scale and --warmup-days not negative",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        directory = load_directory(args.directory)
    except OSError as exc:
        print(f"pathways simulate: cannot read {args.directory}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PathwaysError as exc:
        where = f" at {exc.field}" if exc.field else ""
        print(
            f"pathways simulate: the directory is not valid{where}: {exc.message}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    draw = None
    if args.chart:
        from services.simulate_chart import ChartUnavailableError, draw_chart  # noqa: PLC0415

        try:
            draw = draw_chart()
        except ChartUnavailableError as exc:
            print(f"pathways simulate: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    result = simulate(
        directory,
        seed=args.seed,
        year_start=_first_monday(args.year),
        days=args.days,
        scale=args.scale,
        warmup_days=args.warmup_days,
    )
    from services.simulate_chart import report_table  # noqa: PLC0415

    print(report_table(result))
    if args.output_json:
        Path(args.output_json).write_text(
            json.dumps(simulation_to_dict(result), indent=2, ensure_ascii=False) + "\n", "utf-8"
        )
    if draw is not None:
        draw(result, Path(args.chart))
        print(f"chart: {args.chart}")
    return 0


def _first_monday(year: int) -> dt.date:
    """The simulated year starts on the first Monday of ``year``, so its weeks are weeks."""
    jan1 = dt.date(year, 1, 1)
    return jan1 + dt.timedelta(days=(7 - jan1.weekday()) % 7)


def _add_simulate_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = sub.add_parser(
        "simulate",
        help="replay a year of referrals through a directory and report capacity per service",
        description="Replay a year of referrals (the strategy's 2012/13 volumes: 10,500 "
        "referred to triage, 1,229 wanting more than an email, a few hundred for each "
        "specialist service) through a directory, with response delays and support "
        "durations, and print per service the demand, the peak caseload against its "
        "maximum, the weeks at red and the needs left unmet. Deterministic for a seed.",
    )
    simulate.add_argument(
        "--directory",
        metavar="FILE",
        default=None,
        help="a directory document (default: the shipped Cambridgeshire and Peterborough one)",
    )
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument(
        "--year", type=int, default=2026, help="the year simulated, from its first Monday"
    )
    simulate.add_argument(
        "--days", type=int, default=364, help="days reported (default 364: 52 weeks)"
    )
    simulate.add_argument(
        "--warmup-days",
        type=int,
        default=364,
        help="days simulated first and left out of the figures (default 364)",
    )
    simulate.add_argument(
        "--scale", type=float, default=1.0, help="multiply every volume (default 1.0)"
    )
    simulate.add_argument("--output-json", metavar="FILE", default=None)
    simulate.add_argument(
        "--chart",
        metavar="FILE.png",
        default=None,
        help="draw caseload against capacity per service (needs matplotlib: pip install "
        "'.[bench]')",
    )
    simulate.set_defaults(func=_cmd_simulate)


SERVICES = ("directory", "router")
"""The HTTP services the command line knows; each is ``services.<name>`` with a ``spec``
module (``services.common.spec``)."""


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A subcommand whose code (FastAPI, SQLAlchemy…) is imported only when it runs."""

    def run(args: argparse.Namespace) -> int:
        status: int = getattr(importlib.import_module(module), function)(args)
        return status

    return run


def _add_service_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    services = list(SERVICES)

    serve = sub.add_parser(
        "serve", help="run a service's HTTP API", description="Run a service with uvicorn."
    )
    serve.add_argument("service", choices=services)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=None, help="port (default: directory 8001, router 8002)"
    )
    serve.set_defaults(func=_lazy("services.common.commands", "serve"))

    db = sub.add_parser("db", help="database operations")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="migrate a service's database to the latest schema",
        description="Create or migrate the database of a service (its URL comes from "
        "PATHWAYS_<SERVICE>_DATABASE_URL). Safe to run again: an up-to-date database is left "
        "as it is.",
    )
    upgrade.add_argument("--service", required=True, choices=services)
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(func=_lazy("services.common.commands", "db_upgrade"))

    seed = sub.add_parser(
        "seed",
        help="load the shipped directory into the directory database",
        description="Make the directory database hold every provider, service and pathway of "
        "a directory document (the shipped Cambridgeshire and Peterborough one by default). "
        "Running it twice changes nothing.",
    )
    seed.add_argument(
        "--file", metavar="FILE", default=None, help="a directory document to load instead"
    )
    seed.set_defaults(func=_lazy("services.directory.commands", "seed"))

    keys = sub.add_parser("keys", help="API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    create = keys_sub.add_parser(
        "create",
        help="make a new API key and print it, once, alone on standard output",
        description="Only the key's hash is stored: keep the printed key safe.",
    )
    create.add_argument("--service", required=True, choices=services)
    create.add_argument(
        "--role", required=True, choices=["admin", "referrer", "provider", "service"]
    )
    create.add_argument(
        "--provider",
        metavar="PROVIDER_ID",
        default=None,
        help="the provider a provider key acts for (required for that role)",
    )
    create.add_argument("--name", default=None, help="a name to recognise the key by")
    create.add_argument(
        "--replace",
        action="store_true",
        help="first revoke the active keys with the same name (for demo keys)",
    )
    create.set_defaults(func=_lazy("services.common.commands", "keys_create"))

    worker = sub.add_parser(
        "worker",
        help="deliver the router's webhooks and expire unanswered handovers",
        description="Runs until stopped (SIGTERM or Ctrl-C). The router runs the same work in "
        "its own process unless PATHWAYS_RUN_WORKER=false.",
    )
    worker.set_defaults(func=_lazy("services.router.commands", "worker"))

    openapi = sub.add_parser("openapi", help="print (or write) a service's OpenAPI document")
    openapi.add_argument("service", choices=services)
    openapi.add_argument("--output", metavar="FILE", default=None)
    openapi.set_defaults(func=_lazy("services.common.commands", "openapi"))


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
    _add_simulate_command(sub)
    _add_service_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
