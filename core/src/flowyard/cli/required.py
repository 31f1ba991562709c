"""Required options and arguments are enforced by flowyard itself, not only by click.

Some click releases (8.3 and later with typer < 0.17) stopped treating ``typer.Option(...)`` as
required: the command ran with ``None``. click is pinned in ``core/pyproject.toml``, and on top of
that every command's callback is wrapped here so a parameter declared required (``...`` as its
default, or no default at all) that arrives as ``None`` exits 2 with "Missing option", whatever
click does. The check reads the declarations once at start-up (no extra imports).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer
from typer.models import ArgumentInfo, OptionInfo


@dataclass(frozen=True)
class RequiredParameter:
    """One required parameter of a command: its Python name and how a user spells it."""

    name: str
    label: str  # "option '--type'" or "argument 'NAME'"


def required_parameters(callback: Callable[..., Any]) -> list[RequiredParameter]:
    """The parameters of a typer command callback that a user must give."""
    found: list[RequiredParameter] = []
    for param in inspect.signature(callback).parameters.values():
        default = param.default
        if isinstance(default, OptionInfo):
            if default.default is not ...:
                continue
            flags = [d for d in default.param_decls or () if d.startswith("--")]
            flag = flags[0] if flags else "--" + param.name.replace("_", "-")
            found.append(RequiredParameter(param.name, f"option '{flag}'"))
        elif isinstance(default, ArgumentInfo):
            if default.default is ...:
                found.append(RequiredParameter(param.name, f"argument '{param.name.upper()}'"))
        elif default is inspect.Parameter.empty:
            found.append(RequiredParameter(param.name, f"argument '{param.name.upper()}'"))
    return found


def _checked(callback: Callable[..., Any], required: list[RequiredParameter]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        for param in required:
            if param.name in kwargs and kwargs[param.name] in (None, ...):
                import click

                context = click.get_current_context(silent=True)
                path = context.command_path if context is not None else "flowyard"
                sys.stderr.write(
                    f"Usage: {path} [OPTIONS]\nTry '{path} --help' for help.\n\n"
                    f"Error: Missing {param.label}.\n"
                )
                raise typer.Exit(2)
        return callback(*args, **kwargs)

    return run


def enforce_required(app: typer.Typer) -> None:
    """Wrap every command of ``app`` (and of its sub-apps) so missing required input exits 2."""
    for command in app.registered_commands:
        if command.callback is None or getattr(command.callback, "__flowyard_checked__", False):
            continue
        required = required_parameters(command.callback)
        if required:
            wrapped = _checked(command.callback, required)
            wrapped.__flowyard_checked__ = True  # type: ignore[attr-defined]
            command.callback = wrapped
    for group in app.registered_groups:
        if group.typer_instance is not None:
            enforce_required(group.typer_instance)


def iter_commands(
    app: typer.Typer, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Any]]:
    """Every command of ``app`` as (command words, callback), sub-apps included (for tests and docs)."""
    found: list[tuple[tuple[str, ...], Any]] = []
    for command in app.registered_commands:
        if command.callback is None:
            continue
        name = command.name or command.callback.__name__.replace("_", "-")
        found.append(((*prefix, name), inspect.unwrap(command.callback)))
    for group in app.registered_groups:
        if group.typer_instance is not None and group.name:
            found.extend(iter_commands(group.typer_instance, (*prefix, group.name)))
    return found
