"""flowyard and the peer (Prefect 3.9.1) side by side: the same scenarios, one machine, one run.

The peer is installed into its own cached venv on first use (:mod:`peer`). Each system gets a
fresh home and SQLite database, its server on loopback and its own process worker with default
settings; the systems run one after the other, so they never compete for the CPU. Prints one row
per figure with both values, their ratio and the load average when each was taken.

Scenarios: ``--help``; ``work-pool ls`` against the server; server start (empty database, then
on the same database); dispatch (run created -> flow body starts, one at a time); run creation
(one request per run; flowyard also in bulk); claims (one claimer, up to 50 per request: the
peer's ``get_scheduled_flow_runs`` + a PENDING proposal per run); end to end (N trivial runs due
now, one worker ``--limit 8``, until all are final); idle RSS of server and worker.

Run: ``.venv/bin/python bench/compare/compare.py`` (a few minutes; sizes via DISPATCH_RUNS,
CREATE_RUNS, CLAIM_RUNS, E2E_RUNS, CLI_RUNS).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import peer
from cpu import tree_cpu_seconds
from flowyard.testing.plugin import free_port
from harness import host_loop_ms, scratch_dir

DISPATCH_RUNS = int(os.environ.get("DISPATCH_RUNS", "5"))
CREATE_RUNS = int(os.environ.get("CREATE_RUNS", "100"))
BULK_RUNS = int(os.environ.get("BULK_RUNS", "1000"))
CLAIM_RUNS = int(os.environ.get("CLAIM_RUNS", "100"))
E2E_RUNS = int(os.environ.get("E2E_RUNS", "16"))
CLI_RUNS = int(os.environ.get("CLI_RUNS", "3"))
OPS = Path(__file__).resolve().parent / "prefect_ops.py"

FLOW = """
import time
from pathlib import Path
from {package} import flow

@flow
def stamp(out: str = "") -> None:
    if out:
        Path(out).write_text(repr(time.time()))
"""


def load() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its live descendants, in MB (a worker and its fork server)."""
    from cpu import child_pids

    total = rss_mb(pid)
    for child in child_pids(pid):
        with suppress(OSError):
            total += tree_rss_mb(child)
    return total


@dataclass
class Figure:
    """One measured value and the load average when it was taken."""

    value: float
    load: float
    note: str = ""


@dataclass
class System:
    """One system under test: how to start its server, worker and CLI, and what it measured."""

    name: str
    cli: list[str]
    python: str
    env: dict[str, str]
    home: Path
    port: int
    figures: dict[str, Figure] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def server_argv(self) -> list[str]:
        if self.name == "flowyard":
            return [*self.cli, "server", "start", "--port", str(self.port), "--no-docker-bridge"]
        return [*self.cli, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]

    def worker_argv(self, pool: str, limit: int | None) -> list[str]:
        argv = [*self.cli, "worker", "start", "--pool", pool]
        if self.name != "flowyard":
            argv += ["--type", "process"]
        return argv + (["--limit", str(limit)] if limit else [])


def flowyard_system(root: Path) -> System:
    home = root / "flowyard"
    home.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWYARD_", "PREFECT_"))}
    env.update({"FLOWYARD_HOME": str(home), "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api"})
    exe = str(Path(sys.executable).with_name("flowyard"))
    return System("flowyard", [exe], sys.executable, env, home, port)


def prefect_system(root: Path) -> System:
    venv = peer.ensure()
    home = root / "prefect"
    home.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWYARD_", "PREFECT_"))}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    return System(
        "prefect", [str(venv / "bin" / "prefect")], str(venv / "bin" / "python"), env, home, port
    )


# ---------------------------------------------------------------------------- processes


