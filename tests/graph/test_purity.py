"""graph/ is pure: importing it loads no web framework, ORM, HTTP client or database driver."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "fastapi",
    "sqlmodel",
    "sqlalchemy",
    "httpx",
    "pydantic_settings",
    "psycopg",
    "sqlite3",
    "starlette",
    "uvicorn",
    "alembic",
)


def test_importing_graph_loads_no_io_framework() -> None:
    code = (
        "import sys, json, graph, graph.codec, graph.plan, graph.reassess, graph.search;"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout))
    assert "networkx" in loaded, "the check itself must see what graph imports"
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))
