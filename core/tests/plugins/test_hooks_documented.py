"""Every hook in ``flowyard.hookspecs`` is documented in docs/plugin-hooks.md with its arguments
(datasette's ``test_plugin_hooks_are_documented`` is the model)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from flowyard import hookspecs
from flowyard.plugins import hook_names

DOCS = Path(__file__).resolve().parents[3] / "docs" / "plugin-hooks.md"
_SECTION = re.compile(r"^### `(\w+)\(([^)]*)\)`\n(.*?)(?=^#{1,3} |\Z)", re.MULTILINE | re.DOTALL)


def documented() -> dict[str, tuple[list[str], str]]:
    """``{hook: ([argument, ...], section text)}`` for each ``### `hook(args)``` heading."""
    sections = {}
    for name, arguments, body in _SECTION.findall(DOCS.read_text("utf-8")):
        sections[name] = ([a.strip() for a in arguments.split(",") if a.strip()], body)
    return sections


@pytest.mark.parametrize("hook", hook_names())
def test_plugin_hooks_are_documented(hook: str) -> None:
    arguments = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    sections = documented()
    assert hook in sections, f"docs/plugin-hooks.md has no '### `{hook}(...)`' section"
    heading_arguments, body = sections[hook]
    assert heading_arguments == arguments, f"the heading of {hook} should list {arguments}"
    for argument in arguments:
        assert f"`{argument}`" in body, f"{hook}: argument {argument!r} is not described"
    required = hook in hookspecs.REQUIRED_HOOKS or hook in hookspecs.TEMPLATE_HOOKS
    assert body.lstrip().startswith("**Required" if required else "**Optional")


def test_the_docs_document_no_hook_that_does_not_exist() -> None:
    assert set(documented()) == set(hook_names())
