"""What ``pathways simulate`` prints and draws: the table and the PNG chart.

The simulation itself is pure (``graph.simulate``); this module only presents it. matplotlib is
optional (the ``bench`` extra) and imported only when a chart is asked for.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from graph.simulate import ServiceReport, SimulationResult


class ChartUnavailableError(RuntimeError):
    """matplotlib is not installed."""


def _unmet_words(s: ServiceReport) -> str:
    return ", ".join(f"{need.value} {count}" for need, count in s.unmet) or "-"


def report_table(result: SimulationResult) -> str:
    """A plain-text report: volumes, one row and one verdict per service, unmet needs."""
    streams = ", ".join(f"{name} {count:,}" for name, count in result.by_stream)
    lines = [
        f"Simulated {result.days} days from {result.year_start.isoformat()} on directory "
        f"{result.directory_version} (seed {result.seed}, scale {result.scale:g}).",
        f"Referrals: {result.referrals:,} ({streams}).",
        f"With handovers {result.with_handovers:,}; with a need left unmet "
        f"{result.with_unmet:,}; re-planned after a decline {result.replans:,}.",
        "",
    ]
    header = (
        f"{'service':<31} {'demand':>7} {'accepted':>8} {'closed to':>9} "
        f"{'peak/max':>9} {'wks red':>7} {'wks amber':>9}  unmet for want of room"
    )
    lines += [header, "-" * len(header)]
    for s in result.services:
        peak = f"{s.peak_caseload}/{s.maximum if s.maximum is not None else '-'}"
        lines.append(
            f"{s.service_id:<31} {s.requested:>7,} {s.accepted:>8,} {s.turned_away:>9,} "
            f"{peak:>9} {s.weeks_red:>7} {s.weeks_amber:>9}  {_unmet_words(s)}"
        )
    lines += ["", "Verdicts:"]
    width = max((len(s.service_id) for s in result.services), default=0)
    lines += [f"  {s.service_id:<{width}}  {s.verdict}" for s in result.services]
    lines += ["", "Needs left unmet (referrals, any reason):"]
    if result.unmet:
        lines += [f"  {need.value:<26} {count:>6,}" for need, count in result.unmet]
    else:
        lines.append("  none")
    return "\n".join(lines)


def draw_chart(module: str = "matplotlib") -> Callable[[SimulationResult, Path], None]:
    """The chart drawer, or ``ChartUnavailableError`` when ``module`` (matplotlib) is missing.

    Checked before the simulation runs, so a missing package fails fast.
    """
    if importlib.util.find_spec(module) is None:
        raise ChartUnavailableError(
            "--chart needs matplotlib, which is not installed: pip install '.[bench]'"
        )
    return _draw


def _draw(result: SimulationResult, path: Path) -> None:
    """Small multiples: each service's weekly peak caseload against its maximum."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    services = result.services
    cols = 4
    rows = -(-len(services) // cols)
    fig = Figure(figsize=(4 * cols, 2.4 * rows))
    # A fixed layout: matplotlib's constrained layout takes seconds on 28 axes.
    fig.subplots_adjust(left=0.04, right=0.99, bottom=0.03, top=0.95, hspace=0.45, wspace=0.2)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for i, s in enumerate(services):
        ax = axes[i // cols][i % cols]
        weeks = range(1, len(s.weekly_caseload) + 1)
        ax.plot(weeks, s.weekly_caseload, color="tab:blue", linewidth=1.2, label="caseload")
        if s.maximum is not None:
            ax.axhline(s.maximum, color="tab:red", linewidth=1, linestyle="--", label="maximum")
            ax.axhline(0.8 * s.maximum, color="tab:orange", linewidth=0.8, linestyle=":")
            ax.set_ylim(0, max(s.maximum, s.peak_caseload) * 1.15)
        ax.set_title(s.service_id, fontsize=9)
        ax.tick_params(labelsize=7)
    for j in range(len(services), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    fig.suptitle(
        f"Weekly peak caseload (blue) against maximum (red dashed; amber from 80 %), "
        f"{result.year_start.isoformat()} + {result.days} days, seed {result.seed}",
        fontsize=11,
    )
    fig.savefig(path, dpi=90)
