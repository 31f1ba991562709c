"""Turn a STOPPED task (stopCode, stoppedReason, the container's exit code) into an ExitStatus."""

from __future__ import annotations

from typing import Any

from flowyard.job import ExitStatus

UNKNOWN = -1


def _container(task: dict[str, Any], name: str) -> dict[str, Any]:
    containers = list(task.get("containers") or [])
    return next(
        (c for c in containers if c.get("name") == name), containers[0] if containers else {}
    )


def explain(task: dict[str, Any], container_name: str) -> ExitStatus:
    """How the task ended, in words a person can act on (reason None for a clean exit 0)."""
    stop_code = str(task.get("stopCode") or "")
    stopped_reason = str(task.get("stoppedReason") or "")
    container = _container(task, container_name)
    exit_code = container.get("exitCode")
    container_reason = str(container.get("reason") or "")
    code = int(exit_code) if exit_code is not None else UNKNOWN
    said = " ".join(r for r in (stopped_reason, container_reason) if r)
    if "CannotPullContainerError" in said:
        return ExitStatus(
            code=UNKNOWN,
            reason=f"ECS could not pull the task's image ({said}). Check the image name and that "
            "the execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage).",
        )
    if "OutOfMemoryError" in container_reason or "OutOfMemory" in stopped_reason:
        return ExitStatus(
            code=code if code != 0 else 137,
            reason=f"The container '{container_name}' was killed for running out of memory "
            f"({container_reason or stopped_reason}); exit code {exit_code}. Raise memory.",
        )
    if stop_code == "TaskFailedToStart":
        return ExitStatus(
            code=UNKNOWN, reason=f"The ECS task failed to start: {said or 'no reason given'}."
        )
    if exit_code is None:
        return ExitStatus(
            code=UNKNOWN,
            reason=f"The ECS task stopped ({stop_code or 'no stop code'}: "
            f"{said or 'no reason given'}) without an exit code for container '{container_name}'.",
        )
    if code == 0:
        return ExitStatus(code=0, reason=None)
    if stop_code == "UserInitiated":
        return ExitStatus(
            code=code, reason=f"The ECS task was stopped ({stopped_reason}); exit code {code}."
        )
    if stop_code in ("SpotInterruption", "TerminationNotice", "ServiceSchedulerInitiated"):
        return ExitStatus(
            code=code,
            reason=f"AWS stopped the task ({stop_code}: {stopped_reason}); exit code {code}.",
        )
    detail = f" ({container_reason})" if container_reason else ""
    return ExitStatus(
        code=code,
        reason=f"The essential container '{container_name}' exited with code {code}{detail}.",
    )
