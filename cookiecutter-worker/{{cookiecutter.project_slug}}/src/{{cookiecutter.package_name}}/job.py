"""The rendered job of worker type ``{{ cookiecutter.name }}``: what ``submit`` receives."""

from __future__ import annotations

from flowyard.job import BaseJobConfiguration


class {{ cookiecutter.class_prefix }}Job(BaseJobConfiguration):
    """``command``, ``env``, ``labels``, ``name`` and ``command_argv()`` come from the base class.

    TODO: mirror the fields of ``{{ cookiecutter.class_prefix }}Variables`` that ``submit`` needs,
    with their types (``render`` validates the templated configuration into this model), and add
    helpers that turn them into your infrastructure's API request.
    """

    memory_mb: int | None = None
