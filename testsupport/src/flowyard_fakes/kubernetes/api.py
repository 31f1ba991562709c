"""The emulator's HTTP API: the REST paths and watch streams the official ``kubernetes`` client uses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from flowyard_fakes.kubernetes.cluster import Cluster
from flowyard_fakes.kubernetes.errors import ApiError, not_found
from flowyard_fakes.kubernetes.resources import (
    STORED_KINDS,
    StoredKind,
    create_object,
    delete_object,
    read_object,
)
from flowyard_fakes.kubernetes.store import Gone, Obj, matches_fields, matches_labels

WATCH_POLL_SECONDS = 0.05


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


class Api:
    """Builds the FastAPI app over a :class:`Cluster`; holds the test hooks for watches."""

    def __init__(self, cluster: Cluster, token: str | None) -> None:
        from kubernetes.client import ApiClient

        self.cluster = cluster
        self.token = token
        self.watch_generation = 0
        self.watch_clients: set[tuple[str, int]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._models = ApiClient()

    # -- helpers --------------------------------------------------------------------------

    def validate(self, body: Any, model: str) -> Obj:
        """Deserialise ``body`` into the client's ``model`` and back: the canonical object.

        Fields the model does not know are dropped (as a real API server drops unknown fields
        with a warning); a missing required field or a wrong type is a 422 naming the field.
        """
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", f"the request body must be a {model[2:]} object")
        try:
            parsed = self._models.deserialize(SimpleNamespace(data=json.dumps(body)), model)
        except (ValueError, TypeError) as exc:
            raise ApiError(422, "Invalid", f"{model[2:]} is invalid: {exc}") from None
        clean: Obj = self._models.sanitize_for_serialization(parsed)
        return clean

    def _auth(self, request: Request) -> None:
        if self.token is None:
            return
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")

    def _list(
        self, kind: str, namespace: str | None, request: Request, api_version: str | None = None
    ) -> Response:
        q = request.query_params
        if _flag(q.get("watch")):
            peer = request.scope.get("client")
            return StreamingResponse(
                self._watch(kind, namespace, q, tuple(peer) if peer else None),
                media_type="application/json",
            )
        items, rv = self.cluster.store.select(
            kind, namespace, q.get("labelSelector"), q.get("fieldSelector")
        )
        api_version = api_version or ("batch/v1" if kind == "Job" else "v1")
        return JSONResponse(
            {
                "kind": f"{kind}List",
                "apiVersion": api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": items,
            }
        )

    async def _watch(
        self, kind: str, namespace: str | None, q: Any, peer: tuple[Any, ...] | None
    ) -> AsyncIterator[bytes]:
        self.loop = asyncio.get_running_loop()
        if peer is not None:
            self.watch_clients.add((str(peer[0]), int(peer[1])))
        try:
            async for chunk in self._watch_events(kind, namespace, q):
                yield chunk
        finally:
            if peer is not None:
                self.watch_clients.discard((str(peer[0]), int(peer[1])))

    async def _watch_events(self, kind: str, namespace: str | None, q: Any) -> AsyncIterator[bytes]:
        store = self.cluster.store
        labels, fields = q.get("labelSelector"), q.get("fieldSelector")
        timeout = q.get("timeoutSeconds")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(timeout) if timeout else None
        generation = self.watch_generation
        requested = q.get("resourceVersion")

        def wanted(obj: Obj) -> bool:
            return (
                (namespace is None or obj["metadata"].get("namespace") == namespace)
                and matches_labels(obj, labels)
                and matches_fields(obj, fields)
            )

        if requested in (None, "", "0"):
            items, last = store.select(kind, namespace, labels, fields)
            for item in items:
                yield (json.dumps({"type": "ADDED", "object": item}) + "\n").encode()
        else:
            last = int(requested)
        while True:
            if self.watch_generation != generation:
                return  # the connection itself is aborted by KubernetesEmulator.drop_watches
            try:
                changes = store.changes_since(kind, last)
            except Gone as gone:
                status = ApiError(410, "Expired", str(gone)).status()
                yield (json.dumps({"type": "ERROR", "object": status}) + "\n").encode()
                return
            for change in changes:
                last = change.rv
                if wanted(change.obj):
                    yield (json.dumps({"type": change.type, "object": change.obj}) + "\n").encode()
            if deadline is not None and loop.time() >= deadline:
                return
            await asyncio.sleep(WATCH_POLL_SECONDS)

    def _logs(self, namespace: str, name: str, request: Request) -> Response:
        q = request.query_params
        pod = self.cluster.store.get("Pod", namespace, name)
        if pod is None:
            raise not_found("pods", name)
        container = pod["spec"]["containers"][0]["name"]
        if q.get("container") not in (None, "", container):
            raise ApiError(
                400,
                "BadRequest",
                f"container {q.get('container')} is not valid for pod {name}",
            )
        run = self.cluster.pod_run(namespace, name)
        if run is None or run.container_id is None:
            reason = run.waiting_reason if run is not None else "ContainerCreating"
            raise ApiError(
                400,
                "BadRequest",
                f'container "{container}" in pod "{name}" is waiting to start: {reason}',
            )
        runner, container_id = self.cluster.runner, run.container_id
        tail = q.get("tailLines")
        if _flag(q.get("follow")):

            def follow() -> Iterator[bytes]:
                try:
                    yield from runner.logs(container_id, follow=True)
                except Exception:  # the container was removed while following
                    return

            return StreamingResponse(follow(), media_type="text/plain")
        try:
            text = b"".join(runner.logs(container_id, follow=False)).decode(errors="replace")
        except Exception:
            text = ""
        if tail:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(tail) :]) if int(tail) > 0 else ""
        return PlainTextResponse(text)

    # -- the app --------------------------------------------------------------------------

    def app(self) -> FastAPI:
        """The ASGI app with every route."""
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        cluster = self.cluster
        store = cluster.store

        @app.exception_handler(ApiError)
        async def api_error(_: Request, exc: ApiError) -> JSONResponse:
            return JSONResponse(exc.status(), status_code=exc.code)

        @app.middleware("http")
        async def authenticate(request: Request, call_next: Any) -> Response:
            try:
                self._auth(request)
            except ApiError as exc:
                return JSONResponse(exc.status(), status_code=exc.code)
            response: Response = await call_next(request)
            return response

        @app.get("/version")
        async def version() -> Obj:
            return {
                "major": "1",
                "minor": "31",
                "gitVersion": "v1.31.0-flowyard-fake",
                "platform": "linux/amd64",
            }

        # batch/v1 jobs
        @app.post("/apis/batch/v1/namespaces/{namespace}/jobs", status_code=201)
        async def create_job(namespace: str, request: Request) -> JSONResponse:
            job = self.validate(await request.json(), "V1Job")
            created = await asyncio.to_thread(cluster.create_job, namespace, job)
            return JSONResponse(created, status_code=201)

        @app.get("/apis/batch/v1/namespaces/{namespace}/jobs")
        async def list_jobs(namespace: str, request: Request) -> Response:
            return self._list("Job", namespace, request)

        @app.get("/apis/batch/v1/jobs")
        async def list_all_jobs(request: Request) -> Response:
            return self._list("Job", None, request)

        @app.get("/apis/batch/v1/namespaces/{namespace}/jobs/{name}")
        async def read_job(namespace: str, name: str) -> Obj:
            job = store.get("Job", namespace, name)
            if job is None:
                raise not_found("jobs", name, "batch")
            return job

        @app.delete("/apis/batch/v1/namespaces/{namespace}/jobs/{name}")
        async def delete_job(namespace: str, name: str, request: Request) -> Obj:
            policy, grace = await self._delete_options(request)
            return await asyncio.to_thread(cluster.delete_job, namespace, name, policy, grace)

        # core/v1 pods
        @app.get("/api/v1/namespaces/{namespace}/pods")
        async def list_pods(namespace: str, request: Request) -> Response:
            return self._list("Pod", namespace, request)

        @app.get("/api/v1/pods")
        async def list_all_pods(request: Request) -> Response:
            return self._list("Pod", None, request)

        @app.get("/api/v1/namespaces/{namespace}/pods/{name}")
        async def read_pod(namespace: str, name: str) -> Obj:
            pod = store.get("Pod", namespace, name)
            if pod is None:
                raise not_found("pods", name)
            return pod

        @app.delete("/api/v1/namespaces/{namespace}/pods/{name}")
        async def delete_pod(namespace: str, name: str, request: Request) -> Obj:
            _, grace = await self._delete_options(request)
            return await asyncio.to_thread(cluster.delete_pod, namespace, name, grace)

        @app.get("/api/v1/namespaces/{namespace}/pods/{name}/log")
        async def pod_log(namespace: str, name: str, request: Request) -> Response:
            return await asyncio.to_thread(self._logs, namespace, name, request)

        # core/v1 events
        @app.get("/api/v1/namespaces/{namespace}/events")
        async def list_events(namespace: str, request: Request) -> Response:
            return self._list("Event", namespace, request)

        @app.get("/api/v1/events")
        async def list_all_events(request: Request) -> Response:
            return self._list("Event", None, request)

        # core/v1 secrets (for API keys passed by reference)
        @app.post("/api/v1/namespaces/{namespace}/secrets", status_code=201)
        async def create_secret(namespace: str, request: Request) -> JSONResponse:
            secret = self.validate(await request.json(), "V1Secret")
            return JSONResponse(cluster.create_secret(namespace, secret), status_code=201)

        @app.get("/api/v1/namespaces/{namespace}/secrets/{name}")
        async def read_secret(namespace: str, name: str) -> Obj:
            secret = store.get("Secret", namespace, name)
            if secret is None:
                raise not_found("secrets", name)
            return secret

        @app.delete("/api/v1/namespaces/{namespace}/secrets/{name}")
        async def delete_secret(namespace: str, name: str) -> Obj:
            secret = store.delete("Secret", namespace, name)
            if secret is None:
                raise not_found("secrets", name)
            return secret

        # stored-only kinds (ConfigMap, ServiceAccount, Deployment, Role, RoleBinding)
        for kind in STORED_KINDS:
            self._stored_routes(app, kind)

        return app

    def _stored_routes(self, app: FastAPI, kind: StoredKind) -> None:
        """create/get/list(/watch)/delete for one kind that is stored but not acted on."""
        cluster = self.cluster
        collection = f"{kind.prefix}/namespaces/{{namespace}}/{kind.plural}"

        async def create(namespace: str, request: Request) -> JSONResponse:
            body = self.validate(await request.json(), kind.model)
            return JSONResponse(create_object(cluster, kind, namespace, body), status_code=201)

        async def list_namespaced(namespace: str, request: Request) -> Response:
            return self._list(kind.kind, namespace, request, kind.api_version)

        async def list_all(request: Request) -> Response:
            return self._list(kind.kind, None, request, kind.api_version)

        async def read(namespace: str, name: str) -> Obj:
            return read_object(cluster, kind, namespace, name)

        async def delete(namespace: str, name: str) -> Obj:
            return delete_object(cluster, kind, namespace, name)

        app.post(collection, status_code=201)(create)
        app.get(collection)(list_namespaced)
        app.get(f"{kind.prefix}/{kind.plural}")(list_all)
        app.get(f"{collection}/{{name}}")(read)
        app.delete(f"{collection}/{{name}}")(delete)

    async def _delete_options(self, request: Request) -> tuple[str | None, int | None]:
        q = request.query_params
        policy = q.get("propagationPolicy")
        grace = q.get("gracePeriodSeconds")
        body = await request.body()
        if body:
            try:
                options = json.loads(body)
            except ValueError:
                options = {}
            policy = options.get("propagationPolicy") or policy
            if options.get("gracePeriodSeconds") is not None:
                grace = str(options["gracePeriodSeconds"])
        if policy not in (None, "Foreground", "Background", "Orphan"):
            raise ApiError(
                400,
                "BadRequest",
                f"propagationPolicy {policy!r}: use Foreground, Background or Orphan",
            )
        return policy, int(grace) if grace is not None else None
