"""CLI latency: whole-process wall time, CPU time and peak RSS of common commands.

Each command runs once to warm the OS cache and bytecode, then 5 times; prints the medians of
wall time, CPU time (user + system: steadier than wall time on a busy machine) and peak RSS.
Commands that talk to the API run against `flowyard server start` (SQLite, a subprocess: a
server in this process would inflate the children's peak RSS, which counts memory from before
``exec``) with pool `p` and deployment `f/d`.
Run: `.venv/bin/python bench/cli_latency.py`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

import httpx
from flowyard.testing.plugin import free_port
from harness import host_speed, scratch_dir

RUNS = 5
COMMANDS = [
    ["--help"],
    ["work-pool", "get-default-base-job-template", "--type", "process"],
    ["worker", "types"],
    ["work-pool", "ls"],
    ["flow-run", "ls"],
    ["deployment", "run", "f/d"],
]


def flowyard_executable() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "flowyard")
    return beside if os.path.exists(beside) else (shutil.which("flowyard") or "flowyard")


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run once; return (wall seconds, CPU seconds, peak RSS in KiB) of that process alone.

    The RSS comes from ``/usr/bin/time -f %M`` (a small parent): ``wait4`` of a child forked from
    this process would count this process's memory from before ``exec``.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    rss = int(proc.stderr.read().split()[-1])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, rss


def main() -> None:
    print(host_speed(), flush=True)
    exe = flowyard_executable()
    home = scratch_dir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "FLOWYARD_API_URL": api_url, "FLOWYARD_HOME": str(home)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode as an installed package has it
    server = subprocess.Popen(
        [exe, "server", "start", "--port", str(port), "--no-docker-bridge"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=api_url) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.05)
            http.post("/work_pools", json={"name": "p", "type": "process"}).raise_for_status()
            http.post(
                "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"}
            ).raise_for_status()
        print(f"load average: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
        print(f"{'command':<58} {'wall':>8} {'CPU':>8} {'RSS':>9}")
        for args in COMMANDS:
            argv = [exe, *args]
            measure(argv, env)
            samples = [measure(argv, env) for _ in range(RUNS)]
            wall, cpu, rss = (statistics.median(s[i] for s in samples) for i in range(3))
            print(
                f"{'flowyard ' + ' '.join(args):<58} {wall:>6.3f} s {cpu:>6.3f} s "
                f"{rss / 1024:>6.1f} MB"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
