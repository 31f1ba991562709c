"""Where a client connects by default: ``FLOWYARD_API_URL`` and ``FLOWYARD_API_KEY``.

Read straight from the environment (names case-insensitive, as pydantic-settings reads them), so
a CLI command or a flow run's engine does not import pydantic-settings just to find the server.
:class:`flowyard.settings.Settings` documents the same two variables with the same default.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import ssl

DEFAULT_API_URL = "http://127.0.0.1:4200/api"

Number = TypeVar("Number", int, float)


def env_value(name: str) -> str | None:
    """The environment variable ``name``, matched case-insensitively as pydantic-settings does."""
    value = os.environ.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, found in os.environ.items():
        if key.lower() == lowered:
            return found
    return None


def env_number(
    name: str,
    parse: Callable[[str], Number],
    default: Number,
    *,
    minimum: Number,
    maximum: Number | None = None,
    expected: str,
) -> Number:
    """The environment variable ``name`` as a number from ``minimum`` to ``maximum`` (``parse``
    is ``int`` or ``float``); ``default`` when it is unset or blank. Reads no settings object, so
    a run's engine need not import pydantic-settings on its way to the flow body.

    Raises :class:`~flowyard.errors.FlowyardError` naming the variable and what it must be
    (``expected``, e.g. "a number of seconds >= 0") when the value is not such a number.
    """
    raw = env_value(name)
    if raw is None or not raw.strip():
        return default
    try:
        value: Number | None = parse(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value or (maximum is not None and not value <= maximum):
        from flowyard.errors import FlowyardError

        raise FlowyardError(f"{name} must be {expected}, not {raw!r}.")
    return value


def default_api_url() -> str:
    """``FLOWYARD_API_URL``, else the local server's default address."""
    return env_value("FLOWYARD_API_URL") or DEFAULT_API_URL


def default_api_key() -> str | None:
    """``FLOWYARD_API_KEY`` (None when unset or empty)."""
    return env_value("FLOWYARD_API_KEY") or None


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    from flowyard.client._httpx import httpx

    return httpx.create_ssl_context()


def tls_verify(api_url: str) -> ssl.SSLContext | bool:
    """What a client passes as httpx's ``verify``: one shared default context for https.

    Building a verifying context parses the CA bundle (tens of milliseconds, more on a busy
    machine), and httpx builds one per client even for plain http. The context is built once per
    process and shared (a warm engine builds it before forking, so runs inherit it). A plain
    ``http://`` URL never negotiates TLS (the clients use relative paths and do not follow
    redirects), so it gets ``False`` and no context at all.
    """
    if api_url.lower().startswith("http://"):
        return False
    return _default_tls_context()
