"""A fake AWS for the ``ecs`` worker type: moto in server mode, plus an agent that runs the tasks.

**moto** (a real, independent AWS fake) serves ECS, EC2 (a default VPC with subnets per region),
IAM, STS and CloudWatch Logs to boto3 over loopback HTTP, started as its own process
(:class:`MotoServer`, ``python -m flowyard_fakes.ecs.server``: moto's server app with an agent
endpoint, see :mod:`flowyard_fakes.ecs.server`). **The harness** (:class:`~flowyard_fakes.ecs.agent.EcsAgent`)
plays the ECS container agent: it runs each task's container on the real Docker engine through
:mod:`flowyard_fakes.containers`, publishes its output to moto's CloudWatch Logs, and reports the
task's statuses back to moto. moto's own state progression for ``ecs::task`` is switched off
through its state manager (``/moto-api/state-manager/set-transition``, manual, never), so only
the agent moves a task.

What moto does not model, and what this harness does instead or not at all:

- **Running anything**: moto records tasks only. The agent runs the *first* container definition
  of a task (moto models one container per task); sidecars are not run.
- **Exit codes, stop codes, stop reasons**: moto reports exitCode 0 from the start and no
  stopCode. The agent reports the container's real exit code, ``EssentialContainerExited`` /
  "Essential container in task exited", ``TaskFailedToStart`` with a ``CannotPullContainerError``
  reason for an image missing from the local engine (there is no registry: nothing is pulled),
  ``UserInitiated`` after StopTask, and ``OutOfMemoryError`` when Docker OOM-killed the container.
- **Lifecycle**: moto starts tasks RUNNING and StopTask jumps to STOPPED; the patched server
  starts them PROVISIONING and keeps a stopped task DEACTIVATING until the agent reports the
  container gone (see :mod:`flowyard_fakes.ecs.server`). ACTIVATING/DEPROVISIONING are skipped.
- **Placement, capacity and networking**: no container instances, capacity providers or Fargate
  capacity are checked (RunTask never fails for capacity); awsvpc subnets and security groups
  are recorded (moto creates an ENI in the first subnet) but containers run on the host's
  network (``network_mode="host"``) so they reach a flowyard server on loopback.
- **Resources**: only memory is enforced (the container's ``memory``, else the task's, as a
  Docker hard limit); CPU units, ephemeral storage and ulimits are not.
- **IAM**: moto does not check permissions; roles are just ARNs. Secrets (``secrets``) are not
  resolved. EventBridge task-state events are not produced.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from flowyard_fakes.ecs.agent import EcsAgent

ACCOUNT_ID = "123456789012"
NEVER = {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """moto in server mode as a subprocess on a free loopback port."""

    def __init__(self, log_file: Path | None = None) -> None:
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> MotoServer:
        """Start the process and wait until it answers."""
        out = open(self._log_file, "ab") if self._log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", "flowyard_fakes.ecs.server", "--port", str(self.port)],
            stdout=out,
            stderr=out,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the moto server exited with {self._process.returncode}")
            try:
                httpx.get(f"{self.endpoint_url}/moto-api/config", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)
        self.reset()
        return self

    def reset(self) -> None:
        """Forget every AWS resource (``/moto-api/reset``) and keep tasks where the agent puts them."""
        httpx.post(f"{self.endpoint_url}/moto-api/reset", timeout=30).raise_for_status()
        httpx.post(
            f"{self.endpoint_url}/moto-api/state-manager/set-transition", json=NEVER, timeout=30
        ).raise_for_status()

    def stop(self) -> None:
        """Terminate the process."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


class FakeAws:
    """One region of the fake: boto3 clients, the worker's environment, the running agent."""

    def __init__(self, server: MotoServer, region_name: str, agent: EcsAgent | None) -> None:
        self.server = server
        self.region_name = region_name
        self.agent = agent

    @property
    def endpoint_url(self) -> str:
        """moto's URL."""
        return self.server.endpoint_url

    def env(self) -> dict[str, str]:
        """Environment for a worker using boto3's default chain against the fake."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.region_name,
            "AWS_DEFAULT_REGION": self.region_name,
        }

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` for this region of the fake."""
        import boto3

        session: Any = boto3.Session()
        return session.client(
            service,
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def create_cluster(self, name: str = "default") -> str:
        """Create an ECS cluster (moto does not pre-create ``default``); returns its ARN."""
        return str(self.client("ecs").create_cluster(clusterName=name)["cluster"]["clusterArn"])

    def create_role(self, name: str) -> str:
        """An IAM role ECS tasks may assume; returns its ARN."""
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
            '"Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
        )
        role = self.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=policy)
        return str(role["Role"]["Arn"])

    def delete_default_vpc(self) -> None:
        """Remove the region's default VPC and its subnets (as in an account without one)."""
        ec2 = self.client("ec2")
        for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
            subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
            for subnet in subnets["Subnets"]:
                ec2.delete_subnet(SubnetId=subnet["SubnetId"])
            ec2.delete_vpc(VpcId=vpc["VpcId"])


@contextmanager
def fake_aws(
    server: MotoServer, region_name: str = "us-east-1", run_containers: bool = True
) -> Iterator[FakeAws]:
    """A reset fake with a ``default`` cluster and (with ``run_containers``) a running agent."""
    server.reset()
    agent = EcsAgent(server.endpoint_url, region_name).start() if run_containers else None
    aws = FakeAws(server, region_name, agent)
    aws.create_cluster()
    try:
        yield aws
    finally:
        if agent is not None:
            agent.close()


def moto_log_path() -> Path | None:
    """Where the moto process logs (``FLOWYARD_FAKES_MOTO_LOG``), None to discard its output."""
    value = os.environ.get("FLOWYARD_FAKES_MOTO_LOG")
    return Path(value) if value else None
