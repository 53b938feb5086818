"""The HTTP benchmark of issue 6: ``POST /referrals`` against a minimal FastAPI + SQLModel
baseline, on SQLite and on PostgreSQL, and webhook deliveries per second.

``python -m bench.http_bench [--quick] [--output bench/out/http.json] [--backend NAME]``

For each backend it starts the directory, the router (``pathways serve``) and the baseline
(``bench/baseline.py``) under uvicorn on loopback, with fresh databases (``bench/http/stack.py``),
then:

1. **Webhooks.** Every directory service's webhook points at a loopback receiver
   (``bench/http/receiver.py``). ``ENQUEUE`` referrals are posted with the router's worker
   off (this also warms the router up), then ``pathways worker`` is started and timed until
   the outbox is empty: deliveries per second, from the first arrival to the last, every event
   delivered once, signatures checked on a sample.
2. **POST /referrals.** Rounds of a fixed length alternate between the baseline and the router
   (A B, B A, A B…, so drift in what else the machine does hits both alike), at each
   concurrency, from a load generator in a process of its own (``bench/http/loadgen.py``).
   Only 201s count: any other answer stops the run with the body that came back. The router
   runs with its webhook worker **off**: the figure is the request path's (the outbox rows are
   written all the same; delivering them is the worker's job, measured in 1 and, in the full
   run, also beside the requests: "router + worker").
3. **Paced rounds** (open loop): both servers offered the same load, half the router's own
   closed-loop throughput in the same run (a rate it sustains), from the same 32 clients
   (``PACED_FRACTION`` says why), latency counted from when each request was due. This is the
   p99 the target is read from; the closed-loop p99 is reported beside it.
4. The figures per target and concurrency: throughput (requests over the measured seconds of
   all its rounds), p50 and p99 of every latency measured (client side), the server's CPU
   milliseconds per request (less noisy than throughput on a shared machine), and the ratio
   router / baseline, pooled and per pair of rounds.

``run(quick=...)`` returns it all as plain data; the command writes it as JSON and prints a
table. ``--quick`` (a minute or so) is a smoke test; the full run takes about nine minutes. The
profiler is ``python -m bench.http.profile`` (``bench/http/profile.py``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.baseline import ROUTER_EXTRAS
from bench.http.stack import (
    PATHWAYS,
    ROOT,
    Stack,
    StackError,
    cpu_seconds,
    machine_cpu,
    postgres_cpu_seconds,
    postgres_problem,
    postgres_url,
    postgres_version,
    terminating_on_sigterm,
)

from .stats import percentile

BACKENDS = ("sqlite", "postgres")
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
TARGET_CONCURRENCY = 32
DEFAULT_OUTPUT = ROOT / "bench" / "out" / "http.json"
BODY_SEED = 6


class BenchError(RuntimeError):
    """The benchmark could not measure what it set out to (the message says why)."""


@dataclass(frozen=True)
class Plan:
    concurrencies: tuple[int, ...]
    pairs: dict[int, int]
    """Pairs of rounds (one baseline, one router) per concurrency."""
    seconds: dict[int, float]
    """Measured seconds of one round, per concurrency."""
    warmup_seconds: float
    paced_pairs: int
    """Pairs of paced rounds at the target concurrency (see ``PACED_FRACTION``)."""
    enqueue_referrals: int
    worker_on_pairs: int
    body_count: int
    webhook_timeout_seconds: float = 300.0


QUICK = Plan(
    concurrencies=(TARGET_CONCURRENCY,),
    pairs={TARGET_CONCURRENCY: 1},
    seconds={TARGET_CONCURRENCY: 2.0},
    warmup_seconds=0.5,
    paced_pairs=1,
    enqueue_referrals=60,
    worker_on_pairs=0,
    body_count=500,
)
FULL = Plan(
    concurrencies=(1, 8, TARGET_CONCURRENCY),
    pairs={1: 2, 8: 2, TARGET_CONCURRENCY: 3},
    seconds={1: 3.0, 8: 5.0, TARGET_CONCURRENCY: 8.0},
    warmup_seconds=1.0,
    paced_pairs=2,
    enqueue_referrals=600,
    worker_on_pairs=2,
    body_count=2000,
)
PACED_FRACTION = 0.5
"""Paced rounds offer both servers the same load: this fraction of the **router's** own
closed-loop throughput at the target concurrency, measured in the same run, so the offered rate
is one the router sustains. With 32 clients that each send again as soon as they are answered,
the mean latency is 32 / throughput whatever the server (Little's law): a p99 of 100 ms would
need well over 320 requests a second, more than the baseline itself manages on a 2-core
machine, so the closed-loop p99 measures the queue the clients make, not the server. Offered a
rate it can keep up with (open loop: each request is sent when it is due, answered or not),
the p99 says how long a referral waits. A rate pegged to the baseline's throughput (as before)
is more than the router can take, and then the queue grows for the whole round and the p99
only measures the round's length."""


# --------------------------------------------------------------------------- bodies


def referral_bodies(count: int, *, seed: int) -> tuple[list[dict[str, Any]], str]:
    """``count`` realistic referral bodies and where they came from: ``bench.synth``'s mix for
    Cambridgeshire and Peterborough, or (without it) examples/referral.json varied."""
    today = dt.datetime.now(dt.UTC).date()  # never after the router's (UK) date
    try:
        from bench.synth import referral_bodies as synth_bodies  # noqa: PLC0415
    except ImportError:
        return _example_variations(count, seed=seed, today=today), "examples/referral.json varied"
    return synth_bodies(count, seed=seed, today=today), "bench.synth.referral_bodies"


def _example_variations(count: int, *, seed: int, today: dt.date) -> list[dict[str, Any]]:
    import random  # noqa: PLC0415

    rng = random.Random(seed)
    example = json.loads((ROOT / "examples" / "referral.json").read_text("utf-8"))
    areas = ("E07000008", "E07000009", "E07000010", "E07000011", "E07000012", "E06000031")
    out = []
    for i in range(count):
        body = json.loads(json.dumps(example))
        body["source"]["reference"] = f"BENCH/{seed}/{i:06d}"
        body["victim"]["age"] = rng.randint(18, 80)
        body["victim"]["area"] = rng.choice(areas)
        body["assessment"]["dash_score"] = rng.randint(0, 24)
        occurred = today - dt.timedelta(days=rng.randint(1, 30))
        body["incident"]["occurred_on"] = occurred.isoformat()
        body["incident"]["reported_on"] = occurred.isoformat()
        out.append(body)
    return out


# --------------------------------------------------------------------------- one round


@dataclass
class Round:
    target: str
    concurrency: int
    result: dict[str, Any]
    latencies_ms: list[float] = field(repr=False)
    server_cpu_ms_per_request: float
    machine: dict[str, float]


def _loadgen(
    stack: Stack, *, target: str, config: dict[str, Any], timeout: float
) -> tuple[dict[str, Any], dict[str, float], float]:
    """Run the load generator in its own process; (its result, what the machine did meanwhile,
    the server's CPU seconds)."""
    server = "baseline" if target == "baseline" else "router"
    path = stack.workdir / f"loadgen-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(config), "utf-8")
    ours = [p.pid for p in stack.processes.values()]
    cpu_before = {pid: cpu_seconds(pid) for pid in ours}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    pg_before = postgres_cpu_seconds() if stack.backend == "postgres" else 0.0
    busy_before, total_before = machine_cpu()
    load_1m = os.getloadavg()[0]
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.http.loadgen", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    wall = time.monotonic() - began
    busy_after, total_after = machine_cpu()
    pg_after = postgres_cpu_seconds() if stack.backend == "postgres" else 0.0
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_after = {pid: cpu_seconds(pid) for pid in ours}
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise BenchError(
            f"the load generator failed ({done.returncode}): {done.stderr[-2000:]}"
        ) from None
    if result.get("failure"):
        process = stack.processes.get(server)
        raise BenchError(
            f"{target} at concurrency {config['concurrency']}: {result['failure']}\n"
            + (f"--- {server} log ---\n{process.tail()}" if process else "")
        )
    loadgen_cpu = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    self_cpu = (self_after.ru_utime - self_before.ru_utime) + (
        self_after.ru_stime - self_before.ru_stime
    )
    ours_cpu = {
        name: cpu_after[p.pid] - cpu_before[p.pid]
        for name, p in stack.processes.items()
        if p.pid in cpu_after
    }
    busy = busy_after - busy_before
    cores = os.cpu_count() or 1
    pg = pg_after - pg_before
    other = busy - sum(ours_cpu.values()) - loadgen_cpu - self_cpu - pg
    machine = {
        "wall_s": wall,
        "load_1m_before": load_1m,
        "busy_pct": 100.0 * busy / max(total_after - total_before, 1e-9),
        "server_cores": ours_cpu.get(server, 0.0) / wall,
        "loadgen_cores": loadgen_cpu / wall,
        "postgres_cores": pg / wall,
        "other_cores": max(other, 0.0) / wall,
        "cores": cores,
    }
    return result, machine, ours_cpu.get(server, 0.0)


def run_round(
    stack: Stack,
    *,
    target: str,
    concurrency: int,
    seconds: float,
    warmup: float,
    bodies_file: Path,
    rate: float | None = None,
) -> Round:
    server_url = stack.urls["baseline" if target == "baseline" else "router"]
    port = int(server_url.rsplit(":", 1)[1])
    config = {
        "host": "127.0.0.1",
        "port": port,
        "path": "/referrals",
        "concurrency": concurrency,
        "bodies_file": str(bodies_file),
        # The baseline ignores both headers; sending them keeps the requests the same size.
        "headers": {"Authorization": f"Bearer {stack.keys.referrer}"},
        "key_prefix": f"{target}-c{concurrency}-{uuid.uuid4().hex[:10]}",
        "seconds": seconds,
        "warmup_seconds": warmup,
        "return_latencies": True,
    }
    if rate is not None:
        config["rate"] = rate
    result, machine, server_cpu = _loadgen(
        stack, target=target, config=config, timeout=seconds + warmup + 120
    )
    latencies = result.pop("latencies_ms", [])
    return Round(
        target=target,
        concurrency=concurrency,
        result=result,
        latencies_ms=latencies,
        server_cpu_ms_per_request=1000.0 * server_cpu / max(result["sent"], 1),
        machine=machine,
    )


def summarise(rounds: list[Round]) -> dict[str, Any]:
    """Pooled figures of the rounds of one target at one concurrency."""
    latencies = sorted(x for r in rounds for x in r.latencies_ms)
    requests = sum(r.result["requests"] for r in rounds)
    seconds = sum(r.result["seconds"] for r in rounds)
    return {
        "rounds": len(rounds),
        "requests": requests,
        "seconds": round(seconds, 3),
        "throughput": requests / seconds if seconds else math.nan,
        "throughput_per_round": [round(r.result["throughput"], 1) for r in rounds],
        "p50_ms": percentile(latencies, 50),
        "p90_ms": percentile(latencies, 90),
        "p99_ms": percentile(latencies, 99),
        "max_ms": latencies[-1] if latencies else math.nan,
        "server_cpu_ms_per_request": statistics.median(r.server_cpu_ms_per_request for r in rounds),
        "server_cores": statistics.mean(r.machine["server_cores"] for r in rounds),
        "mean_response_bytes": statistics.mean(r.result["mean_response_bytes"] for r in rounds),
    }


def alternate(
    stack: Stack,
    *,
    targets: tuple[str, str],
    concurrency: int,
    pairs: int,
    seconds: float,
    warmup: float,
    bodies_file: Path,
    log: list[dict[str, Any]],
    rate: float | None = None,
) -> dict[str, Any]:
    """``pairs`` pairs of rounds, A B then B A…; pooled figures and the ratio B / A."""
    done: dict[str, list[Round]] = {t: [] for t in targets}
    pair_ratios = []
    for pair in range(pairs):
        order = targets if pair % 2 == 0 else targets[::-1]
        this: dict[str, Round] = {}
        for target in order:
            r = run_round(
                stack,
                target=target,
                concurrency=concurrency,
                seconds=seconds,
                warmup=warmup,
                bodies_file=bodies_file,
                rate=rate,
            )
            done[target].append(r)
            this[target] = r
            log.append(
                {
                    "target": target,
                    "concurrency": concurrency,
                    "paced_rate": rate,
                    "pair": pair,
                    **{k: v for k, v in r.result.items() if k != "failure"},
                    "server_cpu_ms_per_request": r.server_cpu_ms_per_request,
                    "machine": r.machine,
                }
            )
            paced = f" @{rate:.0f}/s" if rate else ""
            _progress(
                f"  {stack.backend:8} c={concurrency:<3}{paced:7} {target:14} "
                f"{r.result['throughput']:7.1f} req/s  p50 {r.result['p50_ms']:6.1f} ms  "
                f"p99 {r.result['p99_ms']:6.1f} ms  cpu {r.server_cpu_ms_per_request:5.2f} ms/req"
                f"  (machine {r.machine['busy_pct']:3.0f}% busy, "
                f"others {r.machine['other_cores']:.2f} cores)"
            )
        a, b = (this[t].result["throughput"] for t in targets)
        pair_ratios.append(b / a if a else math.nan)
    base, other = (summarise(done[t]) for t in targets)
    return {
        targets[0]: base,
        targets[1]: other,
        "ratio": other["throughput"] / base["throughput"] if base["throughput"] else math.nan,
        "pair_ratios": [round(x, 3) for x in pair_ratios],
        "cpu_ratio": base["server_cpu_ms_per_request"] / other["server_cpu_ms_per_request"],
    }


# --------------------------------------------------------------------------- webhooks


def webhook_benchmark(stack: Stack, plan: Plan, bodies_file: Path) -> dict[str, Any]:
    """Queue events (referrals posted with the worker off), then time ``pathways worker``
    delivering them to the loopback receiver until the outbox is empty."""
    targets = stack.webhook_targets_stored()
    if targets == 0:
        raise BenchError("the router stored no webhook targets: deliveries would be skipped")
    port = int(stack.urls["router"].rsplit(":", 1)[1])
    result, _machine, _cpu = _loadgen(
        stack,
        target="router",
        config={
            "host": "127.0.0.1",
            "port": port,
            "path": "/referrals",
            "concurrency": TARGET_CONCURRENCY,
            "bodies_file": str(bodies_file),
            "headers": {"Authorization": f"Bearer {stack.keys.referrer}"},
            "key_prefix": f"enqueue-{uuid.uuid4().hex[:10]}",
            "requests": plan.enqueue_referrals,
        },
        timeout=600,
    )
    counts = stack.outbox_counts()
    queued = counts.get("pending", 0)
    if queued == 0 or set(counts) != {"pending"}:
        raise BenchError(f"expected only pending events after enqueueing, found {counts}")
    before = stack.receiver_stats()
    began = time.time()
    worker = stack.start("worker", [PATHWAYS, "worker"], stack.env())
    deadline = time.monotonic() + plan.webhook_timeout_seconds
    # The worker's CPU is counted from its first delivery on: its start-up (imports) is not
    # the cost of a delivery.
    cpu_from: tuple[float, int] | None = None
    while True:
        counts = stack.outbox_counts()
        if counts.get("pending", 0) == 0:
            break
        if cpu_from is None:
            arrived = stack.receiver_stats()["received"] - before["received"]
            if arrived:
                cpu_from = (cpu_seconds(worker.pid), arrived)
        if worker.popen.poll() is not None:
            raise BenchError(f"pathways worker exited early:\n{worker.tail()}")
        if time.monotonic() > deadline:
            raise BenchError(
                f"the outbox was not empty after {plan.webhook_timeout_seconds:.0f} s: {counts}"
            )
        time.sleep(0.2)
    emptied = time.time()
    worker_cpu = cpu_seconds(worker.pid)
    receiver_cpu = cpu_seconds(stack.pid("receiver"))
    stack.stop("worker")
    after = stack.receiver_stats()
    received = after["received"] - before["received"]
    cpu_start, counted_from = cpu_from or (0.0, 0)
    worker_cpu_ms = 1000.0 * (worker_cpu - cpu_start) / max(received - counted_from, 1)
    first, last = after["first_at"], after["last_at"]
    problems = []
    if counts.get("delivered", 0) != queued or set(counts) != {"delivered"}:
        problems.append(f"outbox after delivery: {counts} (queued {queued})")
    if received != queued:
        problems.append(f"the receiver got {received} deliveries for {queued} events")
    for key in ("bad_signature_count", "duplicates"):
        if after[key]:
            problems.append(f"{key}: {after[key]} ({after.get('bad_signatures')})")
    if after["mismatched"]:
        problems.append(f"mismatched: {after['mismatched']}")
    if after["verified"] == 0:
        problems.append("no signature was verified")
    if problems:
        raise BenchError("webhook deliveries: " + "; ".join(problems))
    spread = (last - first) if first and last else math.nan
    return {
        "referrals_posted": plan.enqueue_referrals,
        "enqueue_throughput": result["throughput"],
        "events": queued,
        "delivered": received,
        "deliveries_per_second": (received - 1) / spread if spread and spread > 0 else math.nan,
        "deliveries_per_second_wall": received / (emptied - began),
        "first_to_last_s": spread,
        "worker_start_to_empty_s": emptied - began,
        "worker_cpu_ms_per_delivery": worker_cpu_ms,
        "receiver_cpu_ms_per_delivery": 1000.0 * receiver_cpu / max(after["received"], 1),
        "signatures_verified": after["verified"],
        "duplicates": after["duplicates"],
        "types": after["types"],
    }


def worker_on_benchmark(
    stack: Stack, plan: Plan, bodies_file: Path, log: list[dict[str, Any]]
) -> dict[str, Any]:
    """The router as ``make run`` starts it: its webhook worker delivering beside the requests."""
    set_aside = stack.set_aside_pending_events()
    stack.start_router(run_worker=True)
    run_round(
        stack,
        target="router+worker",
        concurrency=TARGET_CONCURRENCY,
        seconds=1.0,
        warmup=0.5,
        bodies_file=bodies_file,
    )
    received_before = stack.receiver_stats()["received"]
    figures = alternate(
        stack,
        targets=("baseline", "router+worker"),
        concurrency=TARGET_CONCURRENCY,
        pairs=plan.worker_on_pairs,
        seconds=plan.seconds[TARGET_CONCURRENCY],
        warmup=plan.warmup_seconds,
        bodies_file=bodies_file,
        log=log,
    )
    time.sleep(2.0)
    counts = stack.outbox_counts()
    figures["backlog_set_aside"] = set_aside
    figures["deliveries_during_rounds"] = stack.receiver_stats()["received"] - received_before
    figures["outbox_after"] = counts
    stack.start_router(run_worker=False)
    return figures


# --------------------------------------------------------------------------- one backend


def bench_backend(stack: Stack, plan: Plan, bodies_file: Path) -> dict[str, Any]:
    """Every figure of one backend, on a stack that is set up."""
    backend = stack.backend
    out: dict[str, Any] = {"backend": backend, "setup": dict(stack.timings)}
    _progress(f"{backend}: webhooks ({plan.enqueue_referrals} referrals, then the worker)")
    out["webhooks"] = w = webhook_benchmark(stack, plan, bodies_file)
    _progress(
        f"  {w['events']} events delivered at {w['deliveries_per_second']:.1f}/s "
        f"(worker {w['worker_cpu_ms_per_delivery']:.2f} ms CPU each)"
    )
    # The router is warm from the referrals above; the baseline gets a round of its own.
    run_round(
        stack,
        target="baseline",
        concurrency=TARGET_CONCURRENCY,
        seconds=1.0,
        warmup=0.5,
        bodies_file=bodies_file,
    )
    log: list[dict[str, Any]] = []
    post: dict[str, Any] = {}
    for c in plan.concurrencies:
        post[str(c)] = alternate(
            stack,
            targets=("baseline", "router"),
            concurrency=c,
            pairs=plan.pairs[c],
            seconds=plan.seconds[c],
            warmup=plan.warmup_seconds,
            bodies_file=bodies_file,
            log=log,
        )
    out["post"] = post
    closed = post[str(TARGET_CONCURRENCY)]
    rate = PACED_FRACTION * closed["router"]["throughput"]
    paced = alternate(
        stack,
        targets=("baseline", "router"),
        concurrency=TARGET_CONCURRENCY,
        pairs=plan.paced_pairs,
        seconds=plan.seconds[TARGET_CONCURRENCY],
        warmup=plan.warmup_seconds,
        bodies_file=bodies_file,
        log=log,
        rate=rate,
    )
    paced["offered_rate"] = rate
    paced["router_kept_up"] = paced["router"]["throughput"] >= 0.95 * rate
    out["post_paced"] = paced
    if plan.worker_on_pairs:
        out["post_worker_on"] = worker_on_benchmark(stack, plan, bodies_file, log)
    out["rounds"] = log
    out["router_rows"] = stack.router_counts()
    out["targets"] = {
        "concurrency": TARGET_CONCURRENCY,
        "ratio": closed["ratio"],
        "ratio_ok": closed["ratio"] >= TARGET_RATIO,
        "cpu_ratio": closed["cpu_ratio"],
        "router_p99_ms": closed["router"]["p99_ms"],
        "p99_ok": closed["router"]["p99_ms"] <= TARGET_P99_MS,
        "baseline_p99_ms": closed["baseline"]["p99_ms"],
        "paced_rate": rate,
        "paced_router_p99_ms": paced["router"]["p99_ms"],
        "paced_p99_ok": paced["router_kept_up"] and paced["router"]["p99_ms"] <= TARGET_P99_MS,
        "paced_baseline_p99_ms": paced["baseline"]["p99_ms"],
    }
    return out


# --------------------------------------------------------------------------- the run


def machine_info() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres_version(postgres_url()),
        "packages": {
            name: version(name)
            for name in (
                "fastapi",
                "starlette",
                "uvicorn",
                "h11",
                "pydantic",
                "sqlalchemy",
                "sqlmodel",
                "psycopg",
                "httpx",
            )
        },
        "uvicorn_extras": {"uvloop": version("uvloop"), "httptools": version("httptools")},
    }


