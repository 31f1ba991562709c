"""What a worker hands its run's engine, and what the engine hands back, without the server.

The worker has the run and its deployment from the claim answer, so the engine need not read
them again; and the engine knows when the server accepted its final state, so the worker need not
read the run after the process exits to tell a finished run from a crashed one. Two environment
variables carry this, for types that start the engine on the worker's machine (``process``; a
container's environment is visible in its spec and bounded, so container types pass neither):

- :data:`HANDOFF_ENV` (``FLOWYARD_ENGINE_HANDOFF``): JSON with the run's id, deployment id and
  parameters and the deployment's entrypoint and path (:func:`encode`, from the claim). The
  engine then skips ``GET /flow_runs/{id}`` and ``GET /deployments/{id}``. Left out when it would
  be larger than :data:`MAX_HANDOFF_CHARS` (an environment string has a size limit); the engine
  reads both from the API then, as it does when the variable is missing, malformed or names
  another run.
- :data:`RESULT_ENV` (``FLOWYARD_ENGINE_RESULT_FILE``): a file the worker created; the engine
  writes into it the final state the server accepted (:func:`write_result`), and the worker reads
  it once the process has exited (:func:`read_result`). An empty or missing file means "not
  known": the worker reads the run, as before.
- :data:`INFRASTRUCTURE_ID_ENV` (``FLOWYARD_INFRASTRUCTURE_ID``): the run's infrastructure id,
  when the type can give it to the process it started (the warm engine's fork server sets
  ``<host>:<pid>`` in its child). The engine sends it with its RUNNING proposal, and the worker
  does not report it separately (``Submission.reported_by_engine``).

- :data:`SCRATCH_DIR_ENV` (``FLOWYARD_RUN_SCRATCH_DIR``): the temporary working directory the
  worker made for the run (no ``working_dir`` set). The engine removes it when it ends
  (:func:`remove_scratch_dir`), so it does not outlive a worker that died meanwhile (SIGKILL, a
  second SIGTERM); the worker removes it too when it sees the exit.

The engine removes these from its environment before the flow runs, so the flow (and anything
it starts) does not see them. Importing this module is cheap (no pydantic, no client).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowyard.schemas.runs import ClaimedRun

HANDOFF_ENV = "FLOWYARD_ENGINE_HANDOFF"
RESULT_ENV = "FLOWYARD_ENGINE_RESULT_FILE"
INFRASTRUCTURE_ID_ENV = "FLOWYARD_INFRASTRUCTURE_ID"
SCRATCH_DIR_ENV = "FLOWYARD_RUN_SCRATCH_DIR"
SCRATCH_PREFIX = "flowyard-"
"""A run's scratch directory is ``<temp dir>/flowyard-<run name>-<random>``."""
MAX_HANDOFF_CHARS = 64 * 1024
"""Largest handoff passed (Linux refuses a single environment string over 128 KiB)."""
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass(frozen=True)
class Handoff:
    """What the engine needs of its run and deployment to start the flow."""

    flow_run_id: str
    deployment_id: str
    parameters: dict[str, Any]
    entrypoint: str | None
    path: str | None


def encode(claimed: ClaimedRun) -> str | None:
    """The handoff of a claimed run as JSON; None without a deployment or when too large."""
    run, deployment = claimed.flow_run, claimed.deployment
    if deployment is None or run.deployment_id != deployment.id:
        return None
    try:
        text = json.dumps(
            {
                "flow_run_id": run.id,
                "deployment_id": deployment.id,
                "parameters": run.parameters,
                "entrypoint": deployment.entrypoint,
                "path": deployment.path,
            },
            separators=(",", ":"),
        )
    except (TypeError, ValueError):
        return None
    return text if len(text) <= MAX_HANDOFF_CHARS else None


def take(flow_run_id: str) -> Handoff | None:
    """Remove :data:`HANDOFF_ENV` from the environment; its handoff if it is for this run."""
    text = os.environ.pop(HANDOFF_ENV, None)
    if not text:
        return None
    try:
        data = json.loads(text)
        handoff = Handoff(
            flow_run_id=data["flow_run_id"],
            deployment_id=data["deployment_id"],
            parameters=data["parameters"],
            entrypoint=data["entrypoint"],
            path=data["path"],
        )
    except (ValueError, KeyError, TypeError):
        return None
    valid = (
        handoff.flow_run_id == flow_run_id
        and isinstance(handoff.deployment_id, str)
        and isinstance(handoff.parameters, dict)
        and isinstance(handoff.entrypoint, str | None)
        and isinstance(handoff.path, str | None)
    )
    return handoff if valid else None


def take_infrastructure_id() -> str | None:
    """Remove :data:`INFRASTRUCTURE_ID_ENV` from the environment; the id it holds (None: none)."""
    return os.environ.pop(INFRASTRUCTURE_ID_ENV, None) or None


def take_result_file() -> str | None:
    """Remove :data:`RESULT_ENV` from the environment; the file it names (None: none)."""
    return os.environ.pop(RESULT_ENV, None) or None


def write_result(path: str | None, state_type: str) -> None:
    """Record the final state the server accepted (best effort: the worker then reads the run)."""
    if path is None or state_type not in FINAL_STATES:
        return
    try:
        with open(path, "w", encoding="ascii") as file:
            file.write(state_type)
    except OSError:
        pass


def read_result(path: str) -> str | None:
    """The final state the engine recorded in ``path`` (None: none, unreadable or not final)."""
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            text = file.read(32).strip()
    except OSError:
        return None
    return text if text in FINAL_STATES else None


def take_scratch_dir() -> str | None:
    """Remove :data:`SCRATCH_DIR_ENV` from the environment; the directory it names (None: none)."""
    return os.environ.pop(SCRATCH_DIR_ENV, None) or None


def remove_scratch_dir(path: str | None) -> None:
    """Remove the run's scratch directory: only a ``flowyard-*`` directory directly in the temp
    directory, so a variable set by hand can never name anything else."""
    if not path:
        return
    import shutil
    import tempfile

    real = os.path.realpath(path)
    in_temp = os.path.dirname(real) == os.path.realpath(tempfile.gettempdir())
    if in_temp and os.path.basename(real).startswith(SCRATCH_PREFIX):
        shutil.rmtree(real, ignore_errors=True)
