"""PollMemo: a poll recorded on this replica is not read or written again within the second."""

from __future__ import annotations

import pytest
from flowyard.server.services import poll_memo
from flowyard.server.services.poll_memo import PollMemo


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(poll_memo.time, "monotonic", lambda: now[0])
    return now


def test_a_recorded_poll_is_fresh_for_one_second(clock: list[float]) -> None:
    memo = PollMemo()
    assert not memo.is_fresh("pool", [])
    memo.mark("pool", [], since=clock[0])
    clock[0] += 0.99
    assert memo.is_fresh("pool", [])
    clock[0] += 0.02
    assert not memo.is_fresh("pool", [])


def test_freshness_is_per_pool_and_per_queue_selection(clock: list[float]) -> None:
    memo = PollMemo()
    memo.mark("pool", ["a"], since=clock[0])
    assert memo.is_fresh("pool", ["a"])
    assert not memo.is_fresh("pool", [])  # every queue of the pool: not all were recorded
    assert not memo.is_fresh("pool", ["a", "b"])
    assert not memo.is_fresh("other", ["a"])


def test_the_memo_stays_bounded_whatever_names_clients_send(clock: list[float]) -> None:
    memo = PollMemo()
    for i in range(10_000):
        memo.mark("pool", [f"queue-{i}"], since=clock[0])
    assert len(memo._fresh_at) <= 4096
    assert memo.is_fresh("pool", ["queue-9999"])
