"""Run several ``pathways`` commands in one process: ``python -m bench.http.commands ARGV_JSON``.

``ARGV_JSON`` is a JSON list of argument lists (``[["db", "upgrade", "--service", "router"],
["seed"], …]``). Each runs through ``services.cli.main``, the function the ``pathways`` script
calls, with its standard output and error captured, in order; the first to fail stops the rest.
The result, on standard output, is a JSON list of ``{"argv", "status", "stdout", "stderr"}``.

Why not one ``pathways`` process per command: each pays about 3 s of imports (FastAPI,
SQLAlchemy, Alembic, the apps), which on a shared 2-core machine made set-up most of a quick
benchmark. The code that runs is the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def main(argv: list[str]) -> int:
    from services.cli import main as pathways  # noqa: PLC0415

    results = []
    for args in json.loads(argv[0]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = pathways(args)
            except SystemExit as exc:  # argparse
                status = exc.code if isinstance(exc.code, int) else 1
        results.append(
            {"argv": args, "status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}
        )
        if status != 0:
            break
    json.dump(results, sys.stdout)
    return 0 if all(r["status"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
