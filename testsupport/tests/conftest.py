"""The Kubernetes emulator and an official client bound to it, shared by the emulator's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flowyard_fakes.images import skip_without_docker
from flowyard_fakes.kubernetes import KubernetesEmulator
from kubernetes import client


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubernetesEmulator]:
    """One emulator per test module (skipped when ``FLOWYARD_SKIP_DOCKER`` is set)."""
    skip_without_docker()
    with KubernetesEmulator() as fake:
        yield fake


@pytest.fixture(scope="module")
def api_client(emulator: KubernetesEmulator) -> client.ApiClient:
    """The official client's ``ApiClient`` with the emulator's URL and token."""
    configuration = client.Configuration(host=emulator.url)
    configuration.api_key = {"authorization": f"Bearer {emulator.token}"}
    return client.ApiClient(configuration)


@pytest.fixture
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    """The core/v1 API (pods, secrets, config maps, ...)."""
    return client.CoreV1Api(api_client)
