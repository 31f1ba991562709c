"""Credentials: application default credentials unless a key is referenced; keys stay out of jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flowyard_gcp.credentials import GcpCredentials, resolve


def test_a_missing_key_variable_is_an_error_naming_the_field_and_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GCP_KEY_FOR_TEST", raising=False)

    with pytest.raises(ValueError, match=r"service_account_info_env.*GCP_KEY_FOR_TEST"):
        resolve(GcpCredentials(service_account_info_env="GCP_KEY_FOR_TEST"), "p")


def test_a_key_file_that_is_not_a_service_account_key_is_refused_without_echoing_it(
    tmp_path: Path,
) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "authorized_user", "secret": "s3cr3t-value"}))

    with pytest.raises(ValueError) as caught:
        resolve(GcpCredentials(service_account_file=str(key)), "p")

    assert "not a service-account key" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


def test_anonymous_credentials_need_a_project(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="project is not set"):
        resolve(GcpCredentials(anonymous=True), None)


def test_anonymous_credentials_take_the_configured_project() -> None:
    _, project = resolve(GcpCredentials(anonymous=True, project="proj-9"), None)

    assert project == "proj-9"
