"""What the container dispatch benches share (docker, kubernetes, ecs, cloud-run and vertex-ai,
azure-container-instance): the flow they deploy, the base image, the timing of each run from its
creation to its container's start, its flow body and its COMPLETED state, and the report.

Each bench says how to find when a run's container started (from the engine, or its fake) and
what to clean up after each run.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import Stage

N = int(os.environ.get("N", "10"))
ROOT = Path(__file__).resolve().parents[1]
FLOW = """
import time
from flowyard import flow

@flow(log_prints=True)
def stamp() -> None:
    print("BODY", repr(time.time()), flush=True)
"""

Run = dict[str, Any]
"""A finished run as ``GET /flow_runs/{id}`` answers it."""


def base_image() -> str:
    """The flowyard base image built from this checkout (``scripts/build-flowyard-image``)."""
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], capture_output=True, text=True, check=True
    )
    return built.stdout.split()[-1]


def docker_time(raw: str) -> float:
    """A Docker timestamp (``2026-11-22T22:40:01.123456789Z``) as seconds since the epoch."""
    head, _, frac = raw.rstrip("Z").partition(".")
    stamp = dt.datetime.fromisoformat(head).replace(tzinfo=dt.UTC)
    return stamp.timestamp() + float("0." + (frac or "0"))


def remove_image(image: str) -> None:
    subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)


@dataclass
class Timings:
    """Seconds from each run's creation (client clock) to each milestone."""

    to_start: list[float] = field(default_factory=list)
    to_body: list[float] = field(default_factory=list)
    to_done: list[float] = field(default_factory=list)


def time_runs(
    bench: Stage,
    started: Callable[[Run], float],
    *,
    after_each: Callable[[Run], None] = lambda run: None,
    pause: float = 0.5,
) -> Timings:
    """Create ``N`` runs of the stage's deployment one at a time, each due now, and time them.

    :param started: when the run's container started (seconds since the epoch), from its
        finished run (the infrastructure id names it).
    :param after_each: clean-up after each run (e.g. remove its container).
    :param pause: seconds between runs (e.g. for the worker to delete a container group).
    """
    time.sleep(3)  # the worker's first poll
    timings = Timings()
    for _ in range(N):
        created = time.time()
        run = bench.api.post(f"/deployments/{bench.deployment['id']}/runs", json={}).json()
        while True:
            current: Run = bench.api.get(f"/flow_runs/{run['id']}").json()
            if current["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(0.02)
        done = time.time()
        assert current["state_type"] == "COMPLETED", current
        timings.to_start.append(started(current) - created)
        logs = bench.api.get(f"/flow_runs/{run['id']}/logs").json()
        body = next(
            float(line["message"].split()[1]) for line in logs if line["message"].startswith("BODY")
        )
        timings.to_body.append(body - created)
        timings.to_done.append(done - created)
        after_each(current)
        time.sleep(pause)
    return timings


def report(headline: str, timings: Timings, indent: str = "") -> None:
    """Print the medians (and the container start's min and max) under ``headline``."""
    start = timings.to_start
    print(headline)
    print(
        f"{indent}creation -> container started: median {statistics.median(start):.3f} s "
        f"(min {min(start):.3f}, max {max(start):.3f})"
    )
    print(
        f"{indent}creation -> flow body:         median {statistics.median(timings.to_body):.3f} s"
    )
    print(
        f"{indent}creation -> COMPLETED seen:    median {statistics.median(timings.to_done):.3f} s"
    )
