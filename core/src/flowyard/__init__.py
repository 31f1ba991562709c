"""flowyard: route scheduled workflow runs from a central server to pluggable infrastructure.

The package root stays import-light so that ``flowyard --help`` and ``import flowyard`` are fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
