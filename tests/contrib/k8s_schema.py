"""Validate Kubernetes manifests against the official client's models (kubernetes>=36,<37).

Each document is deserialised into the model of its kind (required fields are enforced by the
models' client-side validation) and serialised back; a field the schema does not know (a typo, a
wrong nesting level) is dropped on the way in, so the round trip no longer equals the input.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from kubernetes.client import ApiClient

MODELS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "Pod"): "V1Pod",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
}


class _Response:
    """The shape ``ApiClient.deserialize`` reads: JSON text in ``data``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.data = json.dumps(document)


def documents(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Every non-empty YAML document of a rendered chart."""
    docs: list[dict[str, Any]] = []
    for text in rendered.values():
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def validate(document: dict[str, Any]) -> None:
    """Raise ``AssertionError``/``ValueError`` unless ``document`` matches its kind's schema."""
    key = (document.get("apiVersion"), document.get("kind"))
    assert key in MODELS, f"no model for {key}"
    client = ApiClient()
    model = client.deserialize(_Response(document), MODELS[key])  # type: ignore[arg-type]
    round_trip = client.sanitize_for_serialization(model)
    assert round_trip == document, (
        f"{key[1]} {document['metadata'].get('name')}: fields outside the schema or of the wrong "
        f"type:\nrendered:   {document}\nvalidated:  {round_trip}"
    )