def timed_process(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run a command to its end; (wall seconds, CPU seconds of it and its children)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def wait_healthy(api_url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as http:
        while True:
            try:
                if http.get(f"{api_url}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"no server at {api_url} after {timeout:.0f} s")
            time.sleep(0.02)


def start_server(system: System) -> tuple[float, float]:
    """Start the server; (seconds until /health answers, CPU seconds spent until then)."""
    started = time.perf_counter()
    system.server = subprocess.Popen(
        system.server_argv(),
        env=system.env,
        cwd=system.home,
        stdout=(system.home / "server.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_healthy(system.api_url)
    return time.perf_counter() - started, tree_cpu_seconds(system.server.pid)


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def worker(system: System, pool: str, limit: int | None = None) -> Iterator[int]:
    """A process worker on ``pool`` with default settings; yields its pid once it is idle."""
    proc = subprocess.Popen(
        system.worker_argv(pool, limit),
        env=system.env,
        cwd=system.home,
        stdout=(system.home / f"worker-{pool}.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(6)  # started, registered and idle (the peer's worker needs ~2.6 s to start)
        yield proc.pid
    finally:
        stop(proc)


def peer_op(system: System, *args: str) -> dict[str, Any]:
    """One operation of :mod:`prefect_ops` in the peer's venv; its JSON answer."""
    done = subprocess.run(
        [system.python, str(OPS), *args],
        env=system.env,
        cwd=system.home,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"prefect_ops {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in result:
        raise SystemExit(f"prefect_ops {args[0]}: {result}")
    return result


# ---------------------------------------------------------------------------- scenarios


def measure_cli(system: System) -> None:
    for label, args in (("cli --help", ["--help"]), ("cli work-pool ls", ["work-pool", "ls"])):
        argv = [*system.cli, *args]
        timed_process(argv, system.env, system.home)  # warm the OS cache and bytecode
        at = load()
        samples = [timed_process(argv, system.env, system.home) for _ in range(CLI_RUNS)]
        system.figures[f"{label}: wall s"] = Figure(statistics.median(s[0] for s in samples), at)
        system.figures[f"{label}: CPU s"] = Figure(statistics.median(s[1] for s in samples), at)


def measure_server_start(system: System) -> None:
    at = load()
    wall, cpu = start_server(system)
    system.figures["server start, empty database: s"] = Figure(wall, at)
    stop(system.server)
    at = load()
    wall, cpu = start_server(system)
    system.figures["server start, existing database: s"] = Figure(wall, at)
    system.figures["server start, existing database: CPU s"] = Figure(cpu, at)
    time.sleep(5)
    assert system.server is not None
    system.figures["server idle RSS: MB"] = Figure(rss_mb(system.server.pid), load())


def flowyard_setup(system: System) -> dict[str, str]:
    (system.home / "bench_flow.py").write_text(FLOW.format(package="flowyard"))
    ids = {}
    for pool, name in (("bench", "d"), ("claims", "c")):
        subprocess.run(
            [*system.cli, "work-pool", "create", pool, "-t", "process"],
            env=system.env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                system.python,
                "-c",
                f"from bench_flow import stamp\nstamp.deploy({name!r}, work_pool_name={pool!r})",
            ],
            cwd=system.home,
            env=system.env,
            check=True,
            capture_output=True,
        )
        ids[pool] = httpx.get(f"{system.api_url}/deployments/name/stamp/{name}").json()["id"]
    return ids


def prefect_setup(system: System) -> dict[str, str]:
    (system.home / "bench_flow.py").write_text(FLOW.format(package="prefect"))
    result = peer_op(system, "setup", str(system.home))
    return {"bench": result["deployment_id"], "claims": result["claims_deployment_id"]}


def flowyard_dispatch(system: System, deployment: str) -> list[float]:
    latencies = []
    with httpx.Client(base_url=system.api_url, timeout=30) as api:
        for i in range(DISPATCH_RUNS):
            out = system.home / f"stamp-{i}"
            created = time.time()
            api.post(
                f"/deployments/{deployment}/runs", json={"parameters": {"out": str(out)}}
            ).raise_for_status()
            deadline = time.monotonic() + 120
            while not out.exists() or not out.read_text():
                if time.monotonic() > deadline:
                    raise SystemExit(f"flowyard run {i} did not start within 120 s")
                time.sleep(0.005)
            latencies.append(float(out.read_text()) - created)
            time.sleep(0.3)
    return latencies


def measure_dispatch(system: System, deployment: str) -> None:
    with worker(system, "bench") as pid:
        system.figures["worker idle RSS: MB"] = Figure(tree_rss_mb(pid), load())
        at = load()
        if system.name == "flowyard":
            latencies = flowyard_dispatch(system, deployment)
        else:
            latencies = peer_op(
                system, "dispatch", deployment, str(system.home), str(DISPATCH_RUNS)
            )["latencies"]
    system.figures["dispatch, created -> flow body: median s"] = Figure(
        statistics.median(latencies), at, f"{len(latencies)} runs"
    )


def measure_creation(system: System, deployment: str) -> None:
    at = load()
    if system.name == "flowyard":
        with httpx.Client(base_url=system.api_url, timeout=30) as api:
            started = time.perf_counter()
            for _ in range(CREATE_RUNS):
                api.post(f"/deployments/{deployment}/runs", json={}).raise_for_status()
            seconds = time.perf_counter() - started
            bulk_at = load()
            started = time.perf_counter()
            for first in range(0, BULK_RUNS, 500):
                count = min(500, BULK_RUNS - first)
                api.post(
                    f"/deployments/{deployment}/runs/bulk", json={"runs": [{}] * count}
                ).raise_for_status()
            bulk = time.perf_counter() - started
        system.figures["runs created, bulk (500 per request): runs/s"] = Figure(
            BULK_RUNS / bulk, bulk_at, f"{BULK_RUNS} runs"
        )
    else:
        seconds = peer_op(system, "create", deployment, str(CREATE_RUNS))["seconds"]
    system.figures["runs created, one request each: runs/s"] = Figure(
        CREATE_RUNS / seconds, at, f"{CREATE_RUNS} runs"
    )


def measure_claims(system: System) -> None:
    at = load()
    if system.name == "flowyard":
        claimed = 0
        with httpx.Client(base_url=system.api_url, timeout=30) as api:
            started = time.perf_counter()
            while claimed < CLAIM_RUNS:
                answer = api.post(
                    "/work_pools/claims/claim", json={"worker_name": "claimer", "limit": 50}
                )
                answer.raise_for_status()
                runs = answer.json()["runs"]
                if not runs:
                    break
                claimed += len(runs)
            seconds = time.perf_counter() - started
    else:
        result = peer_op(system, "claim", str(CLAIM_RUNS))
        claimed, seconds = result["claimed"], result["seconds"]
    system.figures["runs claimed, one claimer, 50 per poll: runs/s"] = Figure(
        claimed / seconds, at, f"{claimed} runs"
    )


def flowyard_finish(system: System, deployment: str) -> float:
    with httpx.Client(base_url=system.api_url, timeout=30) as api:
        started = time.perf_counter()
        api.post(
            f"/deployments/{deployment}/runs/bulk", json={"runs": [{}] * E2E_RUNS}
        ).raise_for_status()
        unfinished = {
            "deployment_id": deployment,
            "limit": 1,
            "state_types": ["SCHEDULED", "PENDING", "RUNNING", "CANCELLING"],
        }
        deadline = time.monotonic() + 600
        while api.post("/flow_runs/filter", json=unfinished).json():
            if time.monotonic() > deadline:
                raise SystemExit("flowyard: runs not finished after 600 s")
            time.sleep(0.05)
        return time.perf_counter() - started


def measure_end_to_end(system: System, deployment: str) -> None:
    with worker(system, "bench", limit=8):
        at = load()
        if system.name == "flowyard":
            seconds = flowyard_finish(system, deployment)
        else:
            seconds = peer_op(system, "finish", deployment, str(E2E_RUNS))["seconds"]
    system.figures["end to end, worker --limit 8: runs/s"] = Figure(
        E2E_RUNS / seconds, at, f"{E2E_RUNS} runs"
    )


def run_system(system: System, setup: Callable[[System], dict[str, str]]) -> None:
    print(f"== {system.name}", file=sys.stderr)
    measure_cli_help_only = [*system.cli, "--help"]
    timed_process(measure_cli_help_only, system.env, system.home)
    measure_server_start(system)
    try:
        deployments = setup(system)
        measure_cli(system)
        measure_creation(system, deployments["claims"])
        measure_claims(system)
        measure_dispatch(system, deployments["bench"])
        measure_end_to_end(system, deployments["bench"])
    finally:
        stop(system.server)


def report(ours: System, theirs: System) -> None:
    print(f"machine: {os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("ratio: how many times better flowyard is (higher is better for rates)")
    print(f"| figure | flowyard | {theirs.name} 3.9.1 | ratio | load (flowyard / peer) |")
    print("| --- | --- | --- | --- | --- |")
    higher_is_better = ("runs/s",)
    for key, mine in ours.figures.items():
        other = theirs.figures.get(key)
        if other is None:
            print(f"| {key} | {mine.value:.3g} | (none) | | {mine.load:.1f} / |")
            continue
        if key.endswith(higher_is_better):
            ratio = mine.value / other.value if other.value else float("inf")
        else:
            ratio = other.value / mine.value if mine.value else float("inf")
        print(
            f"| {key} | {mine.value:.3g} | {other.value:.3g} | {ratio:.1f}x | "
            f"{mine.load:.1f} / {other.load:.1f} |"
        )


def main() -> None:
    root = scratch_dir("flowyard-compare-")
    ours = flowyard_system(root)
    theirs = prefect_system(root)
    speeds = [host_loop_ms()]
    run_system(ours, flowyard_setup)
    speeds.append(host_loop_ms())
    run_system(theirs, prefect_setup)
    speeds.append(host_loop_ms())
    report(ours, theirs)
    print(
        "host speed (a fixed Python loop's CPU time, lower is faster) before flowyard, "
        "before the peer, at the end: " + " / ".join(f"{ms:.0f} ms" for ms in speeds)
    )


if __name__ == "__main__":
    main()
