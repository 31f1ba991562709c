"""Ship a flow run's log records (and, with ``log_prints``, its prints) to the API.

Records are buffered and sent in batches by one background thread, so a chatty flow is not
slowed by HTTP round trips: a batch goes out at most :data:`LINGER` seconds after its first line
(a short flow's lines go in the one request sent when it ends). The shipper never gives up on a batch the server did not take: while
the server is unreachable (or answers 5xx/429) it keeps the lines and retries with backoff, and
:meth:`ApiLogHandler.close` (the flow ended) waits until they are sent or its flush budget
(``engine_outage_seconds``, 120 s) is spent, so a flow that ends during an outage still ships its
tail once the server is back. The buffer is bounded (``engine_log_buffer_lines``, 10,000 lines):
when an outage fills it the oldest waiting lines make room for the newest, and a WARNING line
stored where they were says how many were dropped. A batch the server refuses (4xx) is counted
as dropped too. Lines are always printed locally as well.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import datetime as dt
import io
import logging
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
"""Seconds a batch waits for more lines after its first (one request per 0.2 s, not per line)."""
MAX_BACKOFF = 5.0
"""Longest pause between two attempts to send during an outage."""
BUFFER_LINES_DEFAULT = 10_000
FLUSH_SECONDS_DEFAULT = 120.0


def get_run_logger() -> logging.Logger:
    """The logger whose records are stored with the current flow run (visible in ``flow-run logs``)."""
    return logging.getLogger(RUN_LOGGER)


def buffer_lines_setting() -> int:
    """``FLOWYARD_ENGINE_LOG_BUFFER_LINES`` (default 10,000), read without building the settings
    (a run's engine avoids pydantic-settings on its way to the flow body)."""
    from flowyard.client.defaults import env_number

    return env_number(
        "FLOWYARD_ENGINE_LOG_BUFFER_LINES",
        int,
        BUFFER_LINES_DEFAULT,
        minimum=1,
        maximum=1_000_000,
        expected="a whole number of lines from 1 to 1,000,000",
    )


def _retry_later(exc: Exception) -> bool:
    """The server did not take the batch but may later: unreachable, 5xx or 429."""
    from flowyard.client.errors import ApiError, ServerUnreachable

    if isinstance(exc, ApiError):
        return exc.transient
    return isinstance(exc, ServerUnreachable | OSError)


class ApiLogHandler(logging.Handler):
    """A logging handler that posts records of one flow run to ``POST /api/logs`` in batches.

    :param max_buffered: lines kept while the server cannot take them (the oldest go first).
    :param flush_seconds: how long :meth:`close` waits for the buffer to be sent.
    """

    def __init__(
        self,
        flow_run_id: str,
        client: FlowyardClient,
        *,
        max_buffered: int = BUFFER_LINES_DEFAULT,
        flush_seconds: float = FLUSH_SECONDS_DEFAULT,
    ) -> None:
        super().__init__(level=logging.DEBUG)
        self.flow_run_id = flow_run_id
        self._client = client
        self._max = max(1, max_buffered)
        self._flush_seconds = flush_seconds
        self._buffer: collections.deque[tuple[int, LogCreate]] = collections.deque()
        self._seq = 0
        self._changed = threading.Condition()
        self._closing = False
        self._draining = False  # the flow ended: send without lingering
        self._dropped = 0  # waiting to be reported in the stored log
        self.dropped_total = 0
        """Lines lost so far (buffer overflow, refused batches, or a flush that timed out)."""
        self._warned = False
        self._thread = threading.Thread(target=self._ship, name="flowyard-logs", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        """Buffer one record (never blocks on the network)."""
        try:
            message = self.format(record)
        except Exception:  # a bad %-format in user code must not break the flow
            message = str(record.msg)
        line = LogCreate(
            flow_run_id=self.flow_run_id,
            level=record.levelno,
            name=record.name,
            message=message,
            timestamp=dt.datetime.fromtimestamp(record.created, dt.UTC),
        )
        with self._changed:
            if len(self._buffer) >= self._max:
                self._buffer.popleft()
                self._dropped += 1
                self.dropped_total += 1
            self._seq += 1
            self._buffer.append((self._seq, line))
            self._changed.notify()

    def _drop_notice(self) -> LogCreate:
        return LogCreate(
            flow_run_id=self.flow_run_id,
            level=logging.WARNING,
            name="flowyard.logs",
            message=(
                f"{self._dropped} log line(s) were dropped here: the server could not take them "
                f"and the engine's buffer ({self._max} lines) was full."
            ),
            timestamp=dt.datetime.now(dt.UTC),
        )

    def _next_batch(self) -> tuple[list[LogCreate], int, int] | None:
        """The lines to send next, the sequence number of the last one and the drops the batch
        reports (lines stay buffered until sent); ``None``: closed and empty."""
        with self._changed:
            while not self._buffer and not self._dropped:
                if self._closing:
                    return None
                self._changed.wait(INTERVAL)
            deadline = time.monotonic() + LINGER
            while len(self._buffer) < BATCH and not (self._closing or self._draining):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            notice = [self._drop_notice()] if self._dropped else []
            items = [self._buffer[i] for i in range(min(len(self._buffer), BATCH - len(notice)))]
            last = items[-1][0] if items else 0
            return notice + [line for _, line in items], last, self._dropped

    def _sent(self, last: int, reported: int) -> None:
        """Forget the lines up to sequence number ``last`` and the drops already reported."""
        with self._changed:
            while self._buffer and self._buffer[0][0] <= last:
                self._buffer.popleft()
            self._dropped -= reported
            self._changed.notify_all()

    def _ship(self) -> None:
        delay = INTERVAL
        while (next_batch := self._next_batch()) is not None:
            batch, last, reported = next_batch
            try:
                self._client.write_logs(batch)
            except Exception as exc:
                if _retry_later(exc):
                    self._warn(f"could not send logs to the API ({exc}); keeping them, retrying")
                    time.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF)
                    continue
                self._warn(f"the API refused {len(batch)} log line(s) ({exc}); dropping them")
                self.dropped_total += len(batch)
            delay = INTERVAL
            self._sent(last, reported)

    def _warn(self, text: str) -> None:
        if not self._warned:
            self._warned = True
            sys.stderr.write(f"flowyard: {text}.\n")

    def drain(self) -> None:
        """Wait (up to the flush budget) until every buffered line is sent.

        Not :meth:`flush`: logging calls that from any thread (``logging.shutdown``,
        ``dictConfig``) and must not wait through an outage.
        """
        deadline = time.monotonic() + self._flush_seconds
        with self._changed:
            self._draining = True
            self._changed.notify_all()
            while self._buffer or self._dropped:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    break
                self._changed.wait(min(remaining, INTERVAL))

    def close(self) -> None:
        """Send everything buffered (waiting through an outage up to the flush budget), then stop.

        Idempotent: only the first call waits.
        """
        with self._changed:
            if self._closing:
                return
        self.drain()
        with self._changed:
            self._closing = True
            left = len(self._buffer)
            self._changed.notify_all()
        if left:
            self.dropped_total += left
            sys.stderr.write(
                f"flowyard: {left} log line(s) could not be sent within "
                f"{self._flush_seconds:g} s and were dropped.\n"
            )
        else:
            self._thread.join(timeout=5)
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
        from flowyard.engine.retry import outage_seconds_setting

        api = ApiLogHandler(
            flow_run_id,
            client,
            max_buffered=buffer_lines_setting(),
            flush_seconds=outage_seconds_setting(),
        )
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
