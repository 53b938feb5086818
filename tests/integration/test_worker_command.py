"""`pathways worker` runs until SIGTERM and stops cleanly; it refuses an unmigrated database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATHWAYS = [sys.executable, "-m", "services.cli"]


def test_worker_runs_until_sigterm(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATHWAYS_ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "PATHWAYS_DIRECTORY_URL": "http://127.0.0.1:9",
    }
    refused = subprocess.run(
        [*PATHWAYS, "worker"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert "db upgrade --service router" in refused.stderr
    subprocess.run(
        [*PATHWAYS, "db", "upgrade", "--service", "router"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with subprocess.Popen(
        [*PATHWAYS, "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as worker:
        # Its handlers are in place once it says it is running (imports can take seconds on a
        # busy machine); then it must keep running until told to stop.
        assert worker.stderr is not None
        for line in worker.stderr:  # ends if the worker exits before saying so
            if "pathways worker: running" in line:
                break
        else:
            raise AssertionError("the worker stopped before it was running")
        time.sleep(1)
        assert worker.poll() is None, "the worker should keep running"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
