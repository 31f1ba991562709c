"""UI sessions and CSRF protection.

- Session (only when ``FLOWYARD_SERVER_AUTH`` is on): logging in with an API key sets the cookie
  ``flowyard_session`` = ``<api key id>.<issued unix time>.<HMAC-SHA256>``. Every request checks
  the signature, the age (``SESSION_SECONDS``) and that the key still exists, so deleting a key
  ends its sessions. The key itself is never stored in the cookie.
- CSRF (always): a random token in the cookie ``flowyard_csrf`` (double submit); every form carries
  it in a hidden ``csrf`` field and every POST must echo it.

The signing secret is ``FLOWYARD_SERVER_UI_SECRET``; without it a random per-process secret is
used (sessions then end when the server restarts and are not shared between replicas).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from flowyard.server import tables as t
from flowyard.server.api.deps import GRANTS, Perm, Role, hash_key
from flowyard.server.services.context import ServerContext

SESSION_COOKIE = "flowyard_session"
CSRF_COOKIE = "flowyard_csrf"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the API key's name and role (``None`` name when auth is off)."""

    name: str | None
    role: Role

    def may(self, perm: Perm) -> bool:
        """Whether this viewer's role grants ``perm``."""
        return perm in GRANTS[self.role]


ANONYMOUS_ADMIN = Viewer(name=None, role=Role.admin)


class Signer:
    """HMAC signing of session values with the server's UI secret."""

    def __init__(self, secret: str | None) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()

    def sign(self, value: str) -> str:
        """``value`` followed by ``.`` and its signature."""
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()
        return f"{value}.{mac}"

    def unsign(self, signed: str) -> str | None:
        """The value if the signature is right, else None."""
        value, _, mac = signed.rpartition(".")
        expected = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()
        return value if value and hmac.compare_digest(mac, expected) else None


def login(ctx: ServerContext, signer: Signer, key: str) -> str | None:
    """A session cookie value for a valid API key, else None."""
    with ctx.db.read() as conn:
        key_id = conn.execute(
            sa.select(t.api_key.c.id).where(t.api_key.c.key_hash == hash_key(key.strip()))
        ).scalar()
    if key_id is None:
        return None
    return signer.sign(f"{key_id}.{int(time.time())}")


def viewer_for(ctx: ServerContext, signer: Signer, cookie: str | None) -> Viewer | None:
    """The viewer of a request: everyone is admin when auth is off; else the session's key."""
    if not ctx.settings.server_auth:
        return ANONYMOUS_ADMIN
    value = signer.unsign(cookie or "")
    if value is None:
        return None
    key_id, _, issued = value.partition(".")
    if not issued.isdigit() or time.time() - int(issued) > SESSION_SECONDS:
        return None
    with ctx.db.read() as conn:
        row = conn.execute(
            sa.select(t.api_key.c.name, t.api_key.c.role).where(t.api_key.c.id == key_id)
        ).first()
    return None if row is None else Viewer(name=row.name, role=Role(row.role))


def new_csrf_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    """The double-submit check: the form's token equals the cookie's."""
    return bool(cookie and submitted) and hmac.compare_digest(str(cookie), str(submitted))
