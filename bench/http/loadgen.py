"""The load generator: N clients POSTing JSON bodies over keep-alive HTTP/1.1.

It runs in a process of its own (``python -m bench.http.loadgen CONFIG.json``, result as JSON on
standard output) so that its CPU is not the server's. The client is a few lines of asyncio
streams rather than httpx: on a 2-core machine the load generator shares the cores with the
servers it measures, and writing prepared bytes and reading a ``Content-Length`` body costs
about 0.3 ms of CPU a request where an httpx ``AsyncClient`` spends about 10 ms (measured on the
2-core machine: more than the baseline server's own 6 ms, so httpx would have measured
itself). Every connection keeps at most one request in flight; latency is measured from the
first byte written (paced: from when the request was due) to the last byte of the response.

Each request gets a unique ``Idempotency-Key``. Any answer but the expected status stops the
run at once and is reported (status and the start of the body): a benchmark that counted
errors as throughput would be worse than none.

Config (JSON): ``host``, ``port``, ``path``, ``concurrency``, ``bodies_file`` (a JSON list of
bodies), ``headers`` (extra headers, e.g. Authorization), ``key_prefix``, ``expect`` (status,
default 201), and either ``seconds`` (measured window, after ``warmup_seconds``) or
``requests`` (a fixed count, all measured). ``rate`` (requests a second, all clients together)
paces the clients instead of letting each send again as soon as it is answered;
``return_latencies`` adds every latency measured (milliseconds) to the result.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.stats import percentile

MAX_HEADER_BYTES = 64 * 1024


class LoadError(Exception):
    """An unexpected answer or a broken connection: the run stops and says why."""


@dataclass
class Tally:
    """What the clients share: the window, the counts and the latencies measured in it."""

    started: float = 0.0
    measure_from: float = 0.0
    measure_until: float = float("inf")
    stop_at: float = float("inf")
    remaining: int | None = None
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    failure: str | None = None
    response_bytes: int = 0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER_BYTES:
        raise LoadError("response headers too large")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = b""
    return status, headers, body


async def _client(
    index: int,
    *,
    config: dict[str, Any],
    bodies: list[bytes],
    tally: Tally,
) -> None:
    host, port, path = config["host"], int(config["port"]), config["path"]
    expect = int(config.get("expect", 201))
    prefix = config["key_prefix"]
    fixed = "".join(f"{k}: {v}\r\n" for k, v in config.get("headers", {}).items())
    head_template = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{fixed}Idempotency-Key: {{key}}\r\nContent-Length: {{length}}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(host, port)
    step = int(config["concurrency"])
    # Paced: this client's requests are due every `interval` seconds, the clients staggered.
    interval = step / float(config["rate"]) if config.get("rate") else None
    due = tally.started + (interval or 0.0) * index / step
    i = 0
    try:
        while tally.failure is None:
            now = time.perf_counter()
            if interval is not None and due > now:
                await asyncio.sleep(due - now)
                now = time.perf_counter()
            if now >= tally.stop_at:
                return
            if tally.remaining is not None:
                if tally.remaining <= 0:
                    return
                tally.remaining -= 1
            body = bodies[(i * step + index) % len(bodies)]
            key = f"{prefix}-{index}-{i}"
            i += 1
            request = head_template.format(key=key, length=len(body)).encode("latin-1") + body
            # Paced latency runs from when the request was due, not from when it could be sent:
            # a client held up by a slow answer must not hide the wait (coordinated omission).
            started = min(due, now) if interval is not None else time.perf_counter()
            if interval is not None:
                due += interval
            writer.write(request)
            tally.sent += 1
            try:
                status, headers, payload = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                raise LoadError(f"the connection broke: {type(exc).__name__}: {exc}") from None
            finished = time.perf_counter()
            if status != expect:
                raise LoadError(
                    f"expected {expect}, got {status} for key {key}: "
                    f"{payload[:600].decode('utf-8', 'replace')}"
                )
            if tally.measure_from <= finished < tally.measure_until:
                tally.latencies.append(finished - started)
                tally.response_bytes += len(payload)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    except LoadError as exc:
        if tally.failure is None:
            tally.failure = str(exc)
    finally:
        writer.close()


def summarise(latencies: list[float], seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    ms = 1000.0
    return {
        "requests": len(ordered),
        "seconds": seconds,
        "throughput": len(ordered) / seconds if seconds > 0 else float("nan"),
        "p50_ms": percentile(ordered, 50) * ms,
        "p90_ms": percentile(ordered, 90) * ms,
        "p99_ms": percentile(ordered, 99) * ms,
        "max_ms": (ordered[-1] * ms) if ordered else float("nan"),
        "mean_ms": (sum(ordered) / len(ordered) * ms) if ordered else float("nan"),
    }


async def run(config: dict[str, Any]) -> dict[str, Any]:
    with open(config["bodies_file"], encoding="utf-8") as f:
        bodies = [
            json.dumps(b, separators=(",", ":"), ensure_ascii=False).encode() for b in json.load(f)
        ]
    tally = Tally()
    concurrency = int(config["concurrency"])
    start = time.perf_counter()
    tally.started = start
    if "requests" in config:
        tally.remaining = int(config["requests"])
        tally.measure_from = start
    else:
        warmup = float(config.get("warmup_seconds", 0.0))
        tally.measure_from = start + warmup
        tally.measure_until = tally.measure_from + float(config["seconds"])
        tally.stop_at = tally.measure_until
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    tasks = [
        asyncio.create_task(_client(i, config=config, bodies=bodies, tally=tally))
        for i in range(concurrency)
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    end = time.perf_counter()
    for r in results:
        if isinstance(r, BaseException) and tally.failure is None:
            tally.failure = f"{type(r).__name__}: {r}"
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    if "requests" in config:
        seconds = end - tally.measure_from
    else:
        seconds = min(end, tally.measure_until) - tally.measure_from
    out = summarise(tally.latencies, seconds)
    out.update(
        concurrency=concurrency,
        sent=tally.sent,
        failure=tally.failure,
        mean_response_bytes=tally.response_bytes / len(tally.latencies) if tally.latencies else 0,
        loadgen_cpu_seconds=(cpu_after.ru_utime - cpu_before.ru_utime)
        + (cpu_after.ru_stime - cpu_before.ru_stime),
    )
    if config.get("return_latencies"):
        out["latencies_ms"] = [round(x * 1000.0, 3) for x in tally.latencies]
    return out


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        config = json.load(f)
    result = asyncio.run(run(config))
    json.dump(result, sys.stdout)
    return 0 if result["failure"] is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
