"""The process worker type's typed job spec (what ``render`` returns)."""

from __future__ import annotations

import sys
from pathlib import Path

from flowyard.job import BaseJobConfiguration
from pydantic import Field


class ProcessJob(BaseJobConfiguration):
    """A rendered process job: what to run, where, with which environment."""

    stream_output: bool = True
    working_dir: Path | None = None
    argv: list[str] = Field(default_factory=list, description="The command split into arguments.")

    @classmethod
    def default_command(cls) -> list[str]:
        """The flowyard engine, run by the worker's own interpreter."""
        return [sys.executable, "-m", "flowyard.engine"]
