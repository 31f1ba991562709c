"""Watch a flow-run Job's pod to its end and explain how it ended.

One list-then-watch loop on the Job's pods (``job-name=<job>``), resumed from the last seen
resourceVersion after a dropped connection and re-listed after ``410 Gone``. Every pass of the
watch is bounded, so the deadlines are checked at least every :data:`PASS_SECONDS`:

- ``pod_watch_timeout_seconds``: no pod started by then → the Job is deleted and the run ends
  CRASHED with the reason (an image that cannot be pulled is named, with the kubelet's message).
- ``job_watch_timeout_seconds``: stop watching a running Job; the run reports its own end.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flowyard.job import ExitStatus, Submission

from flowyard_kubernetes.job import KubernetesJob
from flowyard_kubernetes.jobs import JobHandle, api_message

log = logging.getLogger("flowyard.kubernetes")
PASS_SECONDS = 30
IMAGE_PULL_REASONS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
CONFIG_REASONS = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
UNKNOWN_EXIT = -1


@dataclass
class _Progress:
    """What the watch has seen so far."""

    started: bool = False
    phases: dict[str, str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    waiting: tuple[str, str, str] | None = None  # (reason, message, image)
    streamed: set[str] = field(default_factory=set)
    log_threads: list[threading.Thread] = field(default_factory=list)


class PodWatch:
    """Follows one Job's pods until the Job succeeds, fails for good, or disappears."""

    def __init__(self, job: KubernetesJob, handle: JobHandle) -> None:
        from kubernetes import client

        self.job = job
        self.handle = handle
        self.core = client.CoreV1Api(handle.api)
        self.batch = client.BatchV1Api(handle.api)
        self.selector = f"job-name={handle.name}"
        self.progress = _Progress()

    @property
    def where(self) -> str:
        return f"{self.handle.namespace}/{self.handle.name}"

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> ExitStatus | None:
        """Watch until the end; see the module docstring."""
        from kubernetes import watch
        from kubernetes.client.rest import ApiException
        from urllib3.exceptions import HTTPError

        began = time.monotonic()
        pod_deadline = (
            began + self.job.pod_watch_timeout_seconds
            if self.job.pod_watch_timeout_seconds
            else None
        )
        job_deadline = (
            began + self.job.job_watch_timeout_seconds
            if self.job.job_watch_timeout_seconds
            else None
        )
        version: str | None = None
        while True:
            try:
                if version is None:
                    listed = self.core.list_namespaced_pod(
                        self.handle.namespace, label_selector=self.selector
                    )
                    version = listed.metadata.resource_version
                    for pod in listed.items:
                        ended = self._on_pod(pod)
                        if ended is not None:
                            return self._finish(ended)
                    if not listed.items:
                        gone = self._job_gone()
                        if gone is not None:
                            return self._finish(gone)
                seconds = self._pass_seconds(pod_deadline, job_deadline)
                stream = watch.Watch()
                for event in stream.stream(
                    self.core.list_namespaced_pod,
                    self.handle.namespace,
                    label_selector=self.selector,
                    resource_version=version,
                    timeout_seconds=seconds,
                ):
                    pod = event["object"]
                    version = pod.metadata.resource_version or version
                    ended = self._job_gone() if event["type"] == "DELETED" else self._on_pod(pod)
                    if ended is None and pod.metadata.deletion_timestamp:
                        ended = self._job_gone()  # a pod being deleted: was its Job deleted too?
                    if ended is not None:
                        stream.stop()
                        return self._finish(ended)
            except ApiException as exc:
                if exc.status == 410:
                    log.info("Pod watch of %s expired (410 Gone); listing again", self.where)
                    version = None
                    continue
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise RuntimeError(
                        f"Cannot watch the pods of Kubernetes Job {self.where}: {exc.status} "
                        f"{api_message(exc)} (the worker needs list and watch on pods)"
                    ) from None
                log.warning("Pod watch of %s failed (%s); retrying", self.where, exc.status)
                time.sleep(1)
            except (HTTPError, OSError) as exc:  # the watch connection dropped
                log.info(
                    "Pod watch of %s dropped (%s); resuming from resourceVersion %s",
                    self.where,
                    exc.__class__.__name__,
                    version,
                )
                time.sleep(0.2)
            now = time.monotonic()
            if not self.progress.started and pod_deadline is not None and now >= pod_deadline:
                return self._finish(self._never_started())
            if job_deadline is not None and now >= job_deadline:
                log.warning(
                    "Stopped watching Kubernetes Job %s after job_watch_timeout_seconds=%s; "
                    "the flow run reports its own final state.",
                    self.where,
                    self.job.job_watch_timeout_seconds,
                )
                return None
            gone = self._job_gone()
            if gone is not None:
                return self._finish(gone)

    def _pass_seconds(self, pod_deadline: float | None, job_deadline: float | None) -> int:
        remaining = [float(PASS_SECONDS)]
        now = time.monotonic()
        if pod_deadline is not None and not self.progress.started:
            remaining.append(pod_deadline - now)
        if job_deadline is not None:
            remaining.append(job_deadline - now)
        return max(1, int(min(remaining) + 0.999))

    # -- one pod --------------------------------------------------------------------------

    def _on_pod(self, pod: Any) -> ExitStatus | None:
        name = pod.metadata.name
        phase = pod.status.phase or "Unknown"
        statuses = pod.status.container_statuses or []
        state = statuses[0].state if statuses else None
        if self.progress.phases.get(name) != phase:
            self.progress.phases[name] = phase
            log.info("Pod %s of Job %s: %s", name, self.where, phase)
        if state is not None and state.waiting is not None and state.waiting.reason:
            image = pod.spec.containers[0].image if pod.spec and pod.spec.containers else ""
            waiting = (state.waiting.reason, state.waiting.message or "", image or "")
            if waiting[:2] != (self.progress.waiting or ("", "", ""))[:2]:
                log.info("Pod %s is waiting: %s %s", name, waiting[0], waiting[1])
            self.progress.waiting = waiting
        if phase in ("Running", "Succeeded", "Failed") or (state and state.running):
            if not self.progress.started:
                self.progress.started = True
            self._stream_logs(name)
        if phase == "Succeeded":
            return ExitStatus(code=0)
        if phase == "Failed":
            if name in self.progress.failed:
                return None
            self.progress.failed.add(name)
            code, reason = self._explain_failure(pod, state)
            attempts = self.handle.backoff_limit + 1
            if len(self.progress.failed) < attempts:
                log.warning(
                    "%s Kubernetes retries it (attempt %d of %d).",
                    reason,
                    len(self.progress.failed),
                    attempts,
                )
                return None
            if attempts > 1:
                reason += (
                    f" The Job failed after {attempts} attempts (BackoffLimitExceeded, "
                    f"backoff_limit={self.handle.backoff_limit})."
                )
            return ExitStatus(code=code, reason=reason)
        return None

    def _explain_failure(self, pod: Any, state: Any) -> tuple[int, str]:
        name = pod.metadata.name
        if (pod.status.reason or "") == "Evicted":
            message = (pod.status.message or "no message").rstrip(".")
            return UNKNOWN_EXIT, f"Pod {name} was evicted: {message}."
        terminated = state.terminated if state is not None else None
        if terminated is None:
            return (
                UNKNOWN_EXIT,
                f"Pod {name} failed without a container exit ({pod.status.message or 'no message'}).",
            )
        code = terminated.exit_code if terminated.exit_code is not None else UNKNOWN_EXIT
        reason = terminated.reason or ""
        if reason == "OOMKilled":
            limit = self.job.memory_limit()
            where = f" of {limit}" if limit else ""
            return code, (
                f"The container was OOMKilled: it exceeded its memory limit{where} "
                f"(exit code {code}). Raise the memory_limit variable."
            )
        if reason == "Evicted":
            message = (terminated.message or "no message").rstrip(".")
            return code, f"Pod {name} was evicted: {message}."
        detail = f" ({reason}: {terminated.message})" if terminated.message else ""
        if code == 137:
            return code, f"The container was killed (SIGKILL, exit code 137){detail}."
        if code == 143:
            return code, f"The container was terminated (SIGTERM, exit code 143){detail}."
        return code, f"The container exited with code {code}{detail}."

    # -- endings --------------------------------------------------------------------------

    def _job_gone(self) -> ExitStatus | None:
        from kubernetes.client.rest import ApiException

        try:
            current = self.batch.read_namespaced_job(self.handle.name, self.handle.namespace)
        except ApiException as exc:
            if exc.status != 404:
                return None
            return ExitStatus(
                code=UNKNOWN_EXIT,
                reason=f"The Kubernetes Job {self.where} was deleted before its pod finished.",
            )
        if current.metadata.uid != self.handle.uid or current.metadata.deletion_timestamp:
            return ExitStatus(
                code=UNKNOWN_EXIT,
                reason=f"The Kubernetes Job {self.where} was deleted before its pod finished.",
            )
        for condition in current.status.conditions or []:
            if (
                condition.type == "Failed"
                and condition.status == "True"
                and not self.progress.failed
            ):
                return ExitStatus(
                    code=UNKNOWN_EXIT,
                    reason=f"The Kubernetes Job {self.where} failed: {condition.reason}: "
                    f"{condition.message}.",
                )
        return None

    def _events(self) -> list[str]:
        try:
            events = self.core.list_namespaced_event(self.handle.namespace).items
        except Exception:
            return []
        prefix = self.handle.name
        return [
            f"{e.reason}: {e.message}"
            for e in events
            if (e.involved_object.name or "").startswith(prefix) and e.type == "Warning"
        ][-3:]

    def _never_started(self) -> ExitStatus:
        seconds = self.job.pod_watch_timeout_seconds
        waiting = self.progress.waiting
        if waiting is not None and waiting[0] in IMAGE_PULL_REASONS:
            reason, message, image = waiting
            text = (
                f"The image {image!r} could not be pulled ({reason}: {message or 'no message'}) "
                f"within pod_watch_timeout_seconds={seconds}. Check the image name and tag, the "
                "registry credentials (imagePullSecrets) and image_pull_policy."
            )
        elif waiting is not None and waiting[0] in CONFIG_REASONS:
            text = (
                f"The container could not be created ({waiting[0]}: {waiting[1]}) within "
                f"pod_watch_timeout_seconds={seconds}; check the env, Secrets and ConfigMaps it uses."
            )
        else:
            last = f"last state: {waiting[0]} {waiting[1]}".strip() if waiting else "no pod status"
            events = "; ".join(self._events()) or "no warning events"
            text = (
                f"The pod did not start within pod_watch_timeout_seconds={seconds} ({last}; "
                f"{events}). Raise pod_watch_timeout_seconds if the cluster is slow to schedule."
            )
        self._delete_job()
        return ExitStatus(code=UNKNOWN_EXIT, reason=f"{text} The Job {self.where} was deleted.")

    def _delete_job(self) -> None:
        from kubernetes.client.rest import ApiException

        try:
            self.batch.delete_namespaced_job(
                self.handle.name, self.handle.namespace, propagation_policy="Foreground"
            )
        except ApiException as exc:
            if exc.status != 404:
                log.warning("Could not delete Kubernetes Job %s: %s", self.where, api_message(exc))

    def _finish(self, status: ExitStatus) -> ExitStatus:
        for thread in self.progress.log_threads:
            thread.join(timeout=5)
        if status.code != 0:
            log.warning("Kubernetes Job %s ended: %s", self.where, status.reason)
        return status

    # -- logs -----------------------------------------------------------------------------

    def _stream_logs(self, pod_name: str) -> None:
        if not self.job.stream_output or pod_name in self.progress.streamed:
            return
        self.progress.streamed.add(pod_name)
        thread = threading.Thread(
            target=self._copy_logs, args=(pod_name,), daemon=True, name=f"k8s-logs-{pod_name}"
        )
        thread.start()
        self.progress.log_threads.append(thread)

    def _copy_logs(self, pod_name: str) -> None:
        try:
            response = self.core.read_namespaced_pod_log(
                pod_name, self.handle.namespace, follow=True, _preload_content=False
            )
            for chunk in response.stream(4096):
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
        except Exception as exc:  # the pod went away mid-stream: nothing more to copy
            log.debug("Log stream of pod %s ended: %s", pod_name, exc)


def observe(job: KubernetesJob, submission: Submission[JobHandle]) -> ExitStatus | None:
    """Watch the submitted Job's pod to its end (see :class:`PodWatch`)."""
    if submission.handle is None:
        return None
    return PodWatch(job, submission.handle).run()
