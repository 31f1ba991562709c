"""flowyard: route scheduled workflow runs from a central server to pluggable infrastructure.

The package root stays import-light so that ``flowyard --help`` and ``import flowyard`` are fast:
``flow`` and ``get_run_logger`` are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flowyard.flows.flow import Flow, flow
    from flowyard.flows.image import DeploymentImage
    from flowyard.flows.logs import get_run_logger

_LAZY = {
    "flow": "flowyard.flows.flow",
    "Flow": "flowyard.flows.flow",
    "get_run_logger": "flowyard.flows.logs",
    "DeploymentImage": "flowyard.flows.image",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'flowyard' has no attribute {name!r}")


__all__ = ["DeploymentImage", "Flow", "__version__", "flow", "get_run_logger"]
