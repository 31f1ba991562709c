"""``deployment run --watch``: say what a run that has not started is waiting for."""

from __future__ import annotations

import time
from typing import Any

from flowyard.cli.output import say


class WaitExplainer:
    """Looks at a not-yet-started run now and then; prints each reason it waits once."""

    def __init__(self, every_seconds: float = 3.0) -> None:
        self.every_seconds = every_seconds
        self.next_check = 0.0
        self.said: set[str] = set()

    def _say_once(self, key: str, message: str) -> None:
        if key not in self.said:
            self.said.add(key)
            say(message)

    def explain(self, flow_run: dict[str, Any]) -> None:
        """Print why ``flow_run`` has not started (paused pool, no worker, late), if it has not."""
        if flow_run["state_type"] != "SCHEDULED" or time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + self.every_seconds
        pool = flow_run.get("work_pool_name")
        if flow_run.get("state_name") == "Late":
            self._say_once("late", f"Waiting: the run is late (due {flow_run['scheduled_time']}).")
        if not pool:
            self._say_once("served", "Waiting for the process serving this deployment to take it.")
            return
        from flowyard.cli.api import call

        info = call("GET", f"/work_pools/{pool}")
        if info["is_paused"]:
            self._say_once(
                "paused",
                f"Waiting: work pool {pool!r} is paused. Resume it: flowyard work-pool resume {pool}",
            )
            return
        workers = call("GET", f"/work_pools/{pool}/workers")
        if not any(w["status"] == "ONLINE" for w in workers):
            self._say_once(
                "no-worker",
                f"Waiting: no worker is online for work pool {pool!r}. "
                f"Start one: flowyard worker start --pool {pool}",
            )
            return
        self._say_once("worker", f"Waiting for a worker of pool {pool!r} to take the run.")
