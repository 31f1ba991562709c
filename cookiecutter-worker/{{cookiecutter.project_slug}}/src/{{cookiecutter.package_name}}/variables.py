"""The job variables of worker type ``{{ cookiecutter.name }}``: the single source of its template.

flowyard derives the default base job template from this model (its JSON Schema becomes the
template's ``variables``; ``job_configuration()`` its ``job_configuration``). Pools, deployments
and flow runs set these values; the UI shows each field's title, description and default.
"""

from __future__ import annotations

from flowyard.job import BaseVariables
from pydantic import Field


class {{ cookiecutter.class_prefix }}Variables(BaseVariables):
    """``name``, ``env``, ``labels`` and ``command`` come from ``BaseVariables``.

    TODO: replace ``memory_mb`` with the settings your infrastructure takes (an image, a queue,
    a namespace, CPU and memory...). Give every field a title, a description and a default (or
    make it required), and constraints (``ge``, ``le``, ``Literal``/``Enum``) where they apply.
    """

    memory_mb: int | None = Field(
        default=None,
        ge=16,
        title="Memory (MiB)",
        description="Memory for the job; the infrastructure's default when unset.",
    )
