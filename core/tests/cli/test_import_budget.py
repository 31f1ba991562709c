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

TYPED_CLIENT = ("pydantic", "pydantic_core", "httpx", "httpcore", "flowyard.schemas")
"""The typed client and the API models (~0.2 s of start-up): not needed by commands that print
what they read or only create a run (they use the plain JSON client, ``flowyard.cli.api.plain``)."""

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


def heavy(modules: set[str], budget: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(
        m for m in modules if any(m == name or m.startswith(name + ".") for name in budget)
    )


@pytest.mark.parametrize(
    "args", [("work-pool", "ls"), ("flow-run", "ls"), ("deployment", "ls")], ids=" ".join
)
def test_listing_commands_import_nothing_heavy(
    server: RunningServer, args: tuple[str, ...]
) -> None:
    assert heavy(loaded_modules(server, *args)) == []


@pytest.mark.parametrize(
    "args", [("work-pool", "ls"), ("flow-run", "ls"), ("deployment", "ls")], ids=" ".join
)
def test_listing_commands_import_neither_the_typed_client_nor_the_models(
    server: RunningServer, args: tuple[str, ...]
) -> None:
    assert heavy(loaded_modules(server, *args), TYPED_CLIENT) == []


def test_a_command_printing_a_table_does_not_import_rich_markdown(server: RunningServer) -> None:
    modules = loaded_modules(server, "work-pool", "ls")
    assert "rich.table" in modules
    assert heavy(modules, ("rich.markdown", "markdown_it", "pygments", "rich.syntax")) == []


def test_help_builds_no_pydantic_models(server: RunningServer) -> None:
    """pydantic alone costs ~0.1 s of start-up: ``--help`` talks to no server and needs no models.

    Commands that change things through the typed client (``flowyard.client.api``) import
    pydantic and the API models to check their bodies before sending; commands that print what
    they read, and ``deployment run``, use the plain JSON client and import neither
    (:data:`TYPED_CLIENT`); pydantic-settings, SQLAlchemy and the rest of :data:`HEAVY` stay out
    of every command.
    """
    assert "pydantic" not in loaded_modules(server, "--help")


def test_deployment_run_imports_nothing_heavy(server: RunningServer, http: httpx.Client) -> None:
    assert http.post("/work_pools", json={"name": "p", "type": "process"}).status_code == 201
    created = http.post("/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"})
    assert created.status_code == 200, created.text
    modules = loaded_modules(server, "deployment", "run", "f/d")
    assert heavy(modules) == []
    assert heavy(modules, TYPED_CLIENT) == []


def test_help_imports_neither_heavy_modules_nor_rich(server: RunningServer) -> None:
    modules = loaded_modules(server, "--help")
    assert heavy(modules) == []
    assert "rich" not in modules and "httpx" not in modules


def test_help_imports_neither_click_nor_typer(server: RunningServer) -> None:
    """The root help is stored text (``flowyard.cli.root_help``): no command parsing needed."""
    modules = loaded_modules(server, "--help")
    assert heavy(modules, ("click", "typer")) == []


def test_a_command_imports_no_other_command_group(server: RunningServer) -> None:
    modules = loaded_modules(server, "work-pool", "ls")
    groups = {m for m in modules if m.startswith("flowyard.cli.") and m.endswith("_cmd")}
    assert groups == {"flowyard.cli.work_pool_cmd"}


def test_the_plain_client_does_not_import_http_client(server: RunningServer) -> None:
    """``http.client`` brings the ``email`` parser and ``ssl`` (~0.02 s): a socket does the job."""
    modules = loaded_modules(server, "flow-run", "ls")
    assert heavy(modules, ("http.client", "email.parser", "ssl")) == []
