"""HTTP clients for the REST API: :class:`FlowyardClient` (sync) and :class:`AsyncFlowyardClient`."""

from flowyard.client.errors import ApiError, NotFoundError, ServerUnreachable
from flowyard.client.sync import FlowyardClient

__all__ = ["ApiError", "FlowyardClient", "NotFoundError", "ServerUnreachable"]
