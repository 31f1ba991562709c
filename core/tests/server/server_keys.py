"""API keys for server tests, written straight into the test database."""

from __future__ import annotations

from flowyard.settings import Settings
from flowyard.testing.keys import insert_api_key


def add_key(settings: Settings, role: str) -> str:
    """A new API key of ``role`` on the database of ``settings``."""
    return insert_api_key(settings, role)
