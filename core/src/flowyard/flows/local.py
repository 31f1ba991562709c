"""Calling a flow directly: run it in this process, recorded on the server when one answers."""

from __future__ import annotations

import inspect
import logging
import sys
from typing import TYPE_CHECKING, Any

from flowyard.flows.execution import execute, report
from flowyard.flows.parameters import to_json
from flowyard.schemas.common import StateType

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient

log = logging.getLogger(__name__)


def _open_client() -> FlowyardClient | None:
    """A client if a server answers quickly at the configured URL, else None."""
    from flowyard.client import FlowyardClient, ServerUnreachable

    client = FlowyardClient(timeout=10.0)
    try:
        client.health()
    except ServerUnreachable:
        client.close()
        sys.stderr.write(
            f"flowyard: no server at {client.api_url}; running the flow without recording it.\n"
        )
        return None
    return client


def run_locally(flow: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``flow`` with the call's arguments; returns its result or re-raises its exception."""
    parameters = dict(inspect.signature(flow.fn).bind_partial(*args, **kwargs).arguments)
    client = _open_client()
    run_id = None
    if client is not None:
        from flowyard.schemas.runs import LocalFlowRunCreate

        run = client.create_local_flow_run(
            LocalFlowRunCreate(flow_name=flow.name, parameters=to_json(parameters))
        )
        run_id = run.id
    try:
        try:
            outcome = execute(flow, parameters, run_id, client)
        except BaseException:
            if client is not None and run_id is not None:
                report(client, run_id, StateType.CRASHED, "Interrupted before it finished.")
            raise
        if client is not None and run_id is not None:
            report(client, run_id, outcome.state, outcome.message)
    finally:
        if client is not None:
            client.close()
    if outcome.error is not None:
        raise outcome.error
    return outcome.result
