"""Start-up budget: commands run against a server never import what they do not need.

Each command runs in a fresh interpreter (as ``flowyard <args>`` would) against a live server;
afterwards the modules it loaded are compared with a list of heavy ones. A module on that list
creeping into a command's import graph (say a server module imported at module level in the
CLI) fails here, before it shows up as start-up time (``bench/cli_latency.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer

pytestmark = SQLITE_ONLY

HEAVY = (
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "uvicorn",
    "jinja2",
    "jsonschema",
    "markdown_it",
    "rich.markdown",
    "pygments",
)
"""Never needed by a command that only talks to the API."""

PROBE = """
import json, sys
from flowyard.cli.main import main
sys.argv = ["flowyard", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_modules(server: RunningServer, *args: str) -> set[str]:
    """The modules ``flowyard <args>`` had imported when it finished (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    report = json.loads(done.stderr.rsplit("MODULES ", 1)[1])
    assert report["code"] in (0, None), done.stderr
    return set(report["modules"])


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)


@pytest.mark.parametrize(
    "args", [("work-pool", "ls"), ("flow-run", "ls"), ("deployment", "ls")], ids=" ".join
)
def test_listing_commands_import_nothing_heavy(
    server: RunningServer, args: tuple[str, ...]
) -> None:
    assert heavy(loaded_modules(server, *args)) == []


def test_help_builds_no_pydantic_models(server: RunningServer) -> None:
    """pydantic alone costs ~0.1 s of start-up: ``--help`` talks to no server and needs no models.

    Commands that talk to the API do import pydantic: they go through the typed client
    (``flowyard.client.api``), which validates their request bodies with the server's own models
    (``flowyard.schemas``) and parses the answers into them. That is ~0.1 s of imports (import time of
    ``flowyard.client`` 0.26 s vs ``httpx`` alone 0.15 s, medians of 9, load 2.3) the CLI pays for typed errors and one definition per route; pydantic-settings, SQLAlchemy and the
    rest of :data:`HEAVY` stay out of those commands.
    """
    assert "pydantic" not in loaded_modules(server, "--help")


def test_deployment_run_imports_nothing_heavy(server: RunningServer, http: httpx.Client) -> None:
    assert http.post("/work_pools", json={"name": "p", "type": "process"}).status_code == 201
    created = http.post("/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"})
    assert created.status_code == 200, created.text
    assert heavy(loaded_modules(server, "deployment", "run", "f/d")) == []


def test_help_imports_neither_heavy_modules_nor_rich(server: RunningServer) -> None:
    modules = loaded_modules(server, "--help")
    assert heavy(modules) == []
    assert "rich" not in modules and "httpx" not in modules
