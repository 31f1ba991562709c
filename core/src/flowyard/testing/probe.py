"""The conformance kit's trivial flow: it reports the environment it runs in, or sleeps.

Deployed by module entrypoint (``flowyard.testing.probe:conformance_probe``), so it runs
anywhere flowyard is installed: a local process, a container built from a flowyard image, a pod.
"""

from __future__ import annotations

import os
import time

from flowyard.flows.flow import flow

ENTRYPOINT = "flowyard.testing.probe:conformance_probe"
FLOW_NAME = "conformance-probe"
SLEEPING = "conformance probe: sleeping"


@flow(name=FLOW_NAME, log_prints=True)
def conformance_probe(env_names: list[str] | None = None, sleep_seconds: float = 0) -> None:
    """Print ``env <NAME>=<value>`` for each name (``<unset>`` when missing); then sleep."""
    for name in env_names or []:
        print(f"env {name}={os.environ.get(name, '<unset>')}")
    if sleep_seconds:
        print(SLEEPING, flush=True)
        time.sleep(sleep_seconds)
