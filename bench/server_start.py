"""Server start-up: `flowyard server start` until `/api/health` answers, and idle RSS.

A cold start (empty SQLite database: migrations run) and then RUNS warm starts on the same
database (schema current: no migration work); each start is a fresh process, stopped with
SIGTERM afterwards. The idle RSS is read 5 s after the last warm start (median over the warm
starts), with the CPU time used by then. The servers may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped), as an installed
package has it. For scale, the same run measures the floor: the CPU time and RSS of a process
that only imports fastapi, sqlalchemy and uvicorn (what any server built on them pays).
Run: `.venv/bin/python bench/server_start.py` (RUNS=3).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from flowyard.testing.plugin import free_port
from harness import host_speed, scratch_dir

RUNS = int(os.environ.get("RUNS", "3"))
CLI = [os.path.join(os.path.dirname(sys.executable), "flowyard")]


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc; stable on a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(home: Path) -> tuple[subprocess.Popen[bytes], float, float]:
    """Start a server; (process, wall seconds until /api/health answered 200, its CPU seconds)."""
    port = free_port()
    env = {**os.environ, "FLOWYARD_HOME": str(home)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    server = subprocess.Popen(
        [*CLI, "server", "start", "--port", str(port), "--no-docker-bridge"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server, time.perf_counter() - started, cpu_seconds(server.pid)
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        time.sleep(0.01)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


FLOOR = "import fastapi, sqlalchemy, uvicorn, uvicorn.config, uvicorn.main, fastapi.applications"


def library_floor() -> tuple[float, float]:
    """(CPU seconds, RSS MB) of a process that only imports the server's libraries."""
    script = (
        FLOOR + "; import os, resource; r = resource.getrusage(resource.RUSAGE_SELF); "
        "print(r.ru_utime + r.ru_stime, r.ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    cpu, rss = out.stdout.split()
    return float(cpu), float(rss)


def main() -> None:
    print(host_speed(), flush=True)
    home = scratch_dir()
    load_before = os.getloadavg()[0]
    server, cold, cold_cpu = start(home)
    stop(server)
    warm, warm_cpu, idle_rss, idle_cpu = [], [], [], []
    for _ in range(RUNS):
        server, seconds, cpu = start(home)
        warm.append(seconds)
        warm_cpu.append(cpu)
        time.sleep(5)
        idle_rss.append(rss_mb(server.pid))
        idle_cpu.append(cpu_seconds(server.pid))
        stop(server)
    idle = statistics.median(idle_rss)
    floors = [library_floor() for _ in range(3)]
    floor_cpu = statistics.median(f[0] for f in floors)
    floor_rss = statistics.median(f[1] for f in floors)
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} at the end "
        f"({os.cpu_count()} CPUs)"
    )
    print(f"cold start (empty database, migrations): {cold:.2f} s wall, {cold_cpu:.2f} s CPU")
    print(
        f"warm start (schema current), median of {RUNS}: {statistics.median(warm):.2f} s wall "
        f"{[round(w, 2) for w in warm]}, {statistics.median(warm_cpu):.2f} s CPU"
    )
    print(
        f"idle RSS 5 s after a warm start, median: {idle:.1f} MB {[round(r, 1) for r in idle_rss]}"
        f"; CPU used by then (start-up work done after /api/health shows here): "
        f"{statistics.median(idle_cpu):.2f} s"
    )
    print(
        f"library floor (a process importing only fastapi, sqlalchemy, uvicorn): "
        f"{floor_cpu:.2f} s CPU, {floor_rss:.1f} MB"
    )


if __name__ == "__main__":
    main()
