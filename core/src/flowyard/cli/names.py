"""Find what a user named: runs by id, unique id prefix or name; deployments by either spelling.

``flow-run ls`` shows ids truncated and runs by name, so every run command takes any of those.
A deployment's flow name is stored with dashes (``get-repo-info``); ``get_repo_info/dev`` (the
function's name) finds it too, and an unknown name gets the closest known ones as suggestions.
"""

from __future__ import annotations

from typing import Any

from flowyard.cli.output import fail


def _request(method: str, path: str, **kwargs: Any) -> Any:
    """One request; a 404 returns None, other errors exit as :func:`flowyard.cli.api.call` does."""
    from flowyard.cli.api import call
    from flowyard.client import FlowyardClient, NotFoundError, ServerUnreachable

    try:
        with FlowyardClient() as client:
            return client.request(method, path, **kwargs)
    except NotFoundError:
        return None
    except ServerUnreachable:
        return call(method, path, **kwargs)  # exits 3 with the reason


def resolve_run(ref: str) -> str:
    """The id of the run ``ref`` names: its id, a unique prefix of its id, or its name."""
    from flowyard.cli.api import call

    if _request("GET", f"/flow_runs/{ref}") is not None:
        return ref
    for field in ("id_prefix", "name"):
        runs = call("POST", "/flow_runs/filter", json={field: ref, "limit": 5})
        if len(runs) == 1:
            return str(runs[0]["id"])
        if len(runs) > 1:
            choices = ", ".join(f"{r['name']} ({r['id']})" for r in runs)
            fail(f"{ref!r} matches more than one flow run: {choices}. Give more of the id.")
    fail(
        f"Flow run {ref!r} not found: give its id, a unique start of its id, or its name "
        "(`flowyard flow-run ls` lists them)."
    )


def flow_name_spellings(flow_name: str) -> list[str]:
    """``get_repo_info`` → ``["get_repo_info", "get-repo-info"]`` (how flows are stored)."""
    dashed = flow_name.replace("_", "-")
    return [flow_name] if dashed == flow_name else [flow_name, dashed]


def resolve_deployment(name: str) -> dict[str, Any]:
    """A deployment by ``flow/deployment``, the flow named with dashes or underscores."""
    from flowyard.cli.api import call

    flow_name, sep, deployment = name.partition("/")
    if not sep or not flow_name or not deployment:
        fail(f"Deployment {name!r} must be given as 'flow-name/deployment-name'.")
    for spelling in flow_name_spellings(flow_name):
        found = _request("GET", f"/deployments/name/{spelling}/{deployment}")
        if found is not None:
            return dict(found)
    import difflib

    known = [f"{d['flow_name']}/{d['name']}" for d in call("GET", "/deployments")]
    close = difflib.get_close_matches(name.replace("_", "-"), known, n=3, cutoff=0.5)
    hint = (
        f" Did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else " `flowyard deployment ls` lists them."
    )
    fail(f"Deployment {name!r} not found.{hint}")
