"""Worker type ``{{ cookiecutter.name }}`` against flowyard's conformance kit.

The checks that need no infrastructure (template, render, variables) run now. The others are
skipped with a TODO until the hooks exist: implement a hook, delete its line in
``not_supported``, and the kit runs a real flow on your infrastructure with a real worker.
"""

from __future__ import annotations

from typing import Any

from flowyard.testing.conformance import Capability, InfrastructureView, WorkerTypeConformance

from {{ cookiecutter.package_name }} import job


class Test{{ cookiecutter.class_prefix }}Conformance(WorkerTypeConformance):
    worker_type = "{{ cookiecutter.name }}"
    job_model = job.{{ cookiecutter.class_prefix }}Job
    not_supported = {
        Capability.RUN: "TODO: implement submit() in worker.py, then delete this line",
        Capability.OBSERVE: "TODO: implement observe() in worker.py, then delete this line",
        Capability.KILL: "TODO: implement kill() in worker.py, then delete this line",
        Capability.INSPECT: "TODO: implement inspect_infrastructure() below, then delete this line",
    }

    def job_variables(self) -> dict[str, Any]:
        """Job variables that make a trivial flow run on your infrastructure.

        TODO: e.g. an image with flowyard installed, a queue or namespace the tests may use.
        """
        return {}

    def inspect_infrastructure(self, infrastructure_id: str) -> InfrastructureView:
        """Read the job's labels, env and whether it still runs, from your infrastructure's API.

        TODO: return InfrastructureView(running=..., labels=..., env=...) (None for what your
        infrastructure cannot show).
        """
        raise NotImplementedError
