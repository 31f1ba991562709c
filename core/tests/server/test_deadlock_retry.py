"""A transaction PostgreSQL aborts as a deadlock victim is run again: the request succeeds.

The test locks a pool's queue rows from its own connection, lets a claim take the pool row and
wait for those queue rows, then asks for the pool row: a real deadlock (the two connections lock
in opposite order). PostgreSQL aborts the claim (it waited first, so its deadlock check fires
first); the API retries the whole claim, which succeeds once the test's transaction ends.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import sqlalchemy as sa
from conftest import Api
from flowyard.server.retry import is_retryable
from flowyard.testing.plugin import RunningServer

POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def _deadlocks(conn: sa.Connection) -> int:
    return int(
        conn.execute(
            sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()
    )


def _waiting_on_locks(conn: sa.Connection) -> int:
    return int(
        conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    )


def _wait_for(check: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@POSTGRES_ONLY
def test_a_claim_chosen_as_deadlock_victim_is_retried_and_succeeds(
    api: Api, server: RunningServer, database_url: str
) -> None:
    pool = api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as observer:
            observer.execution_options(isolation_level="AUTOCOMMIT")
            before = _deadlocks(observer)
            answer: list[httpx.Response] = []
            with engine.connect() as holder, holder.begin():
                holder.execute(
                    sa.text("UPDATE work_queue SET description = 'held' WHERE pool_id = :p"),
                    {"p": pool["id"]},
                )
                claimer = threading.Thread(
                    target=lambda: answer.append(
                        httpx.post(
                            f"{server.api_url}/work_pools/pool/claim",
                            json={"worker_name": "w", "limit": 1},
                            timeout=60,
                        )
                    )
                )
                claimer.start()
                _wait_for(lambda: _waiting_on_locks(observer) >= 1)  # the claim waits for us
                time.sleep(0.2)
                # the opposite order: we now want the pool row the claim holds -> deadlock
                holder.execute(
                    sa.text("SELECT id FROM work_pool WHERE id = :p FOR UPDATE"), {"p": pool["id"]}
                )
            claimer.join(timeout=60)
            _wait_for(lambda: _deadlocks(observer) > before)
    finally:
        engine.dispose()
    assert answer and answer[0].status_code == 200, answer and answer[0].text
    assert [r["flow_run"]["id"] for r in answer[0].json()["runs"]] == [run["id"]]


def test_only_ordering_aborts_count_as_retryable() -> None:
    class Orig(Exception):
        def __init__(self, text: str, sqlstate: str | None) -> None:
            super().__init__(text)
            self.sqlstate = sqlstate

    def error(text: str, sqlstate: str | None = None) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("SELECT 1", {}, Orig(text, sqlstate))

    assert is_retryable(error("deadlock detected", "40P01"))
    assert is_retryable(error("could not serialize access", "40001"))
    assert is_retryable(error("database is locked"))
    assert not is_retryable(error("unique violation", "23505"))
    assert not is_retryable(ValueError("database is locked"))
