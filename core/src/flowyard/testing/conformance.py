"""pytest plugin: the worker-type conformance kit. Opt in from your package's rootdir conftest.py::

    pytest_plugins = ["flowyard.testing.conformance"]

and subclass :class:`WorkerTypeConformance` in a test module (see :mod:`flowyard.testing.kit`).
Opting in also loads :mod:`flowyard.testing.plugin` (the ``server`` and ``database_url``
fixtures the kit runs against). Nothing here is loaded unless a project asks for it.
"""

from __future__ import annotations

import pytest

from flowyard.testing.kit import Capability, InfrastructureView, WorkerTypeConformance

pytest_plugins = ["flowyard.testing.plugin"]

__all__ = ["Capability", "InfrastructureView", "WorkerTypeConformance"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the kit's marker (projects may run with ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        "conformance_requires(*capabilities): a conformance check needing these capabilities",
    )
