"""What a claim hands to a worker: each claimed run with its deployment and job template.

A claim is answered inside its own write transaction, so a batch is never committed unanswered.
One run whose answer cannot be built (a stored value that fails validation or JSON
serialisation) is set aside: it becomes FAILED with a message naming the field, and the rest of
the batch is answered. So one bad row never blocks its pool.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, TypeAdapter, ValidationError

from flowyard import limits
from flowyard.schemas.common import StateType
from flowyard.schemas.runs import ClaimedRun, Deployment
from flowyard.server import tables as t
from flowyard.server.services import runs
from flowyard.server.services.deployments import read_deployment
from flowyard.server.services.states import write_state

log = logging.getLogger("flowyard.server.claim")

Claim = tuple[str, str, dt.datetime]
"""(run id, claim id, lease expiry)."""

SET_ASIDE_NAME = "Unclaimable"
"""The state name of a run set aside because its claim answer could not be built."""


def record_pending(conn: sa.Connection, run_ids: list[str], message: str, now: dt.datetime) -> None:
    """Append the PENDING entry of each newly claimed run to its state history."""
    if run_ids:
        conn.execute(
            t.flow_run_state.insert(),
            [
                {
                    "flow_run_id": run_id,
                    "type": StateType.PENDING.value,
                    "name": "Pending",
                    "message": message,
                    "timestamp": now,
                }
                for run_id in run_ids
            ],
        )


class Unanswerable(Exception):
    """A claimed run whose answer cannot be built; ``field`` names the stored value at fault."""

    def __init__(self, field: str, cause: BaseException) -> None:
        self.field = field
        self.cause = cause
        super().__init__(f"{field}: {type(cause).__name__}: {cause}")


def _failing_field(model: BaseModel, prefix: str) -> str:
    """The first field of ``model`` that does not serialise to JSON (its dotted name)."""
    for name in type(model).model_fields:
        try:
            model.model_dump_json(include={name})
        except (ValueError, TypeError, RecursionError):
            return f"{prefix}.{name}"
    return prefix


def _validation_field(exc: ValidationError, prefix: str) -> str:
    errors = exc.errors()
    where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
    return f"{prefix}.{where}" if where else prefix


def _checked(item: ClaimedRun) -> ClaimedRun:
    """``item`` once it is known to serialise; raises :class:`Unanswerable` naming the field."""
    try:
        item.model_dump_json()
    except (ValueError, TypeError, RecursionError) as exc:
        for model, prefix in ((item.flow_run, "flow_run"), (item.deployment, "deployment")):
            if model is not None and (field := _failing_field(model, prefix)) != prefix:
                raise Unanswerable(field, exc) from exc
        raise Unanswerable(_failing_field(item, "claim"), exc) from exc
    return item


def _deployment(
    conn: sa.Connection, deployment_id: str, cache: dict[str, Deployment | Unanswerable]
) -> Deployment:
    if deployment_id not in cache:
        try:
            cache[deployment_id] = read_deployment(conn, deployment_id, as_stored=True)
        except ValidationError as exc:
            cache[deployment_id] = Unanswerable(_validation_field(exc, "deployment"), exc)
        except (ValueError, TypeError, RecursionError) as exc:
            cache[deployment_id] = Unanswerable("deployment", exc)
    found = cache[deployment_id]
    if isinstance(found, Unanswerable):
        raise found
    return found


def _item(
    conn: sa.Connection,
    row: runs.RunRow,
    claim: Claim,
    base_job_template: dict[str, Any],
    cache: dict[str, Deployment | Unanswerable],
    run_token: str | None,
) -> ClaimedRun:
    _, claim_id, lease_expires = claim
    try:
        run = runs.run_model(row, as_stored=True)
    except ValidationError as exc:
        raise Unanswerable(_validation_field(exc, "flow_run"), exc) from exc
    except (ValueError, TypeError, RecursionError) as exc:
        raise Unanswerable("flow_run", exc) from exc
    deployment = _deployment(conn, run.deployment_id, cache) if run.deployment_id else None
    return ClaimedRun(
        flow_run=run,
        claim_id=claim_id,
        lease_expires=lease_expires,
        deployment=deployment,
        base_job_template=base_job_template,
        run_token=run_token,
    )


def set_aside(conn: sa.Connection, row: runs.RunRow, problem: Unanswerable) -> None:
    """Mark a claimed run FAILED (state name ``Unclaimable``) with a message naming the field."""
    message = (
        f"The claim could not hand this run to a worker: its stored field '{problem.field}' "
        f"cannot be sent ({type(problem.cause).__name__}: {problem.cause}). "
        "Fix or recreate the run (or its deployment)."
    )[: limits.MESSAGE_LENGTH]
    log.warning("claim: run %s set aside: %s", row.id, problem)
    write_state(conn, row.stored(), StateType.FAILED, SET_ASIDE_NAME, message)


_RUNS = TypeAdapter(list[ClaimedRun])


@dataclass(frozen=True)
class Answered:
    """A claim's answered runs and the JSON array they serialise to (serialised once)."""

    runs: list[ClaimedRun]
    json: bytes


def answered_runs(
    conn: sa.Connection,
    claims: list[Claim],
    base_job_template: dict[str, Any],
    *,
    preview: bool = False,
    run_token: Callable[[str], str] | None = None,
) -> Answered:
    """The response items for ``claims`` (deployments read once each), in claim order, with
    their JSON.

    Call it in the claim's write transaction: a run whose item cannot be built or serialised is
    set aside (:func:`set_aside`) and left out, so the rest of the batch is still answered.
    A ``preview`` (read-only) only leaves such a run out. The batch is serialised once; only
    when that fails is each item checked on its own to find the runs at fault.

    :param run_token: issues the run token of a run id (``None``: items carry no token).
    """
    if not claims:
        return Answered([], b"[]")
    by_id = {r.id: r for r in runs.read_run_rows(conn, [c[0] for c in claims])}
    cache: dict[str, Deployment | Unanswerable] = {}
    built: list[tuple[runs.RunRow, ClaimedRun]] = []
    for claim in claims:
        row = by_id[claim[0]]
        try:
            token = run_token(row.id) if run_token is not None else None
            built.append((row, _item(conn, row, claim, base_job_template, cache, token)))
        except Unanswerable as problem:
            if not preview:
                set_aside(conn, row, problem)
    items = [item for _, item in built]
    try:
        return Answered(items, _RUNS.dump_json(items))
    except (ValueError, TypeError, RecursionError):
        pass
    kept = []
    for row, item in built:
        try:
            kept.append(_checked(item))
        except Unanswerable as problem:
            if not preview:
                set_aside(conn, row, problem)
    return Answered(kept, _RUNS.dump_json(kept))


def claimed_runs(
    conn: sa.Connection,
    claims: list[Claim],
    base_job_template: dict[str, Any],
    *,
    preview: bool = False,
) -> list[ClaimedRun]:
    """The response items for ``claims``: :func:`answered_runs` without the JSON."""
    return answered_runs(conn, claims, base_job_template, preview=preview).runs


def claim_answer_json(answered: Answered, cancelling: list[str], lost: list[str]) -> bytes:
    """The claim response's JSON (what ``ClaimResponse.model_dump_json()`` gives) around the
    already serialised runs, so a claimed batch is serialised once."""

    def ids(values: list[str]) -> bytes:
        return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()

    return (
        b'{"runs":'
        + answered.json
        + b',"cancelling":'
        + ids(cancelling)
        + b',"lost":'
        + ids(lost)
        + b"}"
    )