def run(*, quick: bool = False, backends: Sequence[str] | None = None) -> dict[str, Any]:
    """Every figure of the HTTP benchmark, as plain data (see the module docstring)."""
    plan = QUICK if quick else FULL
    began = time.monotonic()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    bodies, source = referral_bodies(plan.body_count, seed=BODY_SEED)
    sizes = [len(json.dumps(b, separators=(",", ":")).encode()) for b in bodies]
    out: dict[str, Any] = {
        "benchmark": "http",
        "quick": quick,
        "started_at": started_at,
        "machine": machine_info(),
        "plan": asdict(plan),
        "bodies": {
            "source": source,
            "count": len(bodies),
            "seed": BODY_SEED,
            "mean_bytes": statistics.mean(sizes),
            "max_bytes": max(sizes),
        },
        "router_extras": list(ROUTER_EXTRAS),
        "targets": {
            "ratio_at_least": TARGET_RATIO,
            "p99_ms_at_most": TARGET_P99_MS,
            "concurrency": TARGET_CONCURRENCY,
        },
        "backends": {},
    }
    bodies_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    bodies_file = bodies_dir / f"pathways-bench-bodies-{uuid.uuid4().hex[:8]}.json"
    bodies_file.write_text(json.dumps(bodies), "utf-8")
    try:
        with terminating_on_sigterm(), contextlib.ExitStack() as cleanup:
            stacks: dict[str, Stack] = {}
            for backend in backends or BACKENDS:
                if backend == "postgres" and (problem := postgres_problem(postgres_url())):
                    _progress(f"postgres: skipped: {problem}")
                    out["backends"][backend] = {"backend": backend, "skipped": problem}
                    continue
                stacks[backend] = cleanup.enter_context(Stack(backend))
            # Set-up is mostly `pathways` commands starting up: all backends at once. A stack
            # waiting its turn is idle (nothing polls), so it does not disturb the other.
            _progress(f"setting up {', '.join(stacks)}: migrate, seed, keys, start the services")
            with concurrent.futures.ThreadPoolExecutor(max(len(stacks), 1)) as pool:
                for future in [pool.submit(stack.setup) for stack in stacks.values()]:
                    future.result()
            for backend, stack in stacks.items():
                out["backends"][backend] = bench_backend(stack, plan, bodies_file)
    finally:
        bodies_file.unlink(missing_ok=True)
    out["duration_s"] = time.monotonic() - began
    plain: dict[str, Any] = _plain(out)
    return plain


