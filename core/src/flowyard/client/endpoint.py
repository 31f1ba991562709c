"""``@endpoint``: one definition per API route, a typed method on both clients.

A route is written once, as a function returning a :class:`~flowyard.client.call.Call`. Put in
:class:`~flowyard.client.api.Api` with ``@endpoint``, it becomes a method of the sync client that
returns the answer, and of the async client that returns a coroutine of it: mypy sees
``FlowyardClient().read_pool(name) -> WorkPool`` and
``AsyncFlowyardClient().read_pool(name) -> Coroutine[None, None, WorkPool]``.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from typing import Generic, ParamSpec, TypeVar, overload

from flowyard.client.call import Call

P = ParamSpec("P")
T = TypeVar("T")


class SyncTransport(ABC):
    """Sends a call and returns its answer (blocking)."""

    @abstractmethod
    def send(self, call: Call[T]) -> T:
        """Send ``call``; raise its typed error or ``ServerUnreachable``."""


class AsyncTransport(ABC):
    """Sends a call and returns its answer (asyncio)."""

    @abstractmethod
    async def send(self, call: Call[T]) -> T:
        """Send ``call``; raise its typed error or ``ServerUnreachable``."""


class endpoint(Generic[P, T]):  # lower case: it is used as a decorator
    """A route as a method: bound to a client, it builds the call and sends it."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        self.__wrapped__ = build

    @overload
    def __get__(self, client: None, owner: type[object]) -> endpoint[P, T]: ...

    @overload
    def __get__(self, client: SyncTransport, owner: type[object]) -> Callable[P, T]: ...

    @overload
    def __get__(
        self, client: AsyncTransport, owner: type[object]
    ) -> Callable[P, Coroutine[None, None, T]]: ...

    def __get__(self, client: object, owner: type[object]) -> object:
        if not isinstance(client, SyncTransport | AsyncTransport):
            return self
        build, send = self.build, client.send

        @functools.wraps(build)
        def method(*args: P.args, **kwargs: P.kwargs) -> object:
            return send(build(*args, **kwargs))

        return method
