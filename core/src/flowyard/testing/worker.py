"""Real worker processes for tests: start ``flowyard worker start`` and wait until it polls."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from flowyard.testing.cli import start_cli
from flowyard.testing.plugin import RunningServer


@dataclass
class WorkerProcess:
    """A running worker subprocess and its log file."""

    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        """Everything the worker printed so far."""
        return self.log.read_text()

    def wait_for_output(self, text: str, timeout: float = 30) -> str:
        """Wait until the worker has printed ``text`` (e.g. a streamed line of the flow's output,
        which a polling watch may copy after the run's engine already reported its final state);
        returns the output, or fails the test with it after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while text not in (printed := self.output()):
            assert time.monotonic() < deadline, f"{text!r} not in the worker's output:\n{printed}"
            time.sleep(0.2)
        return printed

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the worker and wait for it; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_worker(
    server: RunningServer, *args: str, log: Path, wait: bool = True, **env: str
) -> WorkerProcess:
    """``flowyard worker start <args>`` against ``server``; waits for its start-up line."""
    handle = log.open("w")
    process = start_cli("worker", "start", *args, env=server.env(**env), log=handle)
    handle.close()
    worker = WorkerProcess(process, log)
    if wait:
        deadline = time.monotonic() + 30
        while "started: pool" not in worker.output():
            if process.poll() is not None:
                raise AssertionError(f"the worker exited {process.returncode}:\n{worker.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{worker.output()}")
            time.sleep(0.05)
    return worker