def _plain(value: Any) -> Any:
    """``value`` as strict JSON data: NaN and infinities (a figure with no data) become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _n(value: float | None, spec: str) -> str:
    """A figure for the table; a dash where there is none."""
    if value is None:
        return format("-", ">" + spec.split(".", maxsplit=1)[0])
    return format(value, spec)


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def render(result: dict[str, Any]) -> str:
    """The figures as a readable table."""
    m, b = result["machine"], result["bodies"]
    packages = m["packages"]
    lines = [
        f"HTTP benchmark ({'quick' if result['quick'] else 'full'}), {m['cpu_count']} cores, "
        f"Python {m['python']}, FastAPI {packages['fastapi']}, uvicorn {packages['uvicorn']}, "
        f"SQLAlchemy {packages['sqlalchemy']}, psycopg {packages['psycopg']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgres']}",
        f"bodies: {b['count']} from {b['source']}, {b['mean_bytes']:.0f} bytes on average; "
        f"{result['duration_s']:.0f} s in all",
    ]
    header = (
        f"{'backend':9}{'c':>10}  {'target':15}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/req':>12}{'ratio':>8}{'per pair':>22}"
    )
    lines += [
        "",
        "POST /referrals (router worker off; c: clients, @N/s: paced at N requests a second)",
        header,
        "-" * len(header),
    ]
    for name, r in result["backends"].items():
        if "skipped" in r:
            lines.append(f"{name:9}skipped: {r['skipped']}")
            continue
        blocks = [(c, "router", fig) for c, fig in r["post"].items()]
        paced = r["post_paced"]
        blocks.append((f"{TARGET_CONCURRENCY}@{paced['offered_rate']:.0f}/s", "router", paced))
        if "post_worker_on" in r:
            blocks.append((str(TARGET_CONCURRENCY), "router+worker", r["post_worker_on"]))
        for c, other, fig in blocks:
            for target in ("baseline", other):
                f = fig[target]
                ratio = pairs = ""
                if target != "baseline" and "offered_rate" in fig:
                    pairs = "kept up" if fig["router_kept_up"] else "fell behind"
                elif target != "baseline":
                    ratio = _n(fig["ratio"], ".2f")
                    pairs = ", ".join(_n(x, ".2f") for x in fig["pair_ratios"])
                figures = (
                    _n(f["throughput"], "8.1f")
                    + _n(f["p50_ms"], "9.1f")
                    + _n(f["p99_ms"], "9.1f")
                    + _n(f["server_cpu_ms_per_request"], "12.2f")
                )
                lines.append(f"{name:9}{c:>10}  {target:15}{figures}{ratio:>8}{pairs:>22}")
    lines += ["", "Webhook deliveries (pathways worker, loopback receiver)"]
    for name, r in result["backends"].items():
        if "skipped" in r:
            continue
        w = r["webhooks"]
        lines.append(
            f"{name:9}{w['events']:6} events  {_n(w['deliveries_per_second'], '7.1f')}/s "
            f"first to last ({_n(w['deliveries_per_second_wall'], '.1f')}/s counting the "
            f"worker's start), worker {_n(w['worker_cpu_ms_per_delivery'], '.2f')} ms CPU per "
            f"delivery, {w['signatures_verified']} signatures verified"
        )
    lines += [
        "",
        f"Targets at {TARGET_CONCURRENCY} clients: router >= {TARGET_RATIO} x baseline, "
        f"p99 <= {TARGET_P99_MS:.0f} ms",
    ]
    for name, r in result["backends"].items():
        if "skipped" in r:
            continue
        t = r["targets"]
        lines.append(
            f"{name:9}ratio {_n(t['ratio'], '.2f')} {_ok(t['ratio_ok'])} (CPU per request "
            f"{_n(t.get('cpu_ratio'), '.2f')}); "
            f"p99 open loop, paced at {_n(t['paced_rate'], '.0f')}/s (half the router's "
            f"closed-loop rate): {_n(t['paced_router_p99_ms'], '.1f')} ms "
            f"{_ok(t['paced_p99_ok'])} (baseline's {_n(t['paced_baseline_p99_ms'], '.1f')} ms); "
            f"closed loop: {_n(t['router_p99_ms'], '.1f')} ms "
            f"(baseline's {_n(t['baseline_p99_ms'], '.1f')} ms)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test (about a minute)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON file")
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="only this backend (repeatable; default: both, PostgreSQL from "
        "PATHWAYS_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    try:
        result = run(quick=args.quick, backends=args.backend)
    except (BenchError, StackError) as exc:
        print(f"bench.http_bench: {exc}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, allow_nan=False) + "\n", "utf-8")
    print(render(result))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
