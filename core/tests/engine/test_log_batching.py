"""A flow run's log lines are shipped in batches: one request per short flow, not one per line."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, cast

import pytest
from flowyard.errors import FlowyardError
from flowyard.flows.logs import LINGER, ApiLogHandler, buffer_lines_setting

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient
    from flowyard.schemas.runs import LogCreate


class RecordingApi:
    """Stands in for the API's ``POST /logs``: keeps each batch it was sent."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def write_logs(self, batch: list[LogCreate]) -> None:
        self.batches.append([line.message for line in batch])


def _handler() -> tuple[ApiLogHandler, RecordingApi]:
    api = RecordingApi()
    handler = ApiLogHandler("run-1", cast("FlowyardClient", api))
    return handler, api


def _emit(handler: ApiLogHandler, message: str) -> None:
    record = {"name": "flowyard.flow_run", "msg": message, "levelno": logging.INFO}
    handler.emit(logging.makeLogRecord(record))


def test_lines_of_a_short_flow_go_out_in_one_request() -> None:
    handler, api = _handler()
    _emit(handler, "starting")
    _emit(handler, "finished")
    handler.close()
    assert api.batches == [["starting", "finished"]]


def test_a_line_is_shipped_within_the_linger_time_while_the_flow_runs() -> None:
    handler, api = _handler()
    _emit(handler, "working")
    deadline = time.monotonic() + LINGER + 2
    while not api.batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.batches == [["working"]]
    handler.close()


def test_the_log_buffer_size_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOWYARD_ENGINE_LOG_BUFFER_LINES", "500")
    assert buffer_lines_setting() == 500


@pytest.mark.parametrize("value", ["many", "0", "1000001", "2.5"])
def test_a_bad_log_buffer_size_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FLOWYARD_ENGINE_LOG_BUFFER_LINES", value)
    with pytest.raises(FlowyardError, match="FLOWYARD_ENGINE_LOG_BUFFER_LINES must be a whole"):
        buffer_lines_setting()
