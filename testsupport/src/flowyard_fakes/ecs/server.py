"""``python -m flowyard_fakes.ecs.server --port N``: moto's server with an ECS-agent endpoint.

This process *is* moto in server mode (``DomainDispatcherApplication(create_backend_app)`` served
by werkzeug, as ``moto_server`` does), with three additions the harness needs and moto lacks,
because moto records tasks but never runs them:

1. ``POST /_flowyard/ecs/task-state`` with ``{"taskArn", "lastStatus", "stopCode"?,
   "stoppedReason"?, "container": {"lastStatus"?, "exitCode"?, "reason"?}}`` sets what the ECS
   container agent reports on AWS (moto has no SubmitTaskStateChange), with the timestamps
   (``pullStartedAt``, ``startedAt``, ``stoppingAt``, ``stoppedAt``) that go with each status.
2. RunTask: tasks start in ``PROVISIONING`` as on AWS (moto starts them in RUNNING) and their
   container has no ``exitCode`` until it stops (moto reports 0 from the start).
3. StopTask: ``desiredStatus`` STOPPED, ``stopCode`` UserInitiated and ``lastStatus``
   DEACTIVATING until the agent reports the container gone (moto jumps to STOPPED at once). An
   unknown task answers ``InvalidParameterException`` "The referenced task was not found." as
   AWS does (moto raises a bare exception: HTTP 500).

Everything else (every other operation, ``/moto-api/*``, the other services) is moto unchanged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

AGENT_PATH = "/_flowyard/ecs/task-state"


def _find_task(task_arn: str) -> Any:
    from moto.ecs.models import ecs_backends

    task_id = task_arn.rsplit("/", 1)[-1]
    for regions in list(ecs_backends.values()):
        for backend in list(regions.values()):
            for tasks in list(backend.tasks.values()):
                for arn, task in list(tasks.items()):
                    if arn == task_arn or arn.rsplit("/", 1)[-1] == task_id:
                        return task
    return None


def set_task_state(body: dict[str, Any]) -> bool:
    """Apply one agent report to the task (False when moto does not know the task)."""
    task = _find_task(str(body["taskArn"]))
    if task is None:
        return False
    now = datetime.now(UTC)
    status = str(body["lastStatus"])
    if status == "PENDING":
        task.pull_started_at = now
    if status == "RUNNING":
        task.pull_stopped_at = now
        task.started_at = now
    if status == "STOPPED":
        task.stopped_at = now
        task.desired_status = "STOPPED"
        task.stopping_at = getattr(task, "stopping_at", None) or now
        task.execution_stopped_at = now
    if body.get("stopCode"):
        task.stop_code = body["stopCode"]
    if body.get("stoppedReason"):
        task.stopped_reason = body["stoppedReason"]
    task.last_status = status
    container = body.get("container") or {}
    for item in task.containers[:1]:
        if "lastStatus" in container:
            item.last_status = container["lastStatus"]
        if "exitCode" in container:
            item.exitCode = container["exitCode"]
        if container.get("reason"):
            item.reason = container["reason"]
    return True


def _patch_moto() -> None:
    from moto.ecs.exceptions import InvalidParameterException
    from moto.ecs.models import EC2ContainerServiceBackend

    original_run = EC2ContainerServiceBackend.run_task
    original_stop = EC2ContainerServiceBackend.stop_task

    def run_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        tasks: list[Any] = original_run(self, *args, **kwargs)
        now = datetime.now(UTC)
        for task in tasks:
            task.last_status = "PROVISIONING"
            task.created_at = now
            for container in task.containers:
                container.exitCode = None
        return tasks

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        task = _find_task(task_str)
        if task is None:
            raise InvalidParameterException("The referenced task was not found.")
        before = task.last_status
        stopped: Any = original_stop(self, cluster_str, task_str, reason)
        if before != "STOPPED":
            stopped.last_status = "DEACTIVATING"
            stopped.stop_code = "UserInitiated"
            stopped.stopping_at = datetime.now(UTC)
        else:
            stopped.last_status = before
        return stopped

    EC2ContainerServiceBackend.run_task = run_task  # type: ignore[method-assign]
    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]


StartResponse = Callable[..., Any]


class AgentEndpoint:
    """WSGI middleware: the agent endpoint, everything else to moto."""

    def __init__(
        self, moto_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    ) -> None:
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve ``POST /_flowyard/ecs/task-state``; pass every other request to moto."""
        if environ.get("PATH_INFO") != AGENT_PATH:
            return self.moto_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        found = set_task_state(body)
        start_response(
            "200 OK" if found else "404 Not Found", [("Content-Type", "application/json")]
        )
        return [json.dumps({"found": found}).encode()]


def main(argv: list[str] | None = None) -> None:
    """Serve moto plus the agent endpoint on ``--host``/``--port`` until terminated."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _patch_moto()
    app = AgentEndpoint(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
