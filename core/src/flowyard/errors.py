"""Typed errors shared by the core, the server, the worker and plugins.

Every error carries a message a user can act on: what was wrong, where, and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


class FlowyardError(Exception):
    """Base class of every error flowyard raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: ``field`` is a dotted path (``env.FOO``), ``""`` for the root."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field or '<root>'}: {self.message}"


class FieldErrors(FlowyardError):
    """Several field errors reported together, in a stable order."""

    def __init__(self, summary: str, errors: list[FieldError]) -> None:
        self.summary = summary
        self.errors = errors
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"{summary}\n{lines}" if errors else summary)


class InvalidBaseJobTemplate(FieldErrors):
    """A work pool's base job template is malformed; each error names the field and reason."""


class InvalidJobVariables(FieldErrors):
    """Job variables do not satisfy the pool's variables schema."""


class TemplateError(FlowyardError):
    """A template expression could not be rendered (syntax error, forbidden operation)."""


class TemplateSecurityError(TemplateError):
    """A template expression tried something the sandbox forbids (internals, files, huge values)."""


class UnknownWorkerType(FlowyardError):
    """No installed plugin and no registry entry provides this worker type."""

    def __init__(self, worker_type: str, known: list[str]) -> None:
        self.worker_type = worker_type
        self.known = known
        super().__init__(
            f"Unknown worker type {worker_type!r}. Known types: {', '.join(sorted(known)) or '(none)'}."
        )


class PluginError(FlowyardError):
    """A plugin failed to load or broke the hook contract; names the plugin and distribution."""

    def __init__(self, plugin: str, distribution: str | None, problem: str) -> None:
        self.plugin = plugin
        self.distribution = distribution
        dist = f" (distribution {distribution!r})" if distribution else ""
        super().__init__(f"Worker plugin {plugin!r}{dist} {problem}")


class InfrastructureNotFound(FlowyardError):
    """Raised by a worker type's ``kill`` hook when the infrastructure no longer exists."""


class InfrastructureNotAvailable(FlowyardError):
    """Raised by ``kill`` when the infrastructure exists but cannot be reached from this worker."""
