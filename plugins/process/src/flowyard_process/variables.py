"""The process worker type's job variables: the one source of its default base job template."""

from __future__ import annotations

from pathlib import Path

from flowyard.job import BaseVariables
from pydantic import Field


class ProcessVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a process run."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Name given to the process; defaults to the flow run's name.",
    )
    command: str | None = Field(
        default=None,
        title="Command",
        description="Command to run; defaults to the flowyard engine "
        "(`python -m flowyard.engine`) with the worker's interpreter.",
    )
    stream_output: bool = Field(
        default=True,
        title="Stream Output",
        description="Copy the process's stdout/stderr to the worker's output.",
    )
    working_dir: Path | None = Field(
        default=None,
        title="Working Directory",
        description="Directory the process starts in; defaults to a fresh temporary directory.",
    )
