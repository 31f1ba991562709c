"""The ACI fake through the official client: TLS, bearer tokens, the LRO, real containers."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flowyard_fakes.azure_aci import AciFake, StaticTokenCredential

pytestmark = pytest.mark.docker
IMAGE = "flowyard-python-base:bookworm"
RG = "rg-1"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AciFake]:
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    with AciFake(tmp_path_factory.mktemp("tls"), host_network=False) as started:
        yield started


def client(fake: AciFake, token: str | None = None) -> Any:
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

    return ContainerInstanceManagementClient(
        StaticTokenCredential(token or fake.token),
        "sub-1",
        base_url=fake.url,
        connection_verify=str(fake.cert_path),
        polling_interval=0.2,
    )


def group(command: list[str], image: str = IMAGE, secret: str = "s3cret") -> Any:
    from azure.mgmt.containerinstance import models

    return models.ContainerGroup(
        location="westeurope",
        os_type="Linux",
        restart_policy="Never",
        containers=[
            models.Container(
                name="main",
                image=image,
                command=command,
                resources=models.ResourceRequirements(
                    requests=models.ResourceRequests(cpu=1.0, memory_in_gb=0.5)
                ),
                environment_variables=[
                    models.EnvironmentVariable(name="KEY", secure_value=secret),
                    models.EnvironmentVariable(name="PLAIN", value="p"),
                ],
            )
        ],
    )


def terminated(aci: Any, name: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = aci.container_groups.get(RG, name)
        state = found.containers[0].instance_view.current_state
        if state.state == "Terminated":
            return found
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def test_a_group_runs_its_container_to_the_exit_code_with_its_logs(fake: AciFake) -> None:
    aci = client(fake)

    created = aci.container_groups.begin_create_or_update(
        RG, "g-exit", group(["sh", "-c", 'echo "key=$KEY"; exit 4'])
    ).result()

    assert created.provisioning_state == "Succeeded"
    found = terminated(aci, "g-exit")
    assert found.containers[0].instance_view.current_state.exit_code == 4
    assert found.containers[0].instance_view.current_state.detail_status == "Error"
    assert aci.containers.list_logs(RG, "g-exit", "main").content.strip() == "key=s3cret"
    aci.container_groups.begin_delete(RG, "g-exit").result()


def test_secure_values_are_never_returned(fake: AciFake) -> None:
    aci = client(fake)
    aci.container_groups.begin_create_or_update(RG, "g-secret", group(["true"])).result()

    env = aci.container_groups.get(RG, "g-secret").containers[0].environment_variables

    assert [(e.name, e.value, e.secure_value) for e in env] == [
        ("KEY", None, None),
        ("PLAIN", "p", None),
    ]
    aci.container_groups.begin_delete(RG, "g-secret").result()


def test_a_missing_image_fails_the_operation_like_aci(fake: AciFake) -> None:
    from azure.core.exceptions import HttpResponseError

    aci = client(fake)
    poller = aci.container_groups.begin_create_or_update(
        RG, "g-missing", group(["true"], image="nowhere.example/none:1")
    )

    with pytest.raises(HttpResponseError, match="InaccessibleImage"):
        poller.result()
    view = aci.container_groups.get(RG, "g-missing").containers[0].instance_view
    assert view.current_state.detail_status == "ErrImagePull"
    assert any("nowhere.example/none:1" in e.message for e in view.events)
    aci.container_groups.begin_delete(RG, "g-missing").result()


def test_delete_removes_the_group_and_its_container(fake: AciFake) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    aci = client(fake)
    aci.container_groups.begin_create_or_update(RG, "g-del", group(["sleep", "60"])).result()
    assert fake.container_ids()

    aci.container_groups.begin_delete(RG, "g-del").result()

    with pytest.raises(ResourceNotFoundError):
        aci.container_groups.get(RG, "g-del")
    assert fake.container_ids() == []


def test_an_unknown_token_is_refused(fake: AciFake) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    with pytest.raises(ClientAuthenticationError, match="AuthenticationFailed"):
        client(fake, token="forged").container_groups.get(RG, "anything")


def test_the_certificate_is_for_loopback(tmp_path: Path) -> None:
    from cryptography import x509
    from flowyard_fakes.azure_aci import self_signed_certificate

    cert_path, _ = self_signed_certificate(tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert "localhost" in names.get_values_for_type(x509.DNSName)


TENANT = "11111111-2222-3333-4444-555555555555"


def client_secret_credential(fake: AciFake, secret: str) -> Any:
    from azure.identity import ClientSecretCredential

    return ClientSecretCredential(
        TENANT,
        "app-1",
        secret,
        authority=fake.authority,
        disable_instance_discovery=True,
        connection_verify=str(fake.cert_path),
    )


def test_client_secret_credential_gets_a_token_arm_accepts(fake: AciFake) -> None:
    fake.add_client(TENANT, "app-1", "the-client-secret")
    token = client_secret_credential(fake, "the-client-secret").get_token(f"{fake.url}/.default")
    assert token.token == fake.token
    assert fake.client_grants >= 1


def test_a_wrong_client_secret_gets_no_token(fake: AciFake) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    fake.add_client(TENANT, "app-1", "the-client-secret")
    with pytest.raises(ClientAuthenticationError, match="7000215"):
        client_secret_credential(fake, "not-it").get_token(f"{fake.url}/.default")
