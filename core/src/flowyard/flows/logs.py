"""Ship a flow run's log records (and, with ``log_prints``, its prints) to the API.

Records are queued and sent in batches by one background thread, so a chatty flow is not slowed by
HTTP round trips: a batch goes out at most :data:`LINGER` seconds after its first record (a short
flow's lines all go in the one request :meth:`ApiLogHandler.close` flushes). If the server cannot be reached
the lines are still printed locally and a single warning says logs were dropped.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import io
import logging
import queue
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flowyard.schemas.runs import LogCreate

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient

RUN_LOGGER = "flowyard.flow_run"
BATCH = 200
INTERVAL = 0.25
LINGER = 0.2
"""Seconds a batch waits for more records after its first (one request per 0.2 s, not per line)."""


def get_run_logger() -> logging.Logger:
    """The logger whose records are stored with the current flow run (visible in ``flow-run logs``)."""
    return logging.getLogger(RUN_LOGGER)


class ApiLogHandler(logging.Handler):
    """A logging handler that posts records of one flow run to ``POST /api/logs`` in batches."""

    def __init__(self, flow_run_id: str, client: FlowyardClient) -> None:
        super().__init__(level=logging.DEBUG)
        self.flow_run_id = flow_run_id
        self._client = client
        self._queue: queue.Queue[LogCreate | None] = queue.Queue()
        self._warned = False
        self._thread = threading.Thread(target=self._ship, name="flowyard-logs", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        """Queue one record (never blocks on the network)."""
        try:
            message = self.format(record)
        except Exception:  # a bad %-format in user code must not break the flow
            message = str(record.msg)
        self._queue.put(
            LogCreate(
                flow_run_id=self.flow_run_id,
                level=record.levelno,
                name=record.name,
                message=message,
                timestamp=dt.datetime.fromtimestamp(record.created, dt.UTC),
            )
        )

    def _ship(self) -> None:
        done = False
        while not done:
            batch: list[LogCreate] = []
            try:
                item = self._queue.get(timeout=INTERVAL)
            except queue.Empty:
                continue
            deadline = time.monotonic() + LINGER
            while True:
                if item is None:
                    done = True
                    break
                batch.append(item)
                if len(batch) >= BATCH:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if batch:
                self._send(batch)

    def _send(self, batch: list[LogCreate]) -> None:
        try:
            self._client.write_logs(batch)
        except Exception as exc:
            if not self._warned:
                self._warned = True
                sys.stderr.write(f"flowyard: could not send logs to the API ({exc}); continuing.\n")

    def close(self) -> None:
        """Send everything queued, then stop the shipping thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)
        super().close()


@contextlib.contextmanager
def capture(
    flow_run_id: str | None, client: FlowyardClient | None, log_prints: bool
) -> Iterator[None]:
    """Attach the API handler to the run logger (and capture prints) for the block's duration."""
    logger = get_run_logger()
    logger.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(
        logging.Formatter("%(asctime)s | %(levelname)-7s | %(message)s", "%H:%M:%S")
    )
    handlers: list[logging.Handler] = [console]
    api: ApiLogHandler | None = None
    if flow_run_id is not None and client is not None:
        api = ApiLogHandler(flow_run_id, client)
        api.setFormatter(logging.Formatter("%(message)s"))
        handlers.append(api)
    for handler in handlers:
        logger.addHandler(handler)
    logger.propagate = False
    original_print = builtins.print

    def logging_print(*args: Any, **kwargs: Any) -> None:
        target = kwargs.get("file")
        if target is not None and target not in (sys.stdout, sys.stderr):
            original_print(*args, **kwargs)
            return
        buffer = io.StringIO()
        original_print(*args, **{**kwargs, "file": buffer, "end": ""})
        if api is not None:
            api.handle(
                logging.makeLogRecord(
                    {
                        "name": "flowyard.print",
                        "levelno": logging.INFO,
                        "levelname": "INFO",
                        "msg": buffer.getvalue(),
                    }
                )
            )
        original_print(*args, **kwargs)

    if log_prints:
        builtins.print = logging_print
    try:
        yield
    finally:
        if log_prints:
            builtins.print = original_print
        for handler in handlers:
            logger.removeHandler(handler)
        if api is not None:
            api.close()
