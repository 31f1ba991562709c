"""Where clients connect by default, read without pydantic-settings."""

from __future__ import annotations

import ssl

import pytest
from flowyard.client import FlowyardClient
from flowyard.client.defaults import (
    DEFAULT_API_URL,
    default_api_key,
    default_api_url,
    tls_verify,
)
from flowyard.settings import Settings


def test_the_default_address_is_the_settings_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWYARD_API_URL", raising=False)
    assert default_api_url() == DEFAULT_API_URL == Settings().api_url


def test_the_variables_are_read_case_insensitively_like_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FLOWYARD_API_URL", raising=False)
    monkeypatch.setenv("flowyard_api_url", "http://elsewhere:1/api")
    assert default_api_url() == "http://elsewhere:1/api" == Settings().api_url


def test_an_empty_key_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWYARD_API_KEY", "")
    assert default_api_key() is None
    monkeypatch.setenv("FLOWYARD_API_KEY", "k-123")
    assert default_api_key() == "k-123"


def test_a_client_sends_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWYARD_API_KEY", "k-456")
    with FlowyardClient(api_url="http://127.0.0.1:1/api") as client:
        assert client._http.headers["Authorization"] == "Bearer k-456"


def test_https_shares_one_verifying_context_and_http_needs_none() -> None:
    first, second = tls_verify("https://a.example/api"), tls_verify("https://b.example/api")
    assert isinstance(first, ssl.SSLContext) and first is second
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert tls_verify("http://127.0.0.1:4200/api") is False
