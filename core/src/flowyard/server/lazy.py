"""Routes installed on the first request that needs them (what a server start does not import).

A :class:`LazyRoutes` placeholder sits at the end of the app's routes. The first request it is
asked about (one whose path it claims) runs its installer, which adds the real routes to the same
app; the router then goes on to them in the same pass. So the web UI's page modules, templating
and static files are imported by the first page request, not by every server start, and an
API-only server never imports them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


class LazyRoutes(BaseRoute):
    """Calls ``install`` once, when a request whose path ``claims`` reaches it; never matches."""

    def __init__(self, install: Callable[[], None], claims: Callable[[str], bool]) -> None:
        self._install: Callable[[], None] | None = install
        self._claims = claims
        self._lock = threading.Lock()

    @property
    def installed(self) -> bool:
        """Whether the real routes have been added."""
        return self._install is None

    def ensure_installed(self) -> None:
        """Add the real routes now (idempotent; safe from several threads)."""
        with self._lock:
            install, self._install = self._install, None
        if install is not None:
            install()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Install on the first claimed request; the routes appended after this one then match."""
        if self._install is not None and scope["type"] == "http" and self._claims(scope["path"]):
            self.ensure_installed()
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """Never a URL of its own (the installed routes answer ``url_for``)."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        """Never called: :meth:`matches` never matches."""
        raise RuntimeError("LazyRoutes never handles a request")
