"""The figures the fault and concurrency tests establish, for the README's "Proof under fire".

Each test calls ``record(suite, case, **figures)``; the figures are printed in pytest's summary
(a section per suite) and, when ``PATHWAYS_PROOF_FIGURES`` names a file, appended to it as JSON
lines (``scripts/proof.sh`` turns them into the README's table).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

FIGURES_FILE_VARIABLE = "PATHWAYS_PROOF_FIGURES"
RECORDS: list[dict[str, Any]] = []


def record(suite: str, case: str, **figures: Any) -> None:
    entry = {"suite": suite, "case": case, **figures}
    RECORDS.append(entry)
    target = os.environ.get(FIGURES_FILE_VARIABLE)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=False) + "\n")


def report(terminalreporter: pytest.TerminalReporter, suite: str) -> None:
    entries = [r for r in RECORDS if r["suite"] == suite]
    if not entries:
        return
    terminalreporter.section(f"proof under fire: {suite}")
    for entry in entries:
        figures = ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in entry.items() if k not in ("suite", "case")
        )
        terminalreporter.write_line(f"{entry['case']}: {figures}")
