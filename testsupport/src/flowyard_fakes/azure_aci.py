"""A fake Azure Resource Manager for Container Instances, on loopback TLS, running real containers.

:class:`AciFake` serves the ARM paths ``azure-mgmt-containerinstance`` calls, over HTTPS with a
self-signed certificate (:func:`self_signed_certificate`; azure-core refuses bearer tokens over
plain http), so the official client works against it unchanged when it trusts that certificate
(``REQUESTS_CA_BUNDLE``, or ``connection_verify=<ca file>``):

- ``PUT …/containerGroups/{g}``: answers 201 with ``provisioningState: Pending`` and an absolute
  ``Azure-AsyncOperation`` URL (``Retry-After: 1``); in the background the group's one container
  is started on the real Docker engine through :class:`flowyard_fakes.containers.ContainerRunner`.
  Started → the operation and ``provisioningState`` become ``Succeeded`` and the container's
  ``instanceView.currentState`` ``Running``; an image missing from the local engine (nothing is
  ever pulled) → the operation fails with ``InaccessibleImage``, ``provisioningState: Failed``,
  and the container stays ``Waiting`` with ``detailStatus: ErrImagePull`` and a ``Failed`` event
  naming the image, as ACI reports it. When the container exits it becomes ``Terminated`` with
  its ``exitCode`` and ``detailStatus`` ``Completed``/``Error``; the group's instance view state
  ``Succeeded``/``Failed`` (restart policy ``Never``).
- ``GET …/containerGroups/{g}``: the group with instance views; ``secureValue``s and registry
  passwords are never returned. 404 ``ResourceNotFound`` for an unknown group.
- ``DELETE …/containerGroups/{g}``: 202 with ``Azure-AsyncOperation``; the container is killed
  and removed, then the group is gone. 204 for an unknown group (ARM's answer).
- ``POST …/containerGroups/{g}/stop``: 204; the container is killed, the group kept ``Stopped``.
- ``GET …/containerGroups/{g}/containers/{c}/logs?tail=&timestamps=``: ``{"content": ...}``.
- ``GET …/operations/{id}`` (the async-operation URLs it hands out): ``{"status", "error"?}``.
- ``GET /subscriptions/{s}/resourcegroups/{rg}``: a resource group with the fake's location.
- ``GET /msi/token``: an App Service managed-identity endpoint. With ``IDENTITY_ENDPOINT`` and
  ``IDENTITY_HEADER`` from :meth:`AciFake.identity_env`, ``DefaultAzureCredential`` itself gets
  its token here, so code under test needs no test-only credential.
- Microsoft Entra ID for service principals (:meth:`AciFake.add_client` registers one;
  :attr:`AciFake.authority` is the authority host to give ``ClientSecretCredential`` together
  with ``disable_instance_discovery=True``, since MSAL would otherwise ask
  ``login.microsoftonline.com`` whether the authority is known):
  ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (the OpenID discovery document MSAL
  reads: ``token_endpoint``, ``authorization_endpoint``, ``issuer``) and
  ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``client_id``,
  ``client_secret`` and ``scope``: the pair must be registered in that tenant, else 401
  ``invalid_client`` (``AADSTS7000215``) or 400 for an unknown tenant (``AADSTS90002``); the
  answer is the ARM token (``token_type``, ``expires_in``, ``ext_expires_in``,
  ``access_token``). :attr:`AciFake.client_grants` counts tokens issued there.

Every ARM request must carry ``Authorization: Bearer <a token this fake issued>``
(:attr:`AciFake.token`; :class:`StaticTokenCredential` hands it to a client directly), else 401.

Not modelled: Entra ID beyond the client-credentials grant with a client secret (certificates,
federated tokens, authorization codes, refresh tokens, instance discovery, scopes checked only
for presence, one token for every principal and resource), ARM template deployments, subscriptions/resource groups as objects (any name is
accepted), quotas, locations and SKUs, networking (``subnetIds``, ``dnsConfig``, ``ipAddress`` are
stored and echoed, never applied; containers run in the host network when ``host_network`` is
set, so they reach a loopback server), GPUs, CPU limits, managed identities on the group, image
registries (credentials are stored, not used; images are never pulled), several containers per
group (only the first runs), restart policies other than ``Never``, ``start``/``restart``,
``PATCH``, listing, ``exec``/``attach``, log ``tail`` beyond a line count, and throttling.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flowyard_fakes.containers import ContainerRunner, ContainerSpec, ImageNotPresent

GROUP_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ContainerInstance/containerGroups/(?P<group>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
RG_PATH = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)$", re.IGNORECASE)
OPERATION_PATH = re.compile(r"^/subscriptions/[^/]+/providers/.+/operations/(?P<op>[^/]+)$")
OPENID_PATH = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
ENTRA_TOKEN_PATH = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
LOGS_REST = re.compile(r"^/containers/(?P<container>[^/]+)/logs$")
FAKE_LABEL = "flowyard-fakes.azure"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate for ``127.0.0.1``/``localhost`` and its key into ``directory``.

    :returns: ``(certificate, key)`` paths; the certificate is its own CA, so a client trusts the
        fake by pointing ``REQUESTS_CA_BUNDLE`` (or ``connection_verify``) at it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flowyard-fakes azure")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "aci-fake.crt", directory / "aci-fake.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class StaticTokenCredential:
    """An azure-core ``TokenCredential`` that always returns the same token (for tests)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """An ``AccessToken`` for any scope, valid for an hour."""
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> StaticTokenCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _Group:
    """One container group: the stored body, its state, its container."""

    def __init__(self, key: tuple[str, str, str], body: dict[str, Any], resource_id: str) -> None:
        self.key = key
        self.body = body
        self.resource_id = resource_id
        self.provisioning = "Pending"
        self.state = "Pending"  # the group's instanceView state
        self.container_id: str | None = None
        self.current: dict[str, Any] = {"state": "Waiting", "detailStatus": "Pending"}
        self.events: list[dict[str, Any]] = []
        self.deleting = False

    @property
    def container_name(self) -> str:
        containers = self.body["properties"].get("containers") or [{}]
        return str(containers[0].get("name") or "container")

    def event(self, name: str, message: str, kind: str = "Normal") -> None:
        self.events.append(
            {
                "count": 1,
                "firstTimestamp": _now(),
                "lastTimestamp": _now(),
                "name": name,
                "message": message,
                "type": kind,
            }
        )

    def view(self) -> dict[str, Any]:
        """The group as GET returns it (secrets stripped, instance views filled in)."""
        body = copy.deepcopy(self.body)
        props = body.setdefault("properties", {})
        props["provisioningState"] = self.provisioning
        props["instanceView"] = {"state": self.state, "events": []}
        for index, container in enumerate(props.get("containers") or []):
            cprops = container.setdefault("properties", {})
            for variable in cprops.get("environmentVariables") or []:
                variable.pop("secureValue", None)
            if index == 0:
                cprops["instanceView"] = {
                    "restartCount": 0,
                    "currentState": dict(self.current),
                    "events": list(self.events),
                }
        for credential in props.get("imageRegistryCredentials") or []:
            credential.pop("password", None)
        body["id"] = self.resource_id
        body["name"] = self.key[2]
        body["type"] = "Microsoft.ContainerInstance/containerGroups"
        return body


