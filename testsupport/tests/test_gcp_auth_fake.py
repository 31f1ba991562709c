"""The Google fakes authenticate service-account keys as Google does, through google-auth itself:
the token endpoint verifies the JWT-bearer assertion's signature and issues a bearer token; with
``require_auth`` an API call needs that token (or a self-signed JWT of a trusted account)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from flowyard_fakes.cloud_run import CloudRunFake
from google.auth.transport.requests import Request
from google.oauth2 import service_account

pytestmark = pytest.mark.docker
PARENT = "projects/p/locations/us-central1"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


@pytest.fixture(scope="module")
def fake() -> Iterator[CloudRunFake]:
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    with CloudRunFake() as running:
        running.require_auth = True
        yield running


def test_google_auth_exchanges_a_key_for_a_token_the_api_accepts(fake: CloudRunFake) -> None:
    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        fake.service_account_key("p"), scopes=SCOPES
    )
    credentials.refresh(Request())
    answer = httpx.get(
        f"{fake.endpoint}/v2/{PARENT}/jobs",
        headers={"Authorization": f"Bearer {credentials.token}"},
    )
    assert answer.status_code == 200, answer.text
    assert fake.callers[-1] == "runner@p.iam.gserviceaccount.com"


def test_a_key_the_fake_does_not_trust_gets_no_token(fake: CloudRunFake) -> None:
    stranger = CloudRunFake().service_account_key("p", "stranger")  # another fake's account
    stranger["token_uri"] = fake.token_uri
    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        stranger, scopes=SCOPES
    )
    from google.auth.exceptions import RefreshError

    with pytest.raises(RefreshError, match="unknown service account"):
        credentials.refresh(Request())


def test_an_api_call_without_a_token_is_unauthenticated(fake: CloudRunFake) -> None:
    answer = httpx.get(f"{fake.endpoint}/v2/{PARENT}/jobs")
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_the_cloud_run_client_authenticates_with_a_self_signed_jwt_of_the_key(
    fake: CloudRunFake,
) -> None:
    """google-cloud clients sign their own JWT for a service account (always_use_jwt_access)."""
    from google.cloud import run_v2

    before = fake.auth.self_signed_calls
    credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        fake.service_account_key("p", "client"), scopes=SCOPES
    )
    client = run_v2.JobsClient(
        credentials=credentials, transport="rest", client_options={"api_endpoint": fake.endpoint}
    )
    assert list(client.list_jobs(parent=PARENT)) is not None
    assert fake.callers[-1] == "client@p.iam.gserviceaccount.com"
    assert fake.auth.self_signed_calls == before + 1
