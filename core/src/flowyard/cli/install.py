"""``--install-policy``: make sure a worker type's package is installed before a worker starts."""

from __future__ import annotations

from flowyard.cli.output import fail


def ensure_installed(worker_type: str, policy: str) -> None:
    """Apply ``policy`` (always / if-not-present / never / prompt) for ``worker_type``'s package."""
    from flowyard.plugins import worker_types

    installed = worker_type in worker_types().installed()
    if installed and policy != "always":
        return
    if not installed and policy == "never":
        return  # the worker reports the missing type with the package to install
    from flowyard.registry import distribution_for

    package = distribution_for(worker_type)
    if package is None:
        fail(f"Worker type '{worker_type}' is not installed and no known package provides it.")
    if not installed and policy == "prompt":
        fail(
            f"Worker type '{worker_type}' is not installed. Install it with `pip install {package}` "
            "or pass --install-policy if-not-present."
        )
    fail(f"Installing packages is not built yet; run `pip install {package}`.")
