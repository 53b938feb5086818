"""Where the router's ``POST /referrals`` (or the webhook worker) spends its time: py-spy,
then a summary.

``python -m bench.http.profile [--backend sqlite|postgres] [--target router|worker]
[--seconds 20] [--concurrency 32] [--gil] [--blocking] [--output-dir bench/out]``

It starts the same stack as the HTTP benchmark (``bench/http/stack.py``: worker off), warms the
router up, drives ``POST /referrals`` from the load generator and samples the router's process
with ``py-spy record`` — every thread that is on a CPU, or with ``--gil`` only the one holding
the GIL (where the interpreter's one core goes). ``--target worker`` queues webhook events
first, then samples ``pathways worker`` delivering them to the loopback receiver. It writes the
raw stacks (``profile-<target>-<backend>[-c<N>].txt``: collapsed stacks, which speedscope and
flamegraph.pl read) and a summary (``.json``), and prints:

- the samples split into the stages of a request, each sample given to the innermost stage on
  its stack (so the shares add up to 100 %);
- the functions with the most samples of their own (self time);
- the project's functions (graph/, services/) with the most samples under them (inclusive).

py-spy needs ptrace (root, or CAP_SYS_PTRACE): ``pip install py-spy``. By default it reads the
process without stopping it (``--nonblocking``): stopping it at every sample stretches every
lock held, which on SQLite changes what is measured.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.http.stack import PATHWAYS, ROOT, Stack, terminating_on_sigterm

FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")

# Innermost match wins. (label, file fragment, function names or None for any).
STAGES: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("webhooks: claim a batch", "services/router/outbox/delivery.py", frozenset({"claim"})),
    ("webhooks: sign", "services/router/outbox/delivery.py", frozenset({"signed_headers"})),
    (
        "webhooks: check the target",
        "services/router/outbox/delivery.py",
        frozenset({"destinations"}),
    ),
    ("webhooks: record the outcome", "services/router/outbox/delivery.py", frozenset({"_record"})),
    ("webhooks: read the targets", "services/router/outbox/delivery.py", frozenset({"_targets"})),
    ("expiry sweep", "services/router/handovers/service.py", frozenset({"expire_overdue"})),
    ("httpx client (connect, send, read)", "httpx/", None),
    ("httpx client (connect, send, read)", "httpcore/", None),
    ("auth: key lookup (authenticate)", "services/common/auth/service.py", None),
    (
        "idempotency: request hash",
        "services/router/referrals/service.py",
        frozenset({"request_hash"}),
    ),
    (
        "idempotency: claim",
        "services/router/referrals/service.py",
        frozenset({"claim_idempotency", "_claim"}),
    ),
    ("graph: referral_from_dict", "graph/", frozenset({"referral_from_dict"})),
    ("graph: assess_risk", "graph/", frozenset({"assess_risk"})),
    ("graph: make_plan", "graph/", frozenset({"make_plan"})),
    ("graph: deadlines", "graph/", frozenset({"victims_code_deadlines"})),
    ("directory view (snapshot)", "services/router/snapshot/", None),
    ("audit record", "services/common/audit/", None),
    ("case rows: flows.Case (handovers, timeline, outbox)", "services/router/flows.py", None),
    (
        "build the response model (to_public)",
        "services/router/",
        frozenset({"to_public", "handover_public"}),
    ),
    ("ORM flush inside the request", "sqlalchemy/orm/session.py", frozenset({"flush"})),
    ("commit (get_session)", "services/common/db.py", frozenset({"_session"})),
    ("session checkout / begin", "sqlalchemy/", frozenset({"_connection_for_bind", "connection"})),
    (
        "referrals.service.create (rest)",
        "services/router/referrals/service.py",
        frozenset({"create"}),
    ),
    (
        "endpoint: idempotency bookkeeping, response dump",
        "services/router/referrals/endpoints.py",
        None,
    ),
    (
        "FastAPI: body validation",
        "fastapi/",
        frozenset({"request_body_to_args", "_validate_value_with_model_field", "validate"}),
    ),
    (
        "FastAPI: response serialisation",
        "fastapi/",
        frozenset({"serialize_response", "_prepare_response_content", "jsonable_encoder"}),
    ),
    ("FastAPI: dependencies", "fastapi/dependencies/", frozenset({"solve_dependencies"})),
    ("JSON body parse", "starlette/requests.py", frozenset({"json"})),
    ("response render", "starlette/responses.py", None),
    ("FastAPI/Starlette routing", "fastapi/", None),
    ("Starlette", "starlette/", None),
    ("pathways middleware", "services/common/", frozenset({"__call__"})),
    ("uvicorn access log", "logging/", None),
    ("uvicorn (HTTP server)", "uvicorn/", None),
    ("h11 (HTTP/1.1 parsing: uvicorn's, or httpx's in the worker)", "h11/", None),
    ("anyio thread hand-off", "anyio/", None),
    ("asyncio event loop", "asyncio/", None),
    ("threading", "threading.py", None),
)


def parse(raw: str) -> list[tuple[list[tuple[str, str]], int]]:
    """Collapsed stacks (``frame;frame;… count``, root first) as ([(function, file)], count)."""
    stacks = []
    for text in raw.splitlines():
        line = text.strip()
        if not line:
            continue
        path, _, count = line.rpartition(" ")
        frames = []
        for part in path.split(";"):
            m = FRAME.match(part.strip())
            if m:
                frames.append((m["function"], m["file"]))
            else:
                frames.append((part.strip(), ""))
        stacks.append((frames, int(count)))
    return stacks


def _named(function: str, names: frozenset[str] | None) -> bool:
    """py-spy names methods ``Class.method``; a rule names the function alone."""
    return names is None or function in names or function.rsplit(".", 1)[-1] in names


def _stage(frames: list[tuple[str, str]]) -> str:
    for function, file in reversed(frames):
        for label, fragment, names in STAGES:
            if fragment in file and _named(function, names):
                return label
    return "other"


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarise(stacks: list[tuple[list[tuple[str, str]], int]], top: int = 25) -> dict[str, Any]:
    total = sum(c for _, c in stacks)
    stages: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        stages[_stage(frames)] += count
        if frames:
            function, file = frames[-1]
            self_time[f"{function} ({_short(file)})"] += count
        seen = set()
        for function, file in frames:
            short = _short(file)
            if short.startswith(("graph/", "services/")):
                seen.add(f"{function} ({short})")
        for name in seen:
            inclusive[name] += count

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "stages": [{"stage": s, "pct": pct(n), "samples": n} for s, n in stages.most_common()],
        "self": [{"function": f, "pct": pct(n)} for f, n in self_time.most_common(top)],
        "project_inclusive": [
            {"function": f, "pct": pct(n)} for f, n in inclusive.most_common(top)
        ],
    }


def render(summary: dict[str, Any]) -> str:
    lines = [f"{summary['samples']} samples", "", "stages (innermost match, adds up to 100 %):"]
    lines += [f"  {s['pct']:5.1f} %  {s['stage']}" for s in summary["stages"]]
    lines += ["", "self time:"]
    lines += [f"  {s['pct']:5.1f} %  {s['function']}" for s in summary["self"]]
    lines += ["", "project functions, inclusive:"]
    lines += [f"  {s['pct']:5.1f} %  {s['function']}" for s in summary["project_inclusive"]]
    return "\n".join(lines)


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy")
    return found


def profile(
    *,
    backend: str,
    target: str = "router",
    seconds: float,
    concurrency: int,
    gil: bool,
    nonblocking: bool = True,
    output_dir: Path,
    bodies: Callable[[int], list[dict[str, Any]]],
) -> dict[str, Any]:
    spy = py_spy()
    output_dir.mkdir(parents=True, exist_ok=True)
    name = f"profile-{target}-{backend}" + (f"-c{concurrency}" if target == "router" else "")
    raw_path = output_dir / f"{name}.txt"
    with terminating_on_sigterm(), Stack(backend) as stack:
        print(f"{backend}: setting up", file=sys.stderr, flush=True)
        stack.setup()
        bodies_file = stack.workdir / "bodies.json"
        bodies_file.write_text(json.dumps(bodies(1000)), "utf-8")
        port = int(stack.urls["router"].rsplit(":", 1)[1])

        def config(**extra: Any) -> Path:
            path = stack.workdir / f"loadgen-{uuid.uuid4().hex[:8]}.json"
            body = {
                "host": "127.0.0.1",
                "port": port,
                "path": "/referrals",
                "concurrency": concurrency,
                "bodies_file": str(bodies_file),
                "headers": {"Authorization": f"Bearer {stack.keys.referrer}"},
                "key_prefix": f"profile-{uuid.uuid4().hex[:10]}",
                **extra,
            }
            path.write_text(json.dumps(body), "utf-8")
            return path

        loadgen = [sys.executable, "-m", "bench.http.loadgen"]
        # Warm-up; for the worker, enough events to keep it busy while it is sampled.
        warm = max(300, int(seconds * 45)) if target == "worker" else 300
        subprocess.run(
            [*loadgen, str(config(requests=warm, concurrency=32))],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        if target == "worker":
            worker = stack.start("worker", [PATHWAYS, "worker"], stack.env())
            while stack.receiver_stats()["received"] == 0:
                if worker.popen.poll() is not None:
                    raise SystemExit(f"pathways worker exited:\n{worker.tail()}")
                time.sleep(0.1)
            load = None
        else:
            load = subprocess.Popen(
                [*loadgen, str(config(seconds=seconds + 3, warmup_seconds=0.0))],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            time.sleep(1.0)
        print(f"{backend}: profiling the {target} for {seconds:.0f} s", file=sys.stderr, flush=True)
        before = stack.receiver_stats()["received"]
        began = time.monotonic()
        try:
            argv = [
                spy,
                "record",
                "--pid",
                str(stack.pid(target)),
                "--duration",
                str(int(seconds)),
                "--rate",
                "100",
                "--format",
                "raw",
                "--output",
                str(raw_path),
            ]
            if gil:
                argv.append("--gil")
            if nonblocking:
                argv.append("--nonblocking")
            spied = subprocess.run(argv, capture_output=True, text=True, check=False)
            if spied.returncode != 0:
                raise SystemExit(f"py-spy failed: {spied.stderr}")
        finally:
            if load is not None:
                out, err = load.communicate(timeout=seconds + 120)
        if load is None:
            delivered = stack.receiver_stats()["received"] - before
            result = {"deliveries_per_second": delivered / (time.monotonic() - began)}
        else:
            result = json.loads(out) if out.strip() else {"failure": err[-2000:]}
            if result.get("failure"):
                raise SystemExit(f"the load failed: {result['failure']}")
            result = {k: result[k] for k in ("throughput", "p50_ms", "p99_ms", "requests")}
    summary = summarise(parse(raw_path.read_text("utf-8")))
    summary.update(
        backend=backend,
        gil_only=gil,
        nonblocking=nonblocking,
        concurrency=concurrency,
        target=target,
        load=result,
        raw=str(raw_path),
    )
    (output_dir / f"{name}.json").write_text(json.dumps(summary, indent=2), "utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http.profile", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--target",
        choices=("router", "worker"),
        default="router",
        help="the router under POST /referrals, or pathways worker delivering webhooks",
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--gil", action="store_true", help="sample only the GIL holder")
    parser.add_argument(
        "--blocking",
        action="store_true",
        help="pause the router at each sample (more exact stacks, but it stretches every lock "
        "held; the default reads it without stopping it)",
    )
    parser.add_argument("--output-dir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument(
        "--summarise", type=Path, metavar="RAW", help="only summarise stacks recorded before"
    )
    args = parser.parse_args(argv)
    if args.summarise is not None:
        print(render(summarise(parse(args.summarise.read_text("utf-8")))))
        return 0
    from bench.http_bench import BODY_SEED, referral_bodies  # noqa: PLC0415

    summary = profile(
        backend=args.backend,
        target=args.target,
        seconds=args.seconds,
        concurrency=args.concurrency,
        gil=args.gil,
        nonblocking=not args.blocking,
        output_dir=args.output_dir,
        bodies=lambda n: referral_bodies(n, seed=BODY_SEED)[0],
    )
    load = summary["load"]
    if args.target == "worker":
        print(f"{args.backend}: {load['deliveries_per_second']:.1f} deliveries/s (while sampled)\n")
    else:
        print(
            f"{args.backend}: router under {args.concurrency} clients: "
            f"{load['throughput']:.1f} req/s, p50 {load['p50_ms']:.1f} ms, "
            f"p99 {load['p99_ms']:.1f} ms (while sampled)\n"
        )
    print(render(summary))
    print(f"\nraw stacks: {summary['raw']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
