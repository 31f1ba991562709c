"""Install a worker type's package on demand (``worker start --install-policy``).

Only distribution names from the registry (:mod:`flowyard.registry`) are ever installed, and only
from a known source: the index the registry entry names (``index_url``) or the index the user
configured (``PIP_INDEX_URL``). flowyard's worker packages are not published on PyPI, so asking
pip for ``flowyard-kubernetes`` on the public index would install whatever someone registered
under that name (squatting); without a known source nothing is installed and the error says how
to provide one. Packages are always installed
together with ``flowyard==<running version>`` so pip picks a plugin build compatible with the
running core and never replaces the core. The command is run without a shell, with the running
interpreter's pip (or ``uv pip`` where uv is on PATH); pip honours ``PIP_INDEX_URL`` and
``PIP_EXTRA_INDEX_URL`` itself, and they are passed to uv as options. Output is streamed so the
user sees progress. Afterwards the entry points are re-read, so the type is usable in the same
process.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from enum import StrEnum

from flowyard.errors import FlowyardError


class InstallPolicy(StrEnum):
    """What to do when a worker type's package is missing (or, for ``always``, present)."""

    always = "always"
    if_not_present = "if-not-present"
    never = "never"
    prompt = "prompt"


class InstallError(FlowyardError):
    """The package is missing and may not, or could not, be installed; the message says what to run."""


def install_source(registry_index: str | None) -> str | None:
    """The index to install from: the registry entry's, else ``PIP_INDEX_URL``, else None."""
    return registry_index or os.environ.get("PIP_INDEX_URL") or None


def install_command(distribution: str, *, upgrade: bool, index_url: str | None = None) -> list[str]:
    """The argv that installs ``distribution`` next to the running core (never run through a shell).

    :param index_url: the registry entry's index; passed as ``--index-url`` (else pip and uv use
        ``PIP_INDEX_URL``).
    """
    from flowyard import __version__

    requirements = [distribution, f"flowyard=={__version__}"]
    uv = shutil.which("uv")
    index = index_url or os.environ.get("PIP_INDEX_URL")
    if uv:
        argv = [uv, "pip", "install", "--python", sys.executable]
        if index:
            argv += ["--index-url", index]
        for extra in os.environ.get("PIP_EXTRA_INDEX_URL", "").split():
            argv += ["--extra-index-url", extra]
    else:
        argv = [sys.executable, "-m", "pip", "install"]
        if index_url:
            argv += ["--index-url", index_url]
    if upgrade:
        argv.append("--upgrade")
    return argv + requirements


def manual_command(distribution: str, index_url: str | None = None) -> str:
    """What a user should run by hand to install ``distribution`` (from a named index)."""
    index = install_source(index_url) or "<your-index-url>"
    return shlex.join([sys.executable, "-m", "pip", "install", "--index-url", index, distribution])


def _no_known_source(worker_type: str, distribution: str) -> InstallError:
    return InstallError(
        f"Not installing {distribution} for worker type '{worker_type}': it is not published on "
        "a public index, and installing that name from one could install a package someone else "
        "registered under it. Set PIP_INDEX_URL to the index that serves your flowyard worker "
        "packages (build them with `pip wheel --no-deps plugins/<name>` from the flowyard "
        'source), or give the type an "index_url" in a FLOWYARD_WORKER_REGISTRY file, or install '
        f"it yourself:\n  {manual_command(distribution)}"
    )


def ensure_worker_type(worker_type: str, policy: InstallPolicy, *, confirm: object = None) -> bool:
    """Apply ``policy`` for ``worker_type``; returns True when something was installed.

    :param confirm: for ``prompt``: a callable asking the user (returns bool), or None when there is
        no interactive terminal (``prompt`` then behaves like ``never``).
    :raises InstallError: the type is not in the registry, installing is not allowed, or pip failed.
    """
    from flowyard.plugins import worker_types
    from flowyard.registry import ENV_VAR, known_types

    types = worker_types()
    installed = worker_type in types.installed()
    if installed and policy is not InstallPolicy.always:
        return False
    entry = known_types().get(worker_type)
    distribution = entry.distribution if entry else None
    index_url = entry.index_url if entry else None
    if distribution is None:
        if installed:
            return False
        raise InstallError(
            f"Worker type '{worker_type}' is not installed and the worker-type registry does not "
            f"know which package provides it. Add it to a registry file named in {ENV_VAR}, or "
            "install its package yourself."
        )
    if not installed:
        wants = policy in (InstallPolicy.always, InstallPolicy.if_not_present)
        if policy is InstallPolicy.prompt and callable(confirm):
            wants = bool(
                confirm(
                    f"Worker type '{worker_type}' needs the package {distribution}. Install it now?"
                )
            )
        if not wants:
            raise InstallError(
                f"Worker type '{worker_type}' is not installed. Install it with:\n  "
                f"{manual_command(distribution, index_url)}\nor start the worker with "
                "--install-policy if-not-present (installs only from a configured index)."
            )
    if install_source(index_url) is None:
        raise _no_known_source(worker_type, distribution)
    argv = install_command(
        distribution, upgrade=policy is InstallPolicy.always, index_url=index_url
    )
    sys.stderr.write(f"Installing {distribution}: {shlex.join(argv)}\n")
    sys.stderr.flush()
    result = subprocess.run(argv, check=False)
    if result.returncode != 0:
        raise InstallError(
            f"Installing {distribution} failed (exit {result.returncode}); see the output above. "
            f"To try by hand: {manual_command(distribution, index_url)}"
        )
    types.refresh()
    if worker_type not in types.installed():
        raise InstallError(
            f"{distribution} was installed but provides no '{worker_type}' worker type "
            "(entry point group flowyard.workers)."
        )
    return True
