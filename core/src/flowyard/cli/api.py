"""Call the API from a command: errors become the server's message and meaningful exit codes.

The client (and the pydantic models it returns) is imported only when a command calls the API,
so ``flowyard --help`` stays fast. Commands that only print what they read (and ``deployment
run``) use :func:`plain` instead: plain JSON over the standard library, without httpx, pydantic or
the API models (~0.2 s less start-up); the server still validates every body they send.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from flowyard.cli.output import describe_api_error, fail

if TYPE_CHECKING:
    from pydantic import BaseModel

    from flowyard.client import FlowyardClient
    from flowyard.client.plain import PlainClient

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


def body(model: type[M], fields: Mapping[str, object]) -> M:
    """A request body of the given fields; one the server would refuse exits 1 naming each field."""
    import pydantic

    from flowyard.client.errors import invalid_body

    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as exc:
        fail(str(invalid_body("request", exc)))


def call(operation: Callable[[FlowyardClient], T]) -> T:
    """Run ``operation`` (e.g. ``lambda api: api.read_pool(name)``) with the default client.

    Exits 1 with the server's message (each field error once) on an API error, 3 when the server
    cannot be reached.
    """
    from flowyard.client import FlowyardClient

    with _failing_on_api_errors(), FlowyardClient() as client:
        return operation(client)


def plain(operation: Callable[[PlainClient], T]) -> T:
    """Like :func:`call`, with the plain JSON client (``lambda api: api.get("/work_pools")``)."""
    from flowyard.client.plain import PlainClient

    with _failing_on_api_errors(), PlainClient() as client:
        return operation(client)


@contextlib.contextmanager
def _failing_on_api_errors() -> Iterator[None]:
    """An API error exits 1 with the server's message; an unreachable server exits 3."""
    from flowyard.client.errors import ApiError, ServerUnreachable

    try:
        yield
    except ServerUnreachable as exc:
        fail(str(exc), code=3)
    except ApiError as exc:
        fail(describe_api_error(exc.detail, exc.errors))
