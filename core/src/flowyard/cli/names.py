"""Find what a user named: runs by id, unique id prefix or name; deployments by either spelling.

``flow-run ls`` shows ids truncated and runs by name, so every run command takes any of those.
A deployment's flow name is stored with dashes (``get-repo-info``); ``get_repo_info/dev`` (the
function's name) finds it too, and an unknown name gets the closest known ones as suggestions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flowyard.cli.output import fail

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient
    from flowyard.client.plain import PlainClient
    from flowyard.schemas.runs import Deployment, FlowRun, FlowRunFilter

T = TypeVar("T")


def _found(operation: Callable[[FlowyardClient], T]) -> T | None:
    """``operation``'s answer, None when what it reads does not exist; other errors exit as
    :func:`flowyard.cli.api.call` does."""
    from flowyard.cli.api import call
    from flowyard.client import NotFoundError

    def attempt(api: FlowyardClient) -> T | None:
        try:
            return operation(api)
        except NotFoundError:
            return None

    return call(attempt)


def _matching(query: FlowRunFilter) -> list[FlowRun]:
    from flowyard.cli.api import call

    return call(lambda api: api.list_flow_runs(query))


def resolve_run(ref: str) -> str:
    """The id of the run ``ref`` names: its id, a unique prefix of its id, or its name."""
    from flowyard.schemas.runs import FlowRunFilter

    if _found(lambda api: api.read_flow_run(ref)) is not None:
        return ref
    for query in (FlowRunFilter(id_prefix=ref, limit=5), FlowRunFilter(name=ref, limit=5)):
        runs = _matching(query)
        if len(runs) == 1:
            return runs[0].id
        if len(runs) > 1:
            choices = ", ".join(f"{r.name} ({r.id})" for r in runs)
            fail(f"{ref!r} matches more than one flow run: {choices}. Give more of the id.")
    fail(
        f"Flow run {ref!r} not found: give its id, a unique start of its id, or its name "
        "(`flowyard flow-run ls` lists them)."
    )


def flow_name_spellings(flow_name: str) -> list[str]:
    """``get_repo_info`` → ``["get_repo_info", "get-repo-info"]`` (how flows are stored)."""
    dashed = flow_name.replace("_", "-")
    return [flow_name] if dashed == flow_name else [flow_name, dashed]


def resolve_deployment(name: str) -> Deployment:
    """A deployment by ``flow/deployment``, the flow named with dashes or underscores."""
    from flowyard.schemas.runs import Deployment

    return Deployment.model_validate(find_deployment(name))


def deployment_id(name: str) -> str:
    """The id of the deployment ``flow/deployment`` names (see :func:`find_deployment`)."""
    found: str = find_deployment(name)["id"]
    return found


def find_deployment(name: str) -> dict[str, Any]:
    """A deployment by ``flow/deployment`` as the API's JSON, the flow named with dashes or
    underscores; an unknown name exits 1 with the closest known names as suggestions.

    Plain JSON (:func:`flowyard.cli.api.plain`): commands that only need its id or print it do not
    import the typed client and its models.
    """
    from urllib.parse import quote

    from flowyard.cli.api import plain
    from flowyard.client.errors import NotFoundError

    flow_name, sep, deployment = name.partition("/")
    if not sep or not flow_name or not deployment:
        fail(f"Deployment {name!r} must be given as 'flow-name/deployment-name'.")

    def lookup(api: PlainClient) -> dict[str, Any] | None:
        for spelling in flow_name_spellings(flow_name):
            path = f"/deployments/name/{quote(spelling, safe='')}/{quote(deployment, safe='')}"
            try:
                found: dict[str, Any] = api.get(path)
            except NotFoundError:
                continue
            return found
        return None

    result = plain(lookup)
    if result is not None:
        return result
    import difflib

    listed: list[dict[str, Any]] = plain(lambda api: api.get("/deployments"))
    known = [f"{d['flow_name']}/{d['name']}" for d in listed]
    close = difflib.get_close_matches(name.replace("_", "-"), known, n=3, cutoff=0.5)
    hint = (
        f" Did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else " `flowyard deployment ls` lists them."
    )
    fail(f"Deployment {name!r} not found.{hint}")
