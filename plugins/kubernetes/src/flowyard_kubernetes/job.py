"""The rendered kubernetes job: the Job manifest completed for one flow run."""

from __future__ import annotations

import copy
import re
from typing import Any

from flowyard.job import BaseJobConfiguration, FlowRunInfo
from pydantic import Field, field_validator

from flowyard_kubernetes.variables import CONTAINER_NAME, DEFAULT_IMAGE, ClusterConfig

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
API_KEY_ENV = "FLOWYARD_API_KEY"
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")
_LABEL_VALUE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_LABEL_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_PREFIX_CHARS = re.compile(r"[^a-z0-9.-]+")


def job_name_prefix(name: str | None) -> str:
    """A ``generateName``: the name slugged to DNS-1123 (≤45 chars) plus ``-``."""
    slug = _NAME_CHARS.sub("-", (name or "").lower()).strip("-")[:45].strip("-")
    return f"{slug or 'flowyard-job'}-"


def label_value(value: str) -> str:
    """A valid label value: ≤63 of ``[A-Za-z0-9._-]``, starting and ending alphanumeric."""
    return _LABEL_VALUE_CHARS.sub("-", value)[:63].strip("-_.")


def label_key(key: str) -> str:
    """A valid label key; flowyard's own ``flowyard.x`` keys become ``flowyard.io/x``."""
    if key.startswith("flowyard.") and "/" not in key:
        key = "flowyard.io/" + key[len("flowyard.") :]
    prefix, _, name = key.rpartition("/")
    name = _LABEL_NAME_CHARS.sub("-", name)[:63].strip("-_.")
    if prefix:
        prefix = _PREFIX_CHARS.sub("-", prefix.lower())[:253].strip("-.")
        return f"{prefix}/{name}"
    return name


def _env_list(env: Any) -> list[dict[str, Any]]:
    """A container's env as a list, whether the template gave a mapping or a list."""
    if isinstance(env, dict):
        return [{"name": str(k), "value": str(v)} for k, v in env.items() if v is not None]
    if isinstance(env, list):
        return [dict(item) for item in env if isinstance(item, dict) and "name" in item]
    return []


class KubernetesJob(BaseJobConfiguration):
    """A rendered kubernetes job: where to create it, the manifest, and how to watch it."""

    namespace: str = "default"
    job_manifest: dict[str, Any] = Field(default_factory=dict)
    cluster_config: ClusterConfig | None = None
    stream_output: bool = True
    pod_watch_timeout_seconds: int | None = 300
    job_watch_timeout_seconds: int | None = None
    api_key_secret_name: str | None = None
    api_key_secret_key: str = "value"

    @field_validator("namespace", mode="before")
    @classmethod
    def _namespace_given(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "default"
        return value

    @field_validator("cluster_config", mode="before")
    @classmethod
    def _prefect_block_shape(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"context": value}
        return value

    @field_validator("job_manifest")
    @classmethod
    def _is_a_job(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return value
        problems = []
        if value.get("apiVersion") != "batch/v1":
            problems.append(f"apiVersion must be 'batch/v1', not {value.get('apiVersion')!r}")
        if value.get("kind") != "Job":
            problems.append(f"kind must be 'Job', not {value.get('kind')!r}")
        containers = (((value.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers"
        )
        if not isinstance(containers, list) or not containers:
            problems.append("spec.template.spec.containers must list at least one container")
        if problems:
            raise ValueError("job_manifest is not a batch/v1 Job: " + "; ".join(problems))
        return value

    def manifest(self, flow_run: FlowRunInfo) -> dict[str, Any]:
        """The Job to create for ``flow_run``: the template's manifest completed by flowyard.

        Fills in ``generateName`` from the job name, labels (template, then configured, then
        ``flowyard.io/*``, slugged to Kubernetes rules) on the Job and its pod, flowyard's env
        into the first container (a list; ``valueFrom`` entries kept; the API key from a Secret
        when ``api_key_secret_name`` is set), the default image and the engine command as
        ``args``, and drops fields a Job has not got (Prefect's pod-level ``parallelism``).
        """
        manifest = copy.deepcopy(self.job_manifest) or {"apiVersion": "batch/v1", "kind": "Job"}
        metadata = manifest.setdefault("metadata", {})
        metadata["namespace"] = self.namespace
        spec = manifest.setdefault("spec", {})
        template = spec.setdefault("template", {})
        pod_spec = template.setdefault("spec", {})
        pod_spec.setdefault("restartPolicy", "Never")
        containers = pod_spec.setdefault("containers", [{"name": CONTAINER_NAME}])
        for misplaced in ("parallelism", "completions"):
            if misplaced in pod_spec:
                spec.setdefault(misplaced, pod_spec.pop(misplaced))
        generate = str(metadata.get("generateName") or "")
        if not metadata.get("name") and (
            not generate or "{{" in generate or generate in ("-", "None-")
        ):
            metadata["generateName"] = job_name_prefix(self.name or flow_run.name)

        labels: dict[str, str] = {}
        for key, value in {**(metadata.get("labels") or {}), **self.labels}.items():
            slug = label_value(str(value))
            if slug or not str(value):
                labels[label_key(str(key))] = slug
        labels.setdefault("app.kubernetes.io/managed-by", "flowyard")
        metadata["labels"] = labels
        pod_meta = template.setdefault("metadata", {})
        pod_meta["labels"] = {**(pod_meta.get("labels") or {}), **labels}

        container = containers[0]
        container.setdefault("name", CONTAINER_NAME)
        if not container.get("image"):
            container["image"] = DEFAULT_IMAGE
        container["env"] = self._container_env(container.get("env"))
        args = container.get("args")
        if isinstance(args, str):
            args = BaseJobConfiguration(command=args).command_argv()
        if not args and not container.get("command"):
            args = self.command_argv() or list(ENGINE_COMMAND)
        if args:
            container["args"] = [str(a) for a in args]
        resources = container.get("resources")
        if isinstance(resources, dict):
            for part in ("requests", "limits"):
                if not resources.get(part):
                    resources.pop(part, None)
            if not resources:
                container.pop("resources", None)
        return manifest

    def _container_env(self, template_env: Any) -> list[dict[str, Any]]:
        env = {k: v for k, v in self.env.items() if v is not None}
        unset = {k for k, v in self.env.items() if v is None}
        entries: list[dict[str, Any]] = []
        if self.api_key_secret_name:
            env.pop(API_KEY_ENV, None)
            entries.append(
                {
                    "name": API_KEY_ENV,
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": self.api_key_secret_name,
                            "key": self.api_key_secret_key,
                        }
                    },
                }
            )
        entries += [{"name": k, "value": v} for k, v in env.items()]
        taken = {e["name"] for e in entries} | unset
        # template entries (e.g. valueFrom references a platform team hard-coded) come after
        entries += [e for e in _env_list(template_env) if e["name"] not in taken]
        return entries

    def memory_limit(self) -> str | None:
        """The first container's memory limit as written in the manifest (for explanations)."""
        containers = (self.job_manifest.get("spec") or {}).get("template", {}).get("spec", {}).get(
            "containers"
        ) or [{}]
        limits = (containers[0].get("resources") or {}).get("limits") or {}
        value = limits.get("memory")
        return str(value) if value else None
