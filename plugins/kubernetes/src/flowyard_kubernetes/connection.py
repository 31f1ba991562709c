"""Which cluster to talk to: in-cluster service account, else a kubeconfig (and its context)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from flowyard.errors import InfrastructureNotAvailable

from flowyard_kubernetes.variables import ClusterConfig

SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def _kubeconfig_path(config: ClusterConfig) -> Path:
    if config.config_file:
        return Path(config.config_file).expanduser()
    env = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(env).expanduser() if env else Path.home() / ".kube" / "config"


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and SERVICE_ACCOUNT_TOKEN.exists()


def _new_client(config: ClusterConfig) -> Any:
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    context = config.context
    try:
        if config.config is not None:
            return kube_config.new_client_from_config_dict(config.config, context=context)
        if config.config_file is None and context is None and _in_cluster():
            configuration = client.Configuration()
            kube_config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration)
        path = _kubeconfig_path(config)
        if not path.exists():
            raise InfrastructureNotAvailable(
                "No Kubernetes configuration found: the worker is not inside a cluster "
                f"(no in-cluster service account: KUBERNETES_SERVICE_HOST unset or no token at "
                f"{SERVICE_ACCOUNT_TOKEN}) and there is no kubeconfig at {path}. Run the worker "
                "in a pod with a service account, or set KUBECONFIG / the cluster_config "
                "variable (config_file, config, context)."
            )
        return kube_config.new_client_from_config(config_file=str(path), context=context)
    except ConfigException as exc:
        where = "the inline kubeconfig" if config.config is not None else "the kubeconfig"
        hint = f" (context {context!r})" if context else ""
        raise InfrastructureNotAvailable(
            f"Cannot use {where}{hint}: {exc}. Check cluster_config.context against "
            "`kubectl config get-contexts`."
        ) from None


def api_client(config: ClusterConfig | None) -> Any:
    """A ``kubernetes.client.ApiClient`` for ``config`` (cached per configuration, thread-safe).

    Order: ``config.config`` (an inline kubeconfig) → the in-cluster service account when
    running in a pod and no file or context is named → the kubeconfig file
    (``config.config_file``, ``$KUBECONFIG``, ``~/.kube/config``) with ``config.context``.

    :raises InfrastructureNotAvailable: none of them exists, or the context is unknown.
    """
    config = config or ClusterConfig()
    path = _kubeconfig_path(config)
    stamp = path.stat().st_mtime_ns if path.exists() else None
    key = json.dumps([config.model_dump(), str(path), stamp, _in_cluster()], sort_keys=True)
    with _lock:
        cached = _clients.get(key)
        if cached is None:
            cached = _clients[key] = _new_client(config)
        return cached
