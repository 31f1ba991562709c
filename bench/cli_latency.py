"""CLI latency: whole-process wall time and peak RSS of common commands.

Each command runs once to warm the OS cache and bytecode, then 5 times; prints the median wall
time and the median of peak RSS. Run: `.venv/bin/python bench/cli_latency.py`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

RUNS = 5
COMMANDS = [
    ["--help"],
    ["work-pool", "get-default-base-job-template", "--type", "process"],
    ["worker", "types"],
]


def flowyard_executable() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "flowyard")
    return beside if os.path.exists(beside) else (shutil.which("flowyard") or "flowyard")


def measure(argv: list[str]) -> tuple[float, int]:
    """Run once; return (wall seconds, peak RSS in KiB) of that process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_maxrss


def main() -> None:
    exe = flowyard_executable()
    print(f"{'command':<60} {'median wall':>12} {'median RSS':>12}")
    for args in COMMANDS:
        argv = [exe, *args]
        measure(argv)
        samples = [measure(argv) for _ in range(RUNS)]
        wall = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples)
        print(f"{'flowyard ' + ' '.join(args):<60} {wall:>10.3f} s {rss / 1024:>9.1f} MB")


if __name__ == "__main__":
    main()
