"""Run a flow's function once and describe the outcome as a final state.

Used by the engine (deployed runs) and by calling a flow directly (local runs).
"""

from __future__ import annotations

import asyncio
import inspect
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowyard.flows.context import current_run_id
from flowyard.flows.logs import capture, get_run_logger
from flowyard.flows.parameters import ParameterError, bind
from flowyard.schemas.common import StateType

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient
    from flowyard.schemas.runs import SetStateResult


@dataclass
class Outcome:
    """How a run ended: ``COMPLETED`` with a result or ``FAILED`` with the exception."""

    state: StateType
    message: str
    result: Any = None
    error: BaseException | None = None


def report(client: FlowyardClient, run_id: str, state: StateType, message: str) -> SetStateResult:
    """Propose a final state for a run (no claim id is needed to finish a run); the answer."""
    from flowyard.schemas.runs import SetState

    return client.set_state(run_id, SetState(type=state, message=message))


def describe(exc: BaseException) -> str:
    """One line for a state message: ``ValueError: bad input``."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def execute(
    flow: Any, parameters: dict[str, Any], run_id: str | None, client: FlowyardClient | None
) -> Outcome:
    """Bind parameters, run ``flow.fn`` with logs (and prints) shipped to the API, return the outcome.

    Exceptions from the flow body are caught and returned (``FAILED``); ``BaseException``s that are
    not ``Exception`` (``KeyboardInterrupt``, ``SystemExit``) propagate after the logs are flushed.
    """
    logger = get_run_logger()
    token = current_run_id.set(run_id)
    try:
        with capture(run_id, client, flow.log_prints):
            try:
                kwargs = bind(flow.fn, parameters)
            except ParameterError as exc:
                logger.error("Flow run could not start: %s", exc)
                return Outcome(StateType.FAILED, f"Invalid parameters: {exc}", error=exc)
            logger.info("Running flow %r with parameters %s", flow.name, sorted(kwargs))
            started = time.perf_counter()
            try:
                result = flow.fn(**kwargs)
                if inspect.isawaitable(result):
                    result = asyncio.run(_await(result))
            except Exception as exc:
                logger.error(
                    "Flow run failed: %s\n%s",
                    describe(exc),
                    "".join(traceback.format_exception(exc)),
                )
                return Outcome(StateType.FAILED, describe(exc), error=exc)
            elapsed = time.perf_counter() - started
            logger.info("Finished in state Completed (%.2f s)", elapsed)
            return Outcome(StateType.COMPLETED, f"Completed in {elapsed:.2f} s", result=result)
    finally:
        current_run_id.reset(token)


async def _await(awaitable: Any) -> Any:
    return await awaitable
