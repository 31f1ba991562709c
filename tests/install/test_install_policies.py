"""Install policies for real: wheels served by a local package index, installed with pip.

The test builds the wheels of `flowyard`, `flowyard-process`, `flowyard-kubernetes`,
`flowyard-azure` and a test-only worker type `flowyard-echo` (no dependencies beyond flowyard, so
it is quick), plus the `kubernetes` and Azure clients' wheels, serves them with pypiserver on
loopback, creates a fresh venv with only `flowyard` installed (its third-party dependencies come
from the machine's normal index), and runs that venv's `flowyard worker start --type echo` against
a live server with each policy. The registry learns `echo -> flowyard-echo` from a registry file
(`FLOWYARD_WORKER_REGISTRY`), the way a company maps its own types.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing import distributions
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer, free_port

ROOT = Path(__file__).resolve().parents[2]
ECHO = Path(__file__).resolve().parent / "echo_plugin"

pytestmark = SQLITE_ONLY


def build_wheel(
    source: Path, out: Path, version: str | None = None, work: Path | None = None
) -> None:
    """Build a project's wheel (optionally with its version rewritten) into ``out``."""
    if version is not None:
        assert work is not None
        copy = work / f"{source.name}-{version}"
        shutil.copytree(source, copy)
        pyproject = copy / "pyproject.toml"
        pyproject.write_text(
            re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text())
        )
        source = copy
    distributions.build_wheel(source, out)


