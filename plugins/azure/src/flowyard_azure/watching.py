"""Follow a flow run's container group to its container's exit code and explain how it ended.

1. Provisioning: wait for the create operation (the handle's poller) to finish; a failed
   operation (``InaccessibleImage``, quota, bad request) ends the run with Azure's code and
   message and the container's events (e.g. "Failed to pull image ...").
2. Start: read the group every ``task_watch_poll_interval`` until its container is ``Running``;
   when that takes longer than ``task_start_timeout_seconds`` the run ends with the container's
   last state and events.
3. Run: read the group until the container is ``Terminated``; its ``exitCode`` is the run's.
   Reads that fail with a server error or a dropped connection are retried (1, 2, 4 s); a group
   that disappears (deleted by a cancellation) ends the watch. With ``stream_output`` the
   container's log lines newer than the last one seen are copied to the worker's output.

Afterwards the group is deleted, or stopped with ``keep_container_group``.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from flowyard.job import ExitStatus, Submission

from flowyard_azure.groups import DELETE_WAIT_SECONDS, GroupHandle, error_text, remove
from flowyard_azure.job import AzureContainerInstanceJob

log = logging.getLogger("flowyard.azure")
UNKNOWN_EXIT = -1
READ_RETRIES = (1.0, 2.0, 4.0)


class GroupGone(Exception):
    """The container group no longer exists."""


class GroupWatch:
    """Watches one container group; see the module docstring."""

    def __init__(self, job: AzureContainerInstanceJob, handle: GroupHandle) -> None:
        self.job = job
        self.handle = handle
        self.client = handle.client
        self.last_log_stamp = ""
        self.started = False

    @property
    def where(self) -> str:
        return f"{self.handle.resource_group}/{self.handle.name}"

    def run(self) -> ExitStatus:
        """Watch until the container exits, provisioning fails, or the group disappears."""
        from azure.core.exceptions import HttpResponseError

        deadline = time.monotonic() + self.job.task_start_timeout_seconds
        poll = self.job.task_watch_poll_interval
        poller = self.handle.poller
        if poller is not None:
            try:
                while not poller.done() and time.monotonic() < deadline:
                    poller.wait(timeout=min(poll, max(0.0, deadline - time.monotonic())))
                if poller.done():
                    poller.result()
            except HttpResponseError as exc:
                if exc.status_code == 404:  # the operation's final GET: deleted meanwhile
                    return self._deleted()
                return self._provisioning_failed(error_text(exc))
        while True:
            try:
                group = self._read()
            except GroupGone:
                return self._deleted()
            if group.provisioning_state in ("Failed", "Canceled"):
                return self._provisioning_failed(f"provisioning state {group.provisioning_state}")
            view = self._instance_view(group)
            state = getattr(getattr(view, "current_state", None), "state", None)
            if state in ("Running", "Terminated"):
                self.started = True
            if self.job.stream_output and self.started:
                self._stream()
            if state == "Terminated":
                return self._ended(view.current_state)
            if not self.started and time.monotonic() > deadline:
                return ExitStatus(
                    code=UNKNOWN_EXIT,
                    reason=f"The container of group {self.where} did not start within "
                    f"{self.job.task_start_timeout_seconds} s (task_start_timeout_seconds): "
                    f"{self._describe(view)}",
                )
            time.sleep(poll)

    def _deleted(self) -> ExitStatus:
        return ExitStatus(
            code=UNKNOWN_EXIT,
            reason=f"Container group {self.where} was deleted before its container finished "
            "(cancelled, or deleted outside flowyard).",
        )

    # -- reading --------------------------------------------------------------------------

    def _read(self) -> Any:
        from azure.core.exceptions import (
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        for attempt, pause in enumerate((*READ_RETRIES, None)):
            try:
                return self.client.container_groups.get(
                    self.handle.resource_group, self.handle.name
                )
            except ResourceNotFoundError:
                raise GroupGone from None
            except (HttpResponseError, ServiceRequestError) as exc:
                status = getattr(exc, "status_code", None)
                if pause is None or (status is not None and status < 500 and status != 429):
                    raise
                log.warning(
                    "Reading container group %s failed (%s); retry %d in %.0f s",
                    self.where,
                    error_text(exc),
                    attempt + 1,
                    pause,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _instance_view(self, group: Any) -> Any:
        for container in group.containers or []:
            if container.name == self.handle.container:
                return container.instance_view
        return None

    @staticmethod
    def _describe(view: Any) -> str:
        if view is None:
            return "no instance view yet"
        current = view.current_state
        text = "state " + (
            f"{current.state} ({current.detail_status})"
            if current is not None and current.detail_status
            else str(getattr(current, "state", None))
        )
        events = [f"{e.name}: {e.message}" for e in (view.events or []) if e.type == "Warning"]
        return text + ("; " + "; ".join(events) if events else "")

    def _provisioning_failed(self, why: str) -> ExitStatus:
        detail = ""
        try:
            detail = "; container " + self._describe(self._instance_view(self._read()))
        except GroupGone:  # deleted while being created: a cancellation
            return self._deleted()
        except Exception:  # unreadable: the operation's error is the explanation
            log.debug("Cannot read container group %s", self.where, exc_info=True)
        return ExitStatus(
            code=UNKNOWN_EXIT,
            reason=f"Azure could not create container group {self.where}: {why}{detail}",
        )

    def _ended(self, current: Any) -> ExitStatus:
        code = current.exit_code if current.exit_code is not None else UNKNOWN_EXIT
        if code == 0:
            return ExitStatus(code=0)
        return ExitStatus(
            code=int(code),
            reason=f"Container {self.handle.container} of group {self.where} exited with code "
            f"{code} ({current.detail_status or 'no detail'}).",
        )

    def _stream(self) -> None:
        try:
            logs = self.client.containers.list_logs(
                self.handle.resource_group, self.handle.name, self.handle.container, timestamps=True
            )
        except Exception:  # logs are best effort; the exit code still ends the watch
            return
        newest = self.last_log_stamp
        for line in (logs.content or "").splitlines():
            stamp, _, text = line.partition(" ")
            if stamp <= self.last_log_stamp:
                continue
            newest = max(newest, stamp)
            print(text, file=sys.stderr, flush=True)
        self.last_log_stamp = newest

    def clean_up(self) -> None:
        """Delete (or stop) the group; nothing to do when it is already gone."""
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            remove(
                self.client,
                self.handle.resource_group,
                self.handle.name,
                self.job.keep_container_group,
                DELETE_WAIT_SECONDS,
            )
        except ResourceNotFoundError:
            pass
        except HttpResponseError as exc:
            log.warning("Could not remove container group %s: %s", self.where, error_text(exc))


def observe(job: AzureContainerInstanceJob, submission: Submission[GroupHandle]) -> ExitStatus:
    """Watch the run's group to its end, then delete (or stop) it."""
    from flowyard_azure.groups import reattach

    handle = submission.handle or reattach(submission.infrastructure_id, job).handle
    assert handle is not None
    watch = GroupWatch(job, handle)
    try:
        return watch.run()
    finally:
        watch.clean_up()
