"""A 10 s server outage under a real worker running 40 flows (issue 19's figure).

Runs ``tests/e2e/test_server_outage.py`` with ``FLOWYARD_OUTAGE_RUNS`` (default 40): every run
must end COMPLETED with exactly one RUNNING state (0 crashed, 0 lost, 0 duplicated). Prints the
outcome and the wall time. Usage: ``.venv/bin/python bench/server_outage.py [runs]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Run the outage scenario at full size and report it."""
    runs = sys.argv[1] if len(sys.argv) > 1 else "40"
    begun = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/e2e/test_server_outage.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env={**os.environ, "FLOWYARD_OUTAGE_RUNS": runs},
        check=False,
    )
    outcome = "0 crashed, 0 lost, 0 duplicated" if done.returncode == 0 else "FAILED (see above)"
    print(f"{runs} flows, 10 s outage: {outcome}; {time.monotonic() - begun:.0f} s wall")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