def download(packages: Path, *requirements: str) -> None:
    """``pip download`` the requirements' distributions (and theirs) into ``packages``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(packages), *requirements],
        check=True,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(index URL, packages dir, scratch dir): pypiserver on loopback serving the built wheels."""
    work = tmp_path_factory.mktemp("index")
    packages = work / "packages"
    packages.mkdir()
    build_wheel(ROOT / "core", packages)
    build_wheel(ROOT / "plugins" / "process", packages)
    build_wheel(ROOT / "plugins" / "aws", packages)
    build_wheel(ECHO, packages)
    build_wheel(ROOT / "plugins" / "kubernetes", packages)
    build_wheel(ROOT / "plugins" / "azure", packages)
    # flowyard-kubernetes' and flowyard-azure's third-party dependencies, so the index can serve
    # them too
    download(
        packages,
        "kubernetes>=36,<37",
        "azure-mgmt-containerinstance>=10.1,<11",
        "azure-identity>=1.15,<2",
        "azure-core>=1.30,<2",
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "--backend",
            "simple-dir",
            "--disable-fallback",
            "-a",
            ".",
            "-P",
            ".",
            str(packages),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/simple/"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "pypiserver did not start"
        time.sleep(0.1)
    yield url, packages, work
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def fresh_venv(index: tuple[str, Path, Path]) -> Path:
    """A new venv with only `flowyard` (and its process worker) installed from the built wheels."""
    _, packages, work = index
    env_dir = work / "venv"
    core_wheel = next(packages.glob("flowyard-*.whl"))
    process_wheel = next(packages.glob("flowyard_process-*.whl"))
    distributions.create_venv(env_dir, str(core_wheel), str(process_wheel))
    return env_dir


def installed_version(env_dir: Path, distribution: str) -> str | None:
    result = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            f"import importlib.metadata as m\ntry: print(m.version({distribution!r}))\nexcept m.PackageNotFoundError: print('none')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    version = result.stdout.strip()
    return None if version == "none" else version


def test_install_policies_end_to_end(
    server: RunningServer, index: tuple[str, Path, Path], fresh_venv: Path, tmp_path: Path
) -> None:
    url, packages, work = index
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"echo": {"distribution": "flowyard-echo"}}))
    env = server.env(
        PIP_INDEX_URL=url, FLOWYARD_WORKER_REGISTRY=str(registry), PIP_NO_CACHE_DIR="1"
    )
    env.pop("PIP_EXTRA_INDEX_URL", None)
    env["PATH"] = f"{fresh_venv / 'bin'}{os.pathsep}{env['PATH']}"
    flowyard = str(fresh_venv / "bin" / "flowyard")
    api = httpx.Client(base_url=server.api_url)

    def start(
        policy: str, pool: str, worker_type: str = "echo"
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                flowyard,
                "worker",
                "start",
                "--pool",
                pool,
                "--type",
                worker_type,
                "--install-policy",
                policy,
                "--run-once",
                "--name",
                f"w-{policy}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )

    assert installed_version(fresh_venv, "flowyard-echo") is None
    for policy in ("never", "prompt"):  # prompt without a terminal behaves like never
        refused = start(policy, "echo-pool")
        assert refused.returncode == 1, refused.stderr
        # the command to run names the configured index, never the bare public name
        assert f"-m pip install --index-url {url} flowyard-echo" in refused.stderr
        assert installed_version(fresh_venv, "flowyard-echo") is None
    assert api.get("/work_pools/echo-pool").status_code == 404  # nothing half-done

    installed = start("if-not-present", "echo-pool")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Installing flowyard-echo" in installed.stderr
    assert installed_version(fresh_venv, "flowyard-echo") == "0.1.0"
    assert api.get("/work_pools/echo-pool").json()["type"] == "echo"
    assert [w["name"] for w in api.get("/work_pools/echo-pool/workers").json()] == [
        "w-if-not-present"
    ]

    again = start("if-not-present", "echo-pool")  # present: nothing to install
    assert again.returncode == 0 and "Installing" not in again.stderr

    build_wheel(ECHO, packages, version="0.1.1", work=work)
    upgraded = start("always", "echo-pool")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert installed_version(fresh_venv, "flowyard-echo") == "0.1.1"
    assert installed_version(fresh_venv, "flowyard") == "0.1.0"  # the core was left alone

    unknown = start("if-not-present", "other-pool", worker_type="slurm")
    assert unknown.returncode == 1 and "FLOWYARD_WORKER_REGISTRY" in unknown.stderr
    assert api.get("/work_pools/other-pool").status_code == 404
    api.close()


@dataclass(frozen=True)
class BundledType:
    """A worker type the bundled registry maps to a flowyard plugin on the index."""

    worker_type: str
    distribution: str
    pool: str
    is_its_template: Callable[[dict[str, Any]], bool]  # on the pool's job_configuration
    index: str = "index"  # the fixture serving the plugin and its dependencies
    preinstalled: tuple[str, ...] = ()  # from the machine's normal index, before the start
    timeout: float = 300


BUNDLED_TYPES = [
    BundledType(
        "kubernetes",
        "flowyard-kubernetes",
        "k8s-pool",
        lambda config: config["job_manifest"]["kind"] == "Job",
    ),
    # The mission's own example: `worker start --type ecs --install-policy if-not-present`.
    # flowyard-aws's third-party dependency comes from the machine's normal index, as the fresh
    # venv's flowyard dependencies did; flowyard-aws itself only from the local index.
    BundledType(
        "ecs",
        "flowyard-aws",
        "my-ecs-pool",
        lambda config: "task_definition" in config,
        preinstalled=("boto3",),
    ),
    BundledType(
        "azure-container-instance",
        "flowyard-azure",
        "aci-pool",
        lambda config: (
            config["container_group"]["properties"]["containers"][0]["name"] == "flowyard-job"
        ),
    ),
    BundledType(
        "cloud-run",
        "flowyard-gcp",
        "run-pool",
        lambda config: "job_body" in config,
        index="gcp_index",
        timeout=600,
    ),
]


@pytest.mark.parametrize("bundled", BUNDLED_TYPES, ids=lambda bundled: bundled.worker_type)
def test_if_not_present_installs_the_types_plugin_from_the_index(
    server: RunningServer,
    fresh_venv: Path,
    bundled: BundledType,
    request: pytest.FixtureRequest,
) -> None:
    url, _, _ = request.getfixturevalue(bundled.index)
    python = str(fresh_venv / "bin" / "python")
    for requirement in bundled.preinstalled:
        subprocess.run([python, "-m", "pip", "install", "-q", requirement], check=True)
    env = server.env(PIP_INDEX_URL=url, PIP_NO_CACHE_DIR="1")
    env.pop("PIP_EXTRA_INDEX_URL", None)
    env.pop("FLOWYARD_WORKER_REGISTRY", None)  # the bundled registry maps the type
    env["PATH"] = f"{fresh_venv / 'bin'}{os.pathsep}{env['PATH']}"
    assert installed_version(fresh_venv, bundled.distribution) is None

    started = subprocess.run(
        [
            str(fresh_venv / "bin" / "flowyard"),
            "worker",
            "start",
            "--pool",
            bundled.pool,
            "--type",
            bundled.worker_type,
            "--install-policy",
            "if-not-present",
            "--run-once",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=bundled.timeout,
        stdin=subprocess.DEVNULL,
    )

    assert started.returncode == 0, started.stdout + started.stderr
    assert f"Installing {bundled.distribution}" in started.stderr
    assert installed_version(fresh_venv, bundled.distribution) == "0.1.0"
    pool = httpx.get(f"{server.api_url}/work_pools/{bundled.pool}").json()
    assert pool["type"] == bundled.worker_type
    assert bundled.is_its_template(pool["base_job_template"]["job_configuration"])


@pytest.fixture(scope="module")
def gcp_index(index: tuple[str, Path, Path]) -> tuple[str, Path, Path]:
    """The index, also serving `flowyard-gcp` and its Google client dependencies."""
    url, packages, work = index
    build_wheel(ROOT / "plugins" / "gcp", packages)
    download(
        packages,
        "google-cloud-run>=0.16,<0.17",
        "google-cloud-aiplatform>=2.7,<3",
        "google-auth>=2.30,<3",
    )
    return url, packages, work
