"""Objects the emulator stores but does not act on: ConfigMaps, ServiceAccounts, Deployments,
Roles and RoleBindings (what the worker Helm chart renders).

They are created, read, listed (and watched) and deleted like any other object, with the same
metadata (``uid``, ``resourceVersion``, ``creationTimestamp``) and errors; no controller moves
them (a Deployment starts no pods, a Role grants nothing: the emulator has no RBAC).
"""

from __future__ import annotations

from dataclasses import dataclass

from flowyard_fakes.kubernetes.cluster import Cluster
from flowyard_fakes.kubernetes.errors import ApiError, not_found
from flowyard_fakes.kubernetes.store import Obj, random_suffix


@dataclass(frozen=True)
class StoredKind:
    """One namespaced resource type: its kind, API group/version, plural and client model."""

    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    model: str  # the official client's model class, e.g. "V1ConfigMap"

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``<group>/<version>`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def prefix(self) -> str:
        """The URL prefix of the group version: ``/api/v1`` or ``/apis/<group>/<version>``."""
        return f"/apis/{self.api_version}" if self.group else f"/api/{self.version}"

    @property
    def resource(self) -> str:
        """``<plural>.<group>`` as the API server names it in messages (``configmaps`` for core)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


STORED_KINDS = (
    StoredKind("ConfigMap", "", "v1", "configmaps", "V1ConfigMap"),
    StoredKind("ServiceAccount", "", "v1", "serviceaccounts", "V1ServiceAccount"),
    StoredKind("Deployment", "apps", "v1", "deployments", "V1Deployment"),
    StoredKind("Role", "rbac.authorization.k8s.io", "v1", "roles", "V1Role"),
    StoredKind("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", "V1RoleBinding"),
)


def create_object(cluster: Cluster, kind: StoredKind, namespace: str, body: Obj) -> Obj:
    """Store a validated object of ``kind`` in ``namespace`` (name from ``generateName`` if absent).

    :raises ApiError: 404 for an unknown namespace, 400 for a namespace that does not match the
        request's, 422 without a name, 409 ``AlreadyExists`` for a taken name.
    """
    cluster.check_namespace(namespace)
    meta = body.setdefault("metadata", {})
    if meta.get("namespace") not in (None, namespace):
        raise ApiError(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
        )
    name = meta.get("name")
    store = cluster.store
    if not name:
        prefix = meta.get("generateName")
        if not prefix:
            raise ApiError(
                422,
                "Invalid",
                f"{kind.kind} is invalid: metadata.name: Required value: "
                "name or generateName is required",
            )
        name = prefix + random_suffix()
        while store.exists(kind.kind, namespace, name):
            name = prefix + random_suffix()
    elif store.exists(kind.kind, namespace, name):
        details = {
            "name": name,
            "kind": kind.plural,
            **({"group": kind.group} if kind.group else {}),
        }
        raise ApiError(409, "AlreadyExists", f'{kind.resource} "{name}" already exists', details)
    meta.update(name=name, namespace=namespace)
    body.update(kind=kind.kind, apiVersion=kind.api_version)
    return store.create(kind.kind, body)


def read_object(cluster: Cluster, kind: StoredKind, namespace: str, name: str) -> Obj:
    """The stored object.

    :raises ApiError: 404 ``NotFound`` when it is not stored.
    """
    obj = cluster.store.get(kind.kind, namespace, name)
    if obj is None:
        raise not_found(kind.plural, name, kind.group)
    return obj


def delete_object(cluster: Cluster, kind: StoredKind, namespace: str, name: str) -> Obj:
    """Remove the object at once; answers a ``Success`` Status as the API server does.

    :raises ApiError: 404 ``NotFound`` when it is not stored.
    """
    obj = cluster.store.delete(kind.kind, namespace, name)
    if obj is None:
        raise not_found(kind.plural, name, kind.group)
    details = {"name": name, "kind": kind.plural, "uid": obj["metadata"]["uid"]}
    if kind.group:
        details["group"] = kind.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }
