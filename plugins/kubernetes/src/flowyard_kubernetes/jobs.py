"""Create and delete flow-run Jobs through the official client."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from flowyard.errors import InfrastructureNotFound
from flowyard.job import FlowRunInfo, Submission

from flowyard_kubernetes.connection import api_client
from flowyard_kubernetes.job import KubernetesJob

log = logging.getLogger("flowyard.kubernetes")
CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class JobHandle:
    """What ``observe`` needs in-process: the client, the Job's namespace, name and uid."""

    api: Any
    namespace: str
    name: str
    uid: str
    backoff_limit: int


def parse_id(infrastructure_id: str) -> tuple[str, str]:
    """``namespace:job`` → ``(namespace, job)``.

    :raises ValueError: anything else, naming the expected shape.
    """
    namespace, sep, name = infrastructure_id.partition(":")
    if not sep or not namespace or not name or ":" in name:
        raise ValueError(
            f"infrastructure id {infrastructure_id!r} is not a kubernetes one ('namespace:job')"
        )
    return namespace, name


def api_message(exc: Any) -> str:
    """The ``message`` of a Kubernetes ``Status`` body, else the HTTP reason."""
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        body = {}
    return str(body.get("message") or exc.reason or exc)


def _create_error(exc: Any, namespace: str) -> RuntimeError:
    message = api_message(exc)
    hint = ""
    if exc.status == 403:
        hint = (
            f" Hint: the worker's identity needs the 'create' verb on jobs.batch in namespace "
            f"{namespace!r} (see the flowyard-kubernetes README for a minimal Role)."
        )
    elif exc.status == 404:
        hint = f" Hint: does namespace {namespace!r} exist? Set the 'namespace' variable."
    elif "quota" in message.lower() or "exceeded" in message.lower():
        hint = " Hint: a ResourceQuota is exhausted; lower cpu/memory requests or raise the quota."
    elif exc.status in (400, 422):
        hint = " Hint: the pool's job_manifest produced an invalid Job; fix the base job template."
    return RuntimeError(f"Unable to create the Kubernetes Job: {exc.status} {message}.{hint}")


def _created_before(batch: Any, namespace: str, run_label: str | None) -> Any:
    """The Job an earlier attempt created when only its response was lost (None if none)."""
    if not run_label:
        return None
    found = batch.list_namespaced_job(
        namespace, label_selector=f"flowyard.io/flow-run-id={run_label}"
    ).items
    return found[0] if found else None


def create(job: KubernetesJob, flow_run: FlowRunInfo) -> Submission[JobHandle]:
    """Create the Job; id ``namespace:job``.

    Server errors and dropped connections are retried; before a retry, a Job already labelled
    with this flow run (its create succeeded but the answer was lost) is adopted instead of
    creating a second one.
    """
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError

    api = api_client(job.cluster_config)
    manifest = job.manifest(flow_run)
    batch = client.BatchV1Api(api)
    run_label = manifest["metadata"]["labels"].get("flowyard.io/flow-run-id")
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            existing = _created_before(batch, job.namespace, run_label) if attempt > 1 else None
            created = existing or batch.create_namespaced_job(job.namespace, manifest)
            break
        except ApiException as exc:
            if exc.status is not None and exc.status < 500 and exc.status != 429:
                raise _create_error(exc, job.namespace) from None
            if attempt == CREATE_ATTEMPTS:
                raise _create_error(exc, job.namespace) from None
        except (HTTPError, OSError) as exc:  # the API server was unreachable
            if attempt == CREATE_ATTEMPTS:
                raise RuntimeError(
                    f"Unable to reach the Kubernetes API server at {api.configuration.host}: {exc}"
                ) from None
        time.sleep(0.5 + random.random())
    name = created.metadata.name
    log.info("Created Kubernetes Job %s/%s for flow run %s", job.namespace, name, flow_run.id)
    return Submission(
        infrastructure_id=f"{job.namespace}:{name}",
        handle=JobHandle(
            api=api,
            namespace=job.namespace,
            name=name,
            uid=created.metadata.uid,
            backoff_limit=int(created.spec.backoff_limit or 0),
        ),
        details={"namespace": job.namespace, "job_name": name},
    )


def delete(infrastructure_id: str, job: KubernetesJob, grace_seconds: float) -> None:
    """Delete the Job with Foreground propagation and wait (bounded) for its pods to go.

    :raises InfrastructureNotFound: the Job does not exist (any more).
    """
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    namespace, name = parse_id(infrastructure_id)
    api = api_client(job.cluster_config)
    grace = max(0, int(grace_seconds))
    try:
        client.BatchV1Api(api).delete_namespaced_job(
            name, namespace, grace_period_seconds=grace, propagation_policy="Foreground"
        )
    except ApiException as exc:
        if exc.status == 404:
            raise InfrastructureNotFound(
                f"Kubernetes Job {namespace}/{name} no longer exists."
            ) from None
        raise RuntimeError(
            f"Cannot delete Kubernetes Job {namespace}/{name}: {exc.status} {api_message(exc)}"
        ) from None
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + grace + 30
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
        if not pods:
            log.info("Deleted Kubernetes Job %s/%s and its pod", namespace, name)
            return
        time.sleep(0.25)
    log.warning(
        "Kubernetes Job %s/%s was deleted but its pod is still terminating", namespace, name
    )


def reattach(infrastructure_id: str, job: KubernetesJob) -> Submission[JobHandle]:
    """Rebuild the submission of an existing Job from its id alone (e.g. in a restarted worker).

    ``observe`` accepts the result like a fresh submission, so any worker of this type can watch
    a Job another worker created.

    :raises InfrastructureNotFound: the Job does not exist (any more).
    """
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    namespace, name = parse_id(infrastructure_id)
    api = api_client(job.cluster_config)
    try:
        found = client.BatchV1Api(api).read_namespaced_job(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise InfrastructureNotFound(
                f"Kubernetes Job {namespace}/{name} no longer exists."
            ) from None
        raise
    return Submission(
        infrastructure_id=infrastructure_id,
        handle=JobHandle(
            api=api,
            namespace=namespace,
            name=name,
            uid=found.metadata.uid,
            backoff_limit=int(found.spec.backoff_limit or 0),
        ),
        details={"namespace": namespace, "job_name": name},
    )