class AciFake:
    """The fake ARM endpoint; use as a context manager (see the module docstring).

    :param host_network: run containers in the host network (to reach a loopback server).
    :param location: the location resource groups report and groups default to.
    """

    def __init__(
        self,
        cert_dir: Path,
        *,
        host_network: bool = True,
        location: str = "westeurope",
        runner: ContainerRunner | None = None,
    ) -> None:
        import docker

        self.cert_path, self.key_path = self_signed_certificate(cert_dir)
        self.host_network = host_network
        self.location = location
        self.token = f"fake-aci-{uuid.uuid4().hex}"
        self.identity_header = uuid.uuid4().hex
        self.fake_id = uuid.uuid4().hex[:12]
        self._docker = docker.from_env()
        self.runner = runner or ContainerRunner(self._docker)
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, str, str], _Group] = {}
        self._operations: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.started_at: dict[str, str] = {}  # group name → the container's Docker StartedAt
        self._server: ThreadingHTTPServer | None = None
        self._principals: dict[tuple[str, str], str] = {}  # (tenant, client id) -> secret
        self.client_grants = 0

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``: the ``base_url`` for the management client."""
        assert self._server is not None, "the fake is not started"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> AciFake:
        """Serve on a free loopback port (TLS) in a daemon thread."""
        fake = self

        class Handler(_Handler):
            owner = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, name="aci-fake", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and remove every container this fake started."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        from docker.errors import APIError

        for container_id in self.runner.ids_with_labels({FAKE_LABEL: self.fake_id}):
            with contextlib.suppress(APIError):  # e.g. a removal already in progress
                self.runner.remove(container_id)

    def __enter__(self) -> AciFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def identity_env(self) -> dict[str, str]:
        """Environment for ``DefaultAzureCredential`` (managed identity) and the CA bundle."""
        return {
            "IDENTITY_ENDPOINT": f"{self.url}/msi/token",
            "IDENTITY_HEADER": self.identity_header,
            "REQUESTS_CA_BUNDLE": str(self.cert_path),
        }

    @property
    def authority(self) -> str:
        """The Entra authority host (``ClientSecretCredential(authority=...)``)."""
        return self.url

    def add_client(self, tenant_id: str, client_id: str, client_secret: str) -> None:
        """Register a service principal (an app's client secret) in ``tenant_id``."""
        with self._lock:
            self._principals[(tenant_id.lower(), client_id)] = client_secret

    def client_credentials_grant(self, tenant_id: str, form: dict[str, str]) -> tuple[int, Any]:
        """Entra's answer to a client-credentials token request (status, body)."""
        with self._lock:
            tenants = {tenant for tenant, _ in self._principals}
            secret = self._principals.get((tenant_id.lower(), form.get("client_id", "")))
        if tenant_id.lower() not in tenants:
            return 400, {
                "error": "invalid_request",
                "error_description": f"AADSTS90002: Tenant '{tenant_id}' not found.",
            }
        if form.get("grant_type") != "client_credentials" or not form.get("scope"):
            return 400, {
                "error": "invalid_request",
                "error_description": "AADSTS900144: grant_type client_credentials and a scope "
                "are required.",
            }
        if secret is None or form.get("client_secret") != secret:
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        with self._lock:
            self.client_grants += 1
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": self.token,
        }

    def openid_configuration(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's OpenID discovery document (the endpoints MSAL uses)."""
        base = f"{self.url}/{tenant_id}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "response_types_supported": ["code", "id_token", "token"],
            "tenant_region_scope": "EU",
        }

    # -- inspection for tests -------------------------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        """Every container group, as GET returns it."""
        with self._lock:
            return [g.view() for g in self._groups.values()]

    def stored_body(self, group_name: str) -> dict[str, Any] | None:
        """The body as the client sent it (secrets included), for assertions on the request."""
        with self._lock:
            for group in self._groups.values():
                if group.key[2] == group_name:
                    return copy.deepcopy(group.body)
        return None

    def container_ids(self) -> list[str]:
        """Ids of the Docker containers (running or not) this fake started and still has."""
        return self.runner.ids_with_labels({FAKE_LABEL: self.fake_id})

    # -- behaviour ------------------------------------------------------------------------

    def _operation(self, base: str, group: _Group) -> tuple[str, str]:
        op_id = uuid.uuid4().hex
        with self._lock:
            self._operations[op_id] = {"id": op_id, "status": "InProgress", "startTime": _now()}
        location = group.body.get("location") or self.location
        url = (
            f"{self.url}/subscriptions/{group.key[0]}/providers/Microsoft.ContainerInstance/"
            f"locations/{location}/operations/{op_id}?api-version=2023-05-01"
        )
        return op_id, url

    def _finish(
        self, op_id: str, error: dict[str, str] | None = None, status: str | None = None
    ) -> None:
        with self._lock:
            op = self._operations[op_id]
            op["status"] = status or ("Failed" if error else "Succeeded")
            op["endTime"] = _now()
            if error:
                op["error"] = error

    def create(self, key: tuple[str, str, str], body: dict[str, Any]) -> tuple[_Group, str]:
        """Store the group and start provisioning it; returns it and its operation URL."""
        sub, rg, name = key
        resource_id = (
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
            f"Microsoft.ContainerInstance/containerGroups/{name}"
        )
        body.setdefault("location", self.location)
        group = _Group(key, body, resource_id)
        with self._lock:
            self._groups[key] = group
        op_id, url = self._operation(sub, group)
        threading.Thread(
            target=self._provision, args=(group, op_id), name=f"aci-{name}", daemon=True
        ).start()
        return group, url

    def _spec(self, group: _Group) -> ContainerSpec:
        container = (group.body["properties"].get("containers") or [{}])[0]
        props = container.get("properties") or {}
        env: dict[str, str] = {}
        for variable in props.get("environmentVariables") or []:
            value = variable.get("value", variable.get("secureValue"))
            if value is not None:
                env[str(variable["name"])] = str(value)
        memory = ((props.get("resources") or {}).get("requests") or {}).get("memoryInGB")
        command = props.get("command")
        return ContainerSpec(
            name=f"aci-{group.key[2]}-{uuid.uuid4().hex[:6]}",
            image=str(props.get("image") or ""),
            command=[str(c) for c in command] if command else None,
            env=env,
            labels={FAKE_LABEL: self.fake_id, "flowyard-fakes.azure.group": group.key[2]},
            memory_limit_bytes=int(float(memory) * 1024**3) if memory else None,
            network_mode="host" if self.host_network else None,
        )

    def _provision(self, group: _Group, op_id: str) -> None:
        spec = self._spec(group)
        with self._lock:
            group.provisioning = "Creating"
            group.event("Pulling", f'pulling image "{spec.image}"')
        try:
            container_id = self.runner.start(spec)
        except ImageNotPresent:
            message = (
                f"The image '{spec.image}' in container group '{group.key[2]}' is not "
                "accessible. Please check the image and registry credential."
            )
            with self._lock:
                group.provisioning = "Failed"
                group.state = "Failed"
                group.current = {"state": "Waiting", "detailStatus": "ErrImagePull"}
                group.event("Failed", f'Failed to pull image "{spec.image}"', "Warning")
            self._finish(op_id, {"code": "InaccessibleImage", "message": message})
            return
        except Exception as exc:  # the engine refused the container
            with self._lock:
                group.provisioning = "Failed"
                group.state = "Failed"
                group.current = {"state": "Waiting", "detailStatus": "Error"}
                group.event("Failed", str(exc), "Warning")
            self._finish(op_id, {"code": "ContainerGroupDeploymentFailed", "message": str(exc)})
            return
        started = None
        with contextlib.suppress(Exception):  # removed meanwhile: no start time to record
            started = self.runner.state(container_id).started_at
        with self._lock:
            group.container_id = container_id
            deleted = group.deleting
            if started:
                self.started_at[group.key[2]] = started
        if deleted:  # deleted while starting: the delete may have missed the container
            self.runner.remove(container_id)
            self._finish(
                op_id, {"code": "Canceled", "message": "The group was deleted."}, "Canceled"
            )
            return
        with self._lock:
            group.provisioning = "Succeeded"
            group.state = "Running"
            group.current = {"state": "Running", "startTime": _now(), "detailStatus": ""}
            group.event("Pulled", f'Successfully pulled image "{spec.image}"')
            group.event("Started", "Started container")
        self._finish(op_id)
        exit_ = self.runner.wait(container_id)
        with self._lock:
            if group.deleting or group.state == "Stopped" or exit_ is None:
                return
            code = exit_.exit_code
            group.current = {
                "state": "Terminated",
                "startTime": group.current.get("startTime"),
                "finishTime": _now(),
                "exitCode": code,
                "detailStatus": "Completed" if code == 0 else "Error",
            }
            group.state = "Succeeded" if code == 0 else "Failed"

    def _kill(self, group: _Group) -> None:
        if group.container_id is not None:
            self.runner.stop(group.container_id, 0)

    def delete(self, key: tuple[str, str, str]) -> str | None:
        """Start deleting the group; returns the operation URL (None when it does not exist)."""
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                return None
            group.deleting = True
            group.provisioning = "Deleting"
        op_id, url = self._operation(key[0], group)

        def remove() -> None:
            self._kill(group)
            if group.container_id is not None:
                self.runner.remove(group.container_id)
            with self._lock:
                self._groups.pop(key, None)
            self._finish(op_id)

        threading.Thread(target=remove, name=f"aci-delete-{key[2]}", daemon=True).start()
        return url

    def stop_group(self, key: tuple[str, str, str]) -> bool:
        """Kill the group's container, keep the group (``Stopped``); False when it is unknown."""
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                return False
            group.state = "Stopped"
        self._kill(group)
        with self._lock:
            if group.current.get("state") != "Terminated":
                group.current = {
                    "state": "Terminated",
                    "startTime": group.current.get("startTime"),
                    "finishTime": _now(),
                    "exitCode": 137,
                    "detailStatus": "Killed",
                }
        return True

    def logs(self, key: tuple[str, str, str], tail: int | None, timestamps: bool) -> str | None:
        """The container's output as ACI returns it (None when the group is unknown)."""
        with self._lock:
            group = self._groups.get(key)
        if group is None:
            return None
        if group.container_id is None:
            return ""
        try:
            raw = self._docker.containers.get(group.container_id).logs(
                timestamps=timestamps, tail=tail if tail else "all"
            )
        except Exception:
            return ""
        return bytes(raw).decode("utf-8", "replace")

    def group(self, key: tuple[str, str, str]) -> _Group | None:
        with self._lock:
            return self._groups.get(key)

    def operation(self, op_id: str) -> dict[str, Any] | None:
        with self._lock:
            op = self._operations.get(op_id)
            return dict(op) if op else None


