"""What the dispatch benches share: a real server, a pool, a deployed flow and a worker, all as
subprocesses started the way a user starts them, with default worker settings."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from flowyard.testing.plugin import free_port

CLI = [sys.executable, "-m", "flowyard.cli"]
FLOWYARD = [os.path.join(os.path.dirname(sys.executable), "flowyard")]  # the installed script


def scratch_dir(prefix: str = "flowyard-bench-") -> Path:
    """A fresh temporary folder for one bench run (homes, databases, logs), removed when the bench
    exits; ``FLOWYARD_BENCH_KEEP=1`` keeps it (its path is printed) to look at afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.environ.get("FLOWYARD_BENCH_KEEP") == "1":
        atexit.register(print, f"kept {path}", file=sys.stderr)
    else:
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def host_loop_ms() -> float:
    """The CPU time of a fixed pure-Python loop, in ms (median of 5; lower is faster)."""
    times = []
    for _ in range(5):
        started = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i * i
        times.append(time.process_time() - started)
    return sorted(times)[2] * 1000


def host_speed() -> str:
    """How fast this host runs Python at the moment, to print beside a bench's figures.

    On this kind of VM the same code's figures move by up to 2x from one hour to the next while
    the load average and the kernel's steal time stay low; :func:`host_loop_ms` moves with them,
    so figures from different runs can be compared.
    """
    return f"host speed: a fixed Python loop took {host_loop_ms():.0f} ms CPU (lower is faster)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (load-independent)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(api: httpx.Client, path: str = "/health", timeout: float = 30) -> None:
    """Polls the server's ``path`` until it answers 200; exits after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if api.get(path).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.1)


def serve_database(home: Path, url: str, **extra_env: str) -> tuple[subprocess.Popen[bytes], str]:
    """``flowyard server start`` (the installed script) on the database at ``url``, with
    ``extra_env`` added; (process, API URL) once healthy."""
    port = free_port()
    env = {**os.environ, "FLOWYARD_HOME": str(home), "FLOWYARD_DATABASE_URL": url, **extra_env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    server = subprocess.Popen(
        [*FLOWYARD, "server", "start", "--port", str(port), "--no-docker-bridge"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                return server, api
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        time.sleep(0.05)


@dataclass
class Stage:
    """A running server with a deployed flow and a worker on its pool."""

    home: Path
    env: dict[str, str]
    api: httpx.Client
    deployment: dict[str, Any]
    worker: subprocess.Popen[bytes]
    server: subprocess.Popen[bytes]


@contextmanager
def stage(
    *,
    pool_type: str,
    flow_source: str,
    deploy_call: str,
    base_job_template: dict[str, Any] | None = None,
    worker_args: tuple[str, ...] = (),
    **extra_env: str,
) -> Iterator[Stage]:
    """Start `flowyard server start`, create pool `bench`, deploy `stamp/d`, start a worker.

    ``deploy_call`` is the Python statement that deploys ``stamp`` (from ``bench_flow.py``) as
    deployment ``d`` on pool ``bench``; ``base_job_template`` replaces the type's default
    template of the pool; ``worker_args`` are added to ``worker start``. Everything is stopped on
    exit; the worker's output is in ``<home>/worker.log`` (its end is printed when the bench fails).
    """
    home = scratch_dir()
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("FLOWYARD_WORKER_") or k == "FLOWYARD_WORKER_WARM_ENGINE"
        },
        "FLOWYARD_HOME": str(home),
        "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api",
        **extra_env,
    }
    server = subprocess.Popen([*CLI, "server", "start", "--port", str(port)], env=env)
    worker = None
    try:
        api = httpx.Client(base_url=env["FLOWYARD_API_URL"], timeout=30)
        wait_ready(api)
        template_args: list[str] = []
        if base_job_template is not None:
            (home / "template.json").write_text(json.dumps(base_job_template))
            template_args = ["--base-job-template", str(home / "template.json")]
        subprocess.run(
            [*CLI, "work-pool", "create", "bench", "-t", pool_type, *template_args],
            env=env,
            check=True,
            capture_output=True,
        )
        (home / "bench_flow.py").write_text(flow_source)
        subprocess.run(
            [sys.executable, "-c", f"from bench_flow import stamp\n{deploy_call}"],
            cwd=home,
            env=env,
            check=True,
            capture_output=True,
        )
        deployment = api.get("/deployments/name/stamp/d").json()
        worker = subprocess.Popen(
            [*CLI, "worker", "start", "--pool", "bench", *worker_args],
            env=env,
            stdout=(home / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        yield Stage(home, env, api, deployment, worker, server)
    except BaseException:
        log = home / "worker.log"  # removed with the scratch folder at exit: show its end now
        if log.exists():
            print(
                f"--- end of {log}:", *log.read_text().splitlines()[-40:], sep="\n", file=sys.stderr
            )
        raise
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
