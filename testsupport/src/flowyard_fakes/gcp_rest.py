"""What the Google API fakes share: a loopback REST server, Google's error shape, operations.

:class:`GoogleRestFake` serves JSON on ``http://127.0.0.1:PORT`` for a google-cloud client
built with ``transport="rest"``, ``client_options={"api_endpoint": fake.endpoint}`` and
``AnonymousCredentials``. Errors use Google's JSON shape
``{"error": {"code", "message", "status"}}``, which google-api-core turns into its exceptions
(``NotFound``, ``FailedPrecondition``...). Long-running operations are kept in memory and served
from ``GET /{version}/projects/*/locations/*/operations/*``.

Authentication: ``POST /token`` is an OAuth2 token endpoint for service-account keys
(:mod:`flowyard_fakes.gcp_auth`; :attr:`GoogleRestFake.token_uri`, :meth:`GoogleRestFake.
service_account_key`). With :attr:`GoogleRestFake.require_auth` set, every API call needs a
bearer token the fake issued there, or a self-signed JWT of a registered service account; else
401 ``UNAUTHENTICATED``. Unset (the default), any or no ``Authorization`` header is accepted, so
``AnonymousCredentials`` work.

Not modelled: IAM permissions, field masks, paging (lists return everything in one page),
``operations:wait``/list/delete.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flowyard_fakes.gcp_auth import AuthError, ServiceAccountAuth, service_account_key

Json = dict[str, Any]
Handler = Callable[[re.Match[str], Json, dict[str, str]], tuple[int, Json]]

_STATUS = {
    400: "FAILED_PRECONDITION",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    500: "INTERNAL",
}


class ApiError(Exception):
    """An error answer: HTTP status, Google status name and message."""

    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, "UNKNOWN")


def now() -> str:
    """The current time as an RFC 3339 timestamp (what proto3 JSON uses)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(value: Any, default: float) -> float:
    """Seconds from a proto3 JSON Duration (``"600s"``), else ``default``."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return default
    return default


class GoogleRestFake:
    """A threaded loopback HTTP server dispatching ``(method, path regex)`` to handlers."""

    version = "v1"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.operations: dict[str, Json] = {}
        self.requests: list[tuple[str, str]] = []
        self.auth = ServiceAccountAuth()
        self.require_auth = False
        self.callers: list[str] = []  # the service account of each authenticated API call
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.route(
            "GET",
            rf"/{self.version}/(projects/[^/]+/locations/[^/]+/operations/[^/:]+)",
            self._get_operation,
        )
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The ``api_endpoint`` to give the client: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        """The OAuth2 token endpoint (``token_uri`` of the keys :meth:`service_account_key` makes)."""
        return f"{self.endpoint}/token"

    def service_account_key(self, project: str, name: str = "runner") -> dict[str, str]:
        """A new service account's JSON key (real RSA key) that this fake trusts."""
        return service_account_key(self.auth, self.token_uri, project, name)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths fully matching ``pattern`` with ``handler``."""
        self._routes.append((method, re.compile(pattern), handler))

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def operation(
        self, parent: str, metadata: Json | None, response: Json | None, done: bool
    ) -> Json:
        """Record and return a long-running operation under ``parent`` (project/location)."""
        op: Json = {"name": f"{parent}/operations/{uuid.uuid4()}", "done": done}
        if metadata is not None:
            op["metadata"] = metadata
        if done and response is not None:
            op["response"] = response
        with self.lock:
            self.operations[op["name"]] = op
        return dict(op)

    def finish_operation(self, name: str, response: Json) -> None:
        """Mark an operation done with ``response``."""
        with self.lock:
            op = self.operations.get(name)
            if op is not None:
                op["done"] = True
                op["response"] = response

    def _get_operation(
        self, match: re.Match[str], body: Json, query: dict[str, str]
    ) -> tuple[int, Json]:
        with self.lock:
            op = self.operations.get(match.group(1))
            if op is None:
                raise ApiError(404, f"operation {match.group(1)} not found")
            return 200, dict(op)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path, _, raw_query = request.path.partition("?")
        query = dict(p.partition("=")[::2] for p in raw_query.split("&") if p)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        self.requests.append((request.command, path))
        if path == "/token" and request.command == "POST":
            self._token(request, raw)
            return
        try:
            if self.require_auth:
                try:
                    self.callers.append(self.auth.caller(request.headers.get("Authorization")))
                except AuthError as exc:
                    raise ApiError(401, exc.description, "UNAUTHENTICATED") from None
            body = json.loads(raw) if raw.strip() else {}
            for method, pattern, handler in self._routes:
                match = pattern.fullmatch(path)
                if method == request.command and match:
                    status, payload = handler(match, body, query)
                    break
            else:
                raise ApiError(404, f"no such path: {request.command} {path}")
        except ApiError as exc:
            status = exc.code
            payload = {"error": {"code": exc.code, "message": exc.message, "status": exc.status}}
        except ValueError as exc:
            status = 400
            payload = {"error": {"code": 400, "message": str(exc), "status": "INVALID_ARGUMENT"}}
        self._answer(request, status, payload)

    def _token(self, request: BaseHTTPRequestHandler, form: bytes) -> None:
        try:
            status, payload = 200, self.auth.grant(form, self.token_uri)
        except AuthError as exc:
            status, payload = 400, {"error": exc.code, "error_description": exc.description}
        self._answer(request, status, payload)

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, payload: Json) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=UTF-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
