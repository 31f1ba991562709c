"""A JSON client on the standard library, for commands that only print what the API answers.

The typed clients (:class:`~flowyard.client.FlowyardClient`) parse every answer into the API's
pydantic models and send through httpx; importing them costs a short-lived command ~0.2 s of its
start-up. :class:`PlainClient` sends and returns plain JSON over one kept-alive HTTP/1.1
connection (:mod:`flowyard.client.http11`: a socket, without ``http.client``'s imports), with
the same address, API key and TLS defaults and the same typed errors
(:mod:`flowyard.client.errors`). Request bodies are not checked before sending: the server
validates them and its 422 names each field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flowyard.client.defaults import default_api_key, default_api_url
from flowyard.client.errors import NotFoundError, ServerUnreachable, error_from
from flowyard.client.http11 import Connection

if TYPE_CHECKING:
    import ssl

Json = Any
"""A decoded JSON value (dicts, lists, strings, numbers, booleans, None)."""


class PlainClient:
    """Blocking JSON client: ``get``/``post`` return the decoded answer or raise a typed ``ApiError``."""

    def __init__(
        self, api_url: str | None = None, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        self.api_url = (api_url or default_api_url()).rstrip("/")
        self.api_key = api_key if api_key is not None else default_api_key()
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUnreachable(
                f"FLOWYARD_API_URL {self.api_url!r} is not an http:// or https:// URL."
            )
        self._prefix = parts.path.rstrip("/")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ServerUnreachable(
                f"FLOWYARD_API_URL {self.api_url!r} has an invalid port."
            ) from None
        tls = _tls_context(self.api_url) if parts.scheme == "https" else None
        self._connection = Connection(parts.hostname, port, timeout, tls)
        self._headers = {"Accept": "application/json"}
        if self.api_key:
            self._headers["Authorization"] = f"Bearer {self.api_key}"

    def get(
        self,
        path: str,
        params: Mapping[str, str | int | float] | None = None,
        not_found: type[NotFoundError] = NotFoundError,
    ) -> Json:
        """``GET path`` (relative to the API URL, e.g. ``/work_pools``)."""
        return self.request("GET", path, params=params, not_found=not_found)

    def post(
        self, path: str, body: Json = None, not_found: type[NotFoundError] = NotFoundError
    ) -> Json:
        """``POST path`` with a JSON body."""
        return self.request("POST", path, body=body, not_found=not_found)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Json = None,
        params: Mapping[str, str | int | float] | None = None,
        not_found: type[NotFoundError] = NotFoundError,
    ) -> Json:
        """Send one request; the decoded JSON answer (None for an empty one)."""
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            status, data = self._connection.request(method, target, headers, payload)
        except OSError as exc:
            self._connection.close()
            raise ServerUnreachable(
                f"Cannot reach the flowyard server at {self.api_url} ({exc}). Start one "
                "with `flowyard server start` or set FLOWYARD_API_URL."
            ) from exc
        text = data.decode("utf-8", errors="replace")
        if not 200 <= status < 300:
            raise error_from(status, text, not_found)
        return json.loads(text) if text else None

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> PlainClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _tls_context(api_url: str) -> ssl.SSLContext:
    """The typed clients' verifying context (CA bundle, ``SSL_CERT_FILE``): same trust for both."""
    import ssl

    from flowyard.client.defaults import tls_verify

    context = tls_verify(api_url)
    if not isinstance(context, ssl.SSLContext):  # https URLs always get one
        raise TypeError(f"no TLS context for {api_url!r}")
    return context
