"""Flow-run tokens: short-lived bearer tokens scoped to one flow run.

A claim hands each run a token ``fyrun_<run id>_<expiry epoch>_<HMAC-SHA256>``; the worker (or
the server, for push pools) puts it in the run's environment as ``FLOWYARD_API_KEY`` instead of
its own key. With it the run may read itself and its deployment and write its own states and
logs; nothing else (:func:`allows`). The HMAC key is ``FLOWYARD_SERVER_RUN_TOKEN_KEY`` or, when
unset, a random key the first replica stores in the ``server_key`` table, so every replica (and
a restarted server) accepts the tokens of the others.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from flowyard.server import tables as t
from flowyard.server.db import Database
from flowyard.settings import Settings

PREFIX = "fyrun_"
_KEY_NAME = "run-token-hmac"


def is_run_token(bearer: str) -> bool:
    """Whether a bearer value is a flow-run token (not an API key)."""
    return bearer.startswith(PREFIX)


def signing_key(db: Database, settings: Settings) -> bytes:
    """The HMAC key: from the settings, else the one stored in the database (created once)."""
    if settings.server_run_token_key is not None:
        return settings.server_run_token_key.get_secret_value().encode()
    with db.read() as conn:
        stored = conn.execute(
            sa.select(t.server_key.c.value).where(t.server_key.c.name == _KEY_NAME)
        ).scalar()
    if stored is None:
        try:
            with db.write() as conn:
                conn.execute(
                    t.server_key.insert().values(name=_KEY_NAME, value=secrets.token_hex(32))
                )
        except sa.exc.IntegrityError:
            pass  # another replica stored it first
        with db.read() as conn:
            stored = conn.execute(
                sa.select(t.server_key.c.value).where(t.server_key.c.name == _KEY_NAME)
            ).scalar_one()
    return str(stored).encode()


def _signature(key: bytes, run_id: str, expires: int) -> str:
    return hmac.new(key, f"{run_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, run_id: str, ttl_seconds: float) -> str:
    """A token for ``run_id`` valid ``ttl_seconds`` from now."""
    expires = int(time.time() + ttl_seconds)
    return f"{PREFIX}{run_id}_{expires}_{_signature(key, run_id, expires)}"


def verify(key: bytes, token: str) -> str | None:
    """The run id of a valid, unexpired token; ``None`` otherwise."""
    try:
        run_id, expires_text, signature = token[len(PREFIX) :].rsplit("_", 2)
        expires = int(expires_text)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _signature(key, run_id, expires)):
        return None
    return run_id if expires > time.time() else None


@dataclass(frozen=True)
class RunScope:
    """What a request made with a run token is about."""

    run_id: str
    deployment_id: str | None


def allows(scope: RunScope, method: str, path: str, path_params: dict[str, str]) -> bool:
    """Whether a run token may make this request (routes under ``/api``).

    Reads: its own run (``GET /flow_runs/{id}``, ``/history``, ``/logs``) and its deployment
    (``GET /deployments/{id}``). Writes: its own state (``POST /flow_runs/{id}/state``) and logs
    (``POST /logs``; the route checks every line's run id).
    """
    run_id = path_params.get("run_id")
    if method == "GET":
        if run_id is not None:
            return run_id == scope.run_id
        deployment_id = path_params.get("deployment_id")
        return deployment_id is not None and deployment_id == scope.deployment_id
    if method == "POST":
        if run_id is not None:
            return run_id == scope.run_id and path.endswith("/state")
        return path.endswith("/api/logs")
    return False
