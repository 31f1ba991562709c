"""The docker worker type's default base job template."""

from __future__ import annotations

from typing import Any

FIELDS = (
    "command",
    "env",
    "labels",
    "name",
    "image",
    "image_pull_policy",
    "networks",
    "network_mode",
    "auto_remove",
    "volumes",
    "stream_output",
    "mem_limit",
    "memswap_limit",
    "privileged",
    "container_create_kwargs",
)


def _nullable(kind: str, title: str, description: str) -> dict[str, Any]:
    return {
        "anyOf": [{"type": kind}, {"type": "null"}],
        "default": None,
        "title": title,
        "description": description,
    }


def default_template() -> dict[str, Any]:
    """A fresh copy of the default template (callers may mutate it)."""
    return {
        "job_configuration": {field: "{{ " + field + " }}" for field in FIELDS},
        "variables": {
            "type": "object",
            "properties": {
                "name": _nullable(
                    "string", "Name", "Container name; defaults to the flow run's name."
                ),
                "env": {
                    "type": "object",
                    "title": "Environment Variables",
                    "description": "Environment variables for the container; merged per key "
                    "(pool < deployment < flow run). A null value unsets the variable.",
                    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "labels": {
                    "type": "object",
                    "title": "Labels",
                    "description": "Docker labels on the container; merged per key.",
                    "additionalProperties": {"type": "string"},
                },
                "command": _nullable(
                    "string",
                    "Command",
                    "Command to run; defaults to the flowyard engine (`python -m flowyard.engine`).",
                ),
                "image": {
                    "type": "string",
                    "default": "flowyard-python:3.11",
                    "title": "Image",
                    "description": "Docker image to run the flow run in: built locally "
                    "(`flow.deploy(image=...)`) or pulled from a registry.",
                },
                "image_pull_policy": {
                    "type": "string",
                    "enum": ["IfNotPresent", "Always", "Never"],
                    "default": "IfNotPresent",
                    "title": "Image Pull Policy",
                    "description": "When to pull the image before creating the container.",
                },
                "networks": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "title": "Networks",
                    "description": "Docker networks to connect the container to.",
                },
                "network_mode": _nullable(
                    "string", "Network Mode", "Docker network mode, e.g. 'host' or 'bridge'."
                ),
                "auto_remove": {
                    "type": "boolean",
                    "default": False,
                    "title": "Auto Remove",
                    "description": "Remove the container once it has exited and been observed.",
                },
                "volumes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "default": [],
                    "title": "Volumes",
                    "description": "Volume mounts, e.g. '/host/data:/data:ro'.",
                },
                "stream_output": {
                    "type": "boolean",
                    "default": True,
                    "title": "Stream Output",
                    "description": "Copy the container's output to the worker's output.",
                },
                "mem_limit": _nullable("string", "Memory Limit", "e.g. '512m' or '2g'."),
                "memswap_limit": _nullable(
                    "string",
                    "Memory + Swap Limit",
                    "Total memory plus swap, e.g. '1g'; equal to mem_limit disables swap.",
                ),
                "privileged": {
                    "type": "boolean",
                    "default": False,
                    "title": "Privileged",
                    "description": "Give the container extended privileges.",
                },
                "container_create_kwargs": {
                    "type": "object",
                    "title": "Container Create Arguments",
                    "description": "Extra keyword arguments for the Docker SDK's "
                    'containers.create(), e.g. {"shm_size": "1g"}.',
                },
            },
        },
    }
