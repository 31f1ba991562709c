"""Call the API from a command: errors become clear messages and meaningful exit codes."""

from __future__ import annotations

from typing import Any

from flowyard.cli.output import describe_api_error, fail


def call(method: str, path: str, **kwargs: Any) -> Any:
    """One request with the default client; exits 1 on an API error, 3 when unreachable."""
    from flowyard.client import ApiError, FlowyardClient, ServerUnreachable

    try:
        with FlowyardClient() as client:
            return client.request(method, path, **kwargs)
    except ServerUnreachable as exc:
        fail(str(exc), code=3)
    except ApiError as exc:
        fail(describe_api_error(exc.detail, exc.errors))
