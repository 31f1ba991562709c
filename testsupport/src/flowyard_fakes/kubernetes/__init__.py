"""A Kubernetes API emulator for tests: the official ``kubernetes`` client talks to it over loopback
HTTP, and every pod it creates runs as a real container on the local Docker engine.

What it serves (the paths the official client uses):

- ``batch/v1`` jobs: create (``metadata.name`` or ``generateName``), get, list, delete with
  ``propagationPolicy`` Foreground / Background / Orphan (the batch/v1 default) and
  ``gracePeriodSeconds``; ``ttlSecondsAfterFinished``; ``backoffLimit`` retries with a new pod.
- ``core/v1`` pods: list (label selectors incl. ``job-name`` / ``controller-uid``, field
  selectors), get, delete, ``/log`` with ``follow``/``tailLines``; events (list);
  secrets (create/get/delete, for ``secretKeyRef`` env).
- Stored, not acted on (what the worker Helm chart renders): ``core/v1`` configmaps and
  serviceaccounts, ``apps/v1`` deployments, ``rbac.authorization.k8s.io/v1`` roles and
  rolebindings: create, get, list (and watch), delete, with the same body validation, metadata
  and 404/409 Status errors. No controller runs for them: a Deployment starts no pods and a
  Role grants nothing (see :mod:`flowyard_fakes.kubernetes.resources`).
- ``?watch=true`` on every list: newline-delimited ``{"type", "object"}`` events with
  ``resourceVersion``s, synthetic ``ADDED`` events without one, ``timeoutSeconds``, and an
  ``ERROR`` event with a 410 ``Expired`` Status for a resourceVersion older than the retained
  history (:meth:`KubernetesEmulator.compact` forgets it, as etcd compaction does).
- Request bodies are validated by deserialising them into the client's models (``V1Job``,
  ``V1Secret``, ``V1Deployment``, ...); fields the models do not know are dropped, as a real
  server does.
- Pods move with their container: ``Pending`` (``ContainerCreating``; ``ErrImagePull`` then
  ``ImagePullBackOff`` while the image is not in the local engine — nothing is ever pulled;
  ``CreateContainerConfigError`` for a missing Secret) → ``Running`` → ``Succeeded``/``Failed``
  with ``terminated.exitCode`` and ``reason`` ``Completed``/``Error``/``OOMKilled``. Jobs get
  ``active``/``ready``/``succeeded``/``failed``, ``completionTime`` (success only) and the
  conditions ``SuccessCriteriaMet``+``Complete`` or ``FailureTarget``+``Failed``
  (``BackoffLimitExceeded``). Container ``command``/``args``/``env``/``resources.limits.memory``
  are honoured; loopback URLs in env values are rewritten to ``host.docker.internal`` so that a
  pod reaches services on the test host, and ``hostNetwork: true`` runs the container in the
  host's network (loopback URLs then work as they are).
- Bearer-token authentication when a token is set.

What it does NOT model: scheduling and nodes (every pod lands at once on one fake node; no
``Unschedulable``, taints, affinity, quotas, cpu limits), kubelet restarts (``restartPolicy:
OnFailure`` is treated like ``Never``: each retry is a new pod, ``restartCount`` stays 0),
image pulls from registries (``imagePullPolicy`` is ignored; only local images run), more than
one container per pod, init containers, volumes, probes, evictions by the node itself (a test
evicts with :meth:`KubernetesEmulator.evict`), ``activeDeadlineSeconds``,
parallel or indexed Jobs, RBAC (any token that matches is allowed everything), PATCH/PUT,
namespaces as objects (``default`` exists; add more with :meth:`KubernetesEmulator.add_namespace`),
bookmarks, and server-side apply.

Test hooks: :meth:`KubernetesEmulator.evict` fails a running pod as ``Evicted``,
:meth:`KubernetesEmulator.drop_watches` cuts every open watch connection abruptly
(mid-stream, no final chunk), :meth:`KubernetesEmulator.compact` makes older resourceVersions
answer 410 Gone.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from flowyard_fakes.containers import ContainerRunner
from flowyard_fakes.kubernetes.api import Api
from flowyard_fakes.kubernetes.cluster import Cluster
from flowyard_fakes.kubernetes.store import Obj, Store

__all__ = ["KubernetesEmulator"]

CONTEXT = "flowyard-fake"


class KubernetesEmulator:
    """Runs the emulator's HTTP server on loopback in a background thread.

    Use as a context manager; :attr:`url` is the API server URL, :meth:`write_kubeconfig`
    writes a kubeconfig for the official client, :attr:`token` is the bearer token it expects.
    Leaving the context removes every container the emulator started. ``host_network=True``
    runs every pod as if its spec said ``hostNetwork: true`` (for tests whose server listens on
    loopback and whose templates cannot be changed).
    """

    def __init__(
        self,
        token: str | None = "flowyard-fake-token",
        runner: ContainerRunner | None = None,
        host_network: bool = False,
    ) -> None:
        self.token = token
        self.instance = uuid.uuid4().hex
        self.store = Store()
        self.cluster = Cluster(self.store, runner or ContainerRunner(), self.instance)
        self.cluster.host_network = host_network
        self.api = Api(self.cluster, token)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> KubernetesEmulator:
        """Start serving (returns once the port accepts connections)."""
        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(
            self.api.app(), host="127.0.0.1", port=self.port, log_level="critical", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="k8s-emulator")
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Kubernetes emulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop serving and remove every container this emulator started."""
        self.cluster.shutdown()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> KubernetesEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def kubeconfig(self) -> dict[str, Any]:
        """A kubeconfig (as a dict) whose current context is this emulator."""
        user: dict[str, Any] = {"token": self.token} if self.token else {}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CONTEXT, "cluster": {"server": self.url}}],
            "users": [{"name": CONTEXT, "user": user}],
            "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT}}],
            "current-context": CONTEXT,
        }

    def write_kubeconfig(self, path: Path) -> Path:
        """Write :meth:`kubeconfig` as YAML to ``path``."""
        import yaml

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig()))
        return path

    # -- test hooks and inspection --------------------------------------------------------

    def drop_watches(self) -> None:
        """Cut every open watch connection abruptly (the client sees a broken chunked stream)."""
        clients = set(self.api.watch_clients)
        self.api.watch_generation += 1
        server, loop = self._server, self.api.loop
        if server is None or loop is None:
            return

        def abort() -> None:
            for connection in list(server.server_state.connections):
                if getattr(connection, "client", None) in clients:
                    connection.transport.abort()

        loop.call_soon_threadsafe(abort)

    def evict(self, pod_name: str, namespace: str = "default", message: str | None = None) -> None:
        """Evict a running pod (node pressure): its container is killed, the pod fails with
        ``status.reason: Evicted``."""
        self.cluster.evict(
            namespace,
            pod_name,
            message or "The node was low on resource: memory. Threshold quantity: 100Mi.",
        )

    def compact(self) -> int:
        """Forget the watch history: watches from an older resourceVersion get 410 Gone."""
        return self.store.compact()

    def add_namespace(self, name: str) -> None:
        """Make ``name`` an existing namespace (only ``default`` exists at first)."""
        self.cluster.namespaces.add(name)

    def jobs(self, namespace: str = "default") -> list[Obj]:
        """The Jobs currently stored in ``namespace``."""
        return self.store.select("Job", namespace)[0]

    def pods(self, namespace: str = "default", label_selector: str | None = None) -> list[Obj]:
        """The pods currently stored in ``namespace``."""
        return self.store.select("Pod", namespace, label_selector)[0]

    def container_ids(self) -> list[str]:
        """Ids of the Docker containers this emulator started that still exist."""
        return self.cluster.runner.ids_with_labels({"flowyard-fakes.kubernetes": self.instance})
