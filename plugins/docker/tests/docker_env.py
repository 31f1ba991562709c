"""A real Docker engine for tests, and an image with this checkout's flowyard in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flowyard_fakes.images import checkout_root, engine_or_skip, flowyard_image

ROOT = checkout_root()
__all__ = ["ROOT", "engine_or_skip", "flowyard_image", "start_registry"]


def start_registry(root: Path, htpasswd: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """A real registry (Debian's docker-registry, distribution v2) on loopback: (process, address).

    With ``htpasswd`` (bcrypt lines, ``user:$2b$...``) every request needs basic authentication.
    Docker talks plain HTTP to 127.0.0.1 registries without any daemon configuration.
    """
    import shutil
    import time

    import httpx
    from flowyard.testing.plugin import free_port

    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("docker-registry is not installed (scripts/test installs it)")
    port = free_port()
    config = root / f"registry-{port}.yml"
    auth = (
        f"auth:\n  htpasswd:\n    realm: flowyard-test\n    path: {htpasswd}\n" if htpasswd else ""
    )
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / f'registry-{port}'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n{auth}"
    )
    process = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/").status_code in (200, 401):
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            pytest.fail("the registry did not start")
        time.sleep(0.1)
    return process, f"127.0.0.1:{port}"
