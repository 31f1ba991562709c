"""One API call, described as data: the route, the body, how to read the answer.

Both clients send the same :class:`Call` objects (built by :mod:`flowyard.client.api`); only how
they send them differs (:mod:`flowyard.client.sync`, :mod:`flowyard.client.aio`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, JsonValue

from flowyard.client._httpx import httpx
from flowyard.client.errors import NotFoundError, error_for

T = TypeVar("T")
Body = BaseModel | Sequence[BaseModel] | None
Params = Mapping[str, str | int | float]


def segment(value: str) -> str:
    """A name or id made safe for one path segment."""
    return quote(value, safe="")


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request (``method path`` with a pydantic ``body``) and the parser of its JSON answer.

    ``not_found`` is raised for a 404 that the server did not type itself; ``retry`` is False for
    calls whose caller retries on its own terms (the worker's long-poll claims); ``repeatable``
    marks a write the server answers the same way when it arrives twice (a state proposal: a
    repeated RUNNING with the run's claim is accepted again, a repeated final state is refused
    without a second state), so a client may resend it after a connection broke mid-request.
    """

    method: str
    path: str
    parse: Callable[[JsonValue], T]
    body: Body = None
    params: Params | None = None
    not_found: type[NotFoundError] = NotFoundError
    retry: bool = True
    repeatable: bool = False

    def json(self) -> JsonValue:
        """The body as JSON: only the fields that were set, so a PATCH changes only those."""
        if self.body is None:
            return None
        if isinstance(self.body, BaseModel):
            return self._dump(self.body)
        return [self._dump(item) for item in self.body]

    @staticmethod
    def _dump(model: BaseModel) -> JsonValue:
        data: JsonValue = model.model_dump(mode="json", exclude_unset=True)
        return data

    def result(self, response: httpx.Response) -> T:
        """The parsed answer, or the typed :class:`~flowyard.client.errors.ApiError` it stands for."""
        if not response.is_success:
            raise error_for(response, self.not_found)
        data: JsonValue = (
            None if response.status_code == 204 or not response.content else response.json()
        )
        return self.parse(data)
