"""The process worker type's default base job template."""

from __future__ import annotations

from typing import Any

FIELDS = ("command", "env", "labels", "name", "stream_output", "working_dir")


def default_template() -> dict[str, Any]:
    """A fresh copy of the default template (callers may mutate it)."""
    return {
        "job_configuration": {field: "{{ " + field + " }}" for field in FIELDS},
        "variables": {
            "type": "object",
            "properties": {
                "name": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "title": "Name",
                    "description": "Name given to the process; defaults to the flow run's name.",
                },
                "env": {
                    "type": "object",
                    "title": "Environment Variables",
                    "description": "Environment variables for the process; merged per key "
                    "(pool < deployment < flow run). A null value unsets the variable.",
                    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "labels": {
                    "type": "object",
                    "title": "Labels",
                    "description": "Labels recorded on the flow run; merged per key.",
                    "additionalProperties": {"type": "string"},
                },
                "command": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None,
                    "title": "Command",
                    "description": "Command to run; defaults to the flowyard engine "
                    "(`python -m flowyard.engine`) with the worker's interpreter.",
                },
                "stream_output": {
                    "type": "boolean",
                    "default": True,
                    "title": "Stream Output",
                    "description": "Copy the process's stdout/stderr to the worker's output.",
                },
                "working_dir": {
                    "anyOf": [{"type": "string", "format": "path"}, {"type": "null"}],
                    "default": None,
                    "title": "Working Directory",
                    "description": "Directory the process starts in; defaults to a fresh "
                    "temporary directory.",
                },
            },
        },
    }