class _Handler(BaseHTTPRequestHandler):
    owner: AciFake
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    # -- plumbing -------------------------------------------------------------------------

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": code, "message": message}})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.owner.token}":
            return True
        self._error(401, "AuthenticationFailed", "Authentication failed: missing or unknown token.")
        return False

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.owner.requests.append((method, parts.path))
        try:
            if parts.path == "/msi/token":
                self._token(query)
                return
            if method == "GET" and (match := OPENID_PATH.match(parts.path)):
                self._send(200, self.owner.openid_configuration(match["tenant"]))
                return
            if method == "POST" and (match := ENTRA_TOKEN_PATH.match(parts.path)):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = {k: v[-1] for k, v in parse_qs(raw).items()}
                self._send(*self.owner.client_credentials_grant(match["tenant"], form))
                return
            if not self._authorized():
                return
            self._arm(method, parts.path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_POST(self) -> None:
        self._route("POST")

    # -- endpoints ------------------------------------------------------------------------

    def _token(self, query: dict[str, str]) -> None:
        if self.headers.get("X-IDENTITY-HEADER") != self.owner.identity_header:
            self._send(401, {"error": "invalid identity header"})
            return
        self._send(
            200,
            {
                "access_token": self.owner.token,
                "expires_on": str(int(time.time()) + 3600),
                "resource": query.get("resource", ""),
                "token_type": "Bearer",
            },
        )

    def _arm(self, method: str, path: str, query: dict[str, str]) -> None:
        fake = self.owner
        if method == "GET" and (match := OPERATION_PATH.match(path)):
            op = fake.operation(match["op"])
            if op is None:
                self._error(404, "OperationNotFound", f"operation {match['op']} not found")
            else:
                self._send(200, op, {"Retry-After": "1"} if op["status"] == "InProgress" else {})
            return
        if method == "GET" and (match := RG_PATH.match(path)):
            sub, rg = match["sub"], match["rg"]
            self._send(
                200,
                {
                    "id": f"/subscriptions/{sub}/resourceGroups/{rg}",
                    "name": rg,
                    "location": fake.location,
                    "properties": {"provisioningState": "Succeeded"},
                },
            )
            return
        match = GROUP_PATH.match(path)
        if match is None:
            self._error(404, "InvalidResourceType", f"no such resource path {path}")
            return
        key = (match["sub"], match["rg"], match["group"])
        rest = match["rest"] or ""
        if rest == "" and method == "PUT":
            self._create(key)
        elif rest == "" and method == "GET":
            group = fake.group(key)
            if group is None:
                self._not_found(key)
            else:
                self._send(200, group.view())
        elif rest == "" and method == "DELETE":
            url = fake.delete(key)
            if url is None:
                self._send(204)
            else:
                group = fake.group(key)
                self._send(
                    202,
                    group.view() if group else None,
                    {"Azure-AsyncOperation": url, "Retry-After": "1"},
                )
        elif rest == "/stop" and method == "POST":
            if fake.stop_group(key):
                self._send(204)
            else:
                self._not_found(key)
        elif method == "GET" and LOGS_REST.match(rest):
            tail = int(query["tail"]) if query.get("tail") else None
            content = fake.logs(key, tail, query.get("timestamps", "").lower() == "true")
            if content is None:
                self._not_found(key)
            else:
                self._send(200, {"content": content})
        else:
            self._error(405, "MethodNotAllowed", f"{method} {path} is not supported by the fake")

    def _not_found(self, key: tuple[str, str, str]) -> None:
        self._error(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.ContainerInstance/containerGroups/{key[2]}' under resource "
            f"group '{key[1]}' was not found.",
        )

    def _create(self, key: tuple[str, str, str]) -> None:
        body = self._body()
        problem = _invalid(body)
        if problem:
            self._error(400, "InvalidRequestContent", problem)
            return
        if self.owner.group(key) is not None:
            self._error(409, "Conflict", f"container group '{key[2]}' already exists")
            return
        group, url = self.owner.create(key, body)
        self._send(201, group.view(), {"Azure-AsyncOperation": url, "Retry-After": "1"})


def _invalid(body: Any) -> str | None:
    """Why ACI would refuse this body (None when it looks like a container group)."""
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        return "The request content is not a container group: 'properties' is missing."
    props = body["properties"]
    containers = props.get("containers")
    if not isinstance(containers, list) or not containers:
        return "The container group must have at least one container."
    for container in containers:
        cprops = container.get("properties") or {}
        if not container.get("name"):
            return "Every container needs a 'name'."
        if not cprops.get("image"):
            return f"The container '{container.get('name')}' has no 'image'."
        requests = (cprops.get("resources") or {}).get("requests") or {}
        if "cpu" not in requests or "memoryInGB" not in requests:
            return (
                f"The container '{container.get('name')}' needs resources.requests cpu/memoryInGB."
            )
    if props.get("osType") not in ("Linux", "Windows"):
        return "'osType' must be 'Linux' or 'Windows'."
    return None


@contextlib.contextmanager
def running_fake(cert_dir: Path, **kwargs: Any) -> Iterator[AciFake]:
    """``with running_fake(tmp) as fake:`` — an :class:`AciFake` started and stopped."""
    with AciFake(cert_dir, **kwargs) as fake:
        yield fake
