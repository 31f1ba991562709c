"""Plugin manager: lazy entry-point discovery and per-type hook dispatch.

Listing types reads entry-point metadata only. A worker type's module is imported the first time
that type is used (``WorkerTypes.hooks("docker")``); ``flowyard.plugins`` entry points are loaded
at the same moment so their wrappers surround every type. A plugin that fails to import, or
breaks the contract, raises :class:`flowyard.errors.PluginError` naming the plugin and its
distribution, and leaves every other type usable.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from flowyard import hookspecs
from flowyard.errors import PluginError

WORKERS_GROUP = "flowyard.workers"
PLUGINS_GROUP = "flowyard.plugins"
_WORKER_PREFIX = "worker:"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstalledType:
    """A worker type found in entry-point metadata (its module is not imported)."""

    name: str
    module: str
    distribution: str | None
    version: str | None


def _distribution_of(ep: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


class TypeHooks:
    """The hooks of one worker type: each attribute call reaches only that type (plus wrappers)."""

    def __init__(self, pm: pluggy.PluginManager, plugin_name: str, info: InstalledType) -> None:
        self._pm = pm
        self._plugin_name = plugin_name
        self.info = info
        self._built_for: frozenset[str] = frozenset()
        self._cache: dict[str, Any] = {}

    @property
    def _callers(self) -> dict[str, Any]:
        """Hook callers excluding every other worker type, rebuilt when the plugin set changes."""
        registered = frozenset(name for name, _ in self._pm.list_name_plugin() if name)
        if registered != self._built_for:
            others = [
                p
                for n, p in self._pm.list_name_plugin()
                if n and n.startswith(_WORKER_PREFIX) and n != self._plugin_name
            ]
            self._cache = {
                name: self._pm.subset_hook_caller(name, remove_plugins=others)
                for name in (
                    "default_base_job_template",
                    "render",
                    "submit",
                    "observe",
                    "kill",
                    "build_image",
                )
            }
            self._built_for = registered
        return self._cache

    def implements(self, hook: str) -> bool:
        """Whether this type itself (not a wrapper) implements ``hook``."""
        plugin = self._pm.get_plugin(self._plugin_name)
        return any(
            impl.plugin is plugin and not (impl.hookwrapper or impl.wrapper)
            for impl in self._callers[hook].get_hookimpls()
        )

    def default_base_job_template(self, *, validate: bool = True) -> dict[str, Any]:
        """This type's default template, checked for shape (and validity unless ``validate=False``)."""
        from flowyard.errors import InvalidBaseJobTemplate
        from flowyard.templating import validate_base_job_template

        result = self._callers["default_base_job_template"]()
        if not isinstance(result, dict):
            raise PluginError(
                self.info.name,
                self.info.distribution,
                f"returned {type(result).__name__} from default_base_job_template(); "
                "expected a dict with 'job_configuration' and 'variables'.",
            )
        if not validate:
            if {"job_configuration", "variables"} <= set(result):
                return result
            raise PluginError(
                self.info.name,
                self.info.distribution,
                "returned a default template without 'job_configuration' and 'variables'.",
            )
        try:
            validate_base_job_template(result)
        except InvalidBaseJobTemplate as exc:
            raise PluginError(
                self.info.name,
                self.info.distribution,
                f"returned an invalid default template: {exc}",
            ) from exc
        return result

    def render(self, configuration: dict[str, Any], flow_run: Any) -> Any:
        """Render a configuration into the type's job spec (a pydantic model)."""
        from pydantic import BaseModel

        result = self._callers["render"](configuration=configuration, flow_run=flow_run)
        if not isinstance(result, BaseModel):
            raise PluginError(
                self.info.name,
                self.info.distribution,
                f"returned {type(result).__name__} from render(); expected a pydantic model.",
            )
        return result

    def submit(self, job: Any, flow_run: Any) -> Any:
        """Submit a rendered job; returns a :class:`flowyard.job.Submission`."""
        from flowyard.job import Submission

        result = self._callers["submit"](job=job, flow_run=flow_run)
        if not isinstance(result, Submission):
            raise PluginError(
                self.info.name,
                self.info.distribution,
                f"returned {type(result).__name__} from submit(); expected flowyard.job.Submission.",
            )
        return result

    def observe(self, job: Any, submission: Any, flow_run: Any) -> Any:
        """Wait for the infrastructure to finish (None when the type cannot observe)."""
        if not self.implements("observe"):
            return None
        return self._callers["observe"](job=job, submission=submission, flow_run=flow_run)

    def kill(
        self, infrastructure_id: str, configuration: dict[str, Any], grace_seconds: float
    ) -> None:
        """Stop the infrastructure; raises NotImplementedError when the type has no kill hook."""
        if not self.implements("kill"):
            raise NotImplementedError(f"worker type {self.info.name!r} cannot kill infrastructure")
        self._callers["kill"](
            infrastructure_id=infrastructure_id,
            configuration=configuration,
            grace_seconds=grace_seconds,
        )

    def build_image(self, **kwargs: Any) -> str:
        """Build a deployment image; raises NotImplementedError when the type cannot build images."""
        if not self.implements("build_image"):
            raise NotImplementedError(f"worker type {self.info.name!r} cannot build images")
        return str(self._callers["build_image"](**kwargs))


class WorkerTypes:
    """Discovers worker types from entry points and hands out per-type hook callers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._cross_cutting_loaded = False
        self._hooks: dict[str, TypeHooks] = {}
        self.plugin_errors: dict[str, str] = {}

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager (for tests and advanced embedding)."""
        return self._pm

    def installed(self) -> dict[str, InstalledType]:
        """Installed worker types, read from entry-point metadata without importing them."""
        found: dict[str, InstalledType] = {}
        for ep in entry_points(group=WORKERS_GROUP):
            dist, version = _distribution_of(ep)
            found.setdefault(ep.name, InstalledType(ep.name, ep.value, dist, version))
        return found

    def refresh(self) -> None:
        """Forget cached metadata so types installed since start-up are found (after a pip install)."""
        importlib.invalidate_caches()
        with self._lock:
            self._cross_cutting_loaded = False

    def _load_cross_cutting(self) -> None:
        if self._cross_cutting_loaded:
            return
        for ep in entry_points(group=PLUGINS_GROUP):
            name = f"plugin:{ep.name}"
            if self._pm.has_plugin(name):
                continue
            dist, _ = _distribution_of(ep)
            try:
                self._pm.register(ep.load(), name=name)
            except Exception as exc:
                msg = f"failed to load: {type(exc).__name__}: {exc}"
                self.plugin_errors[name] = str(PluginError(ep.name, dist, msg))
                log.warning("%s", self.plugin_errors[name])
        self._cross_cutting_loaded = True

    def hooks(self, worker_type: str) -> TypeHooks:
        """The hook caller for one installed type, importing its module on first use.

        :raises KeyError: the type is not installed (see :mod:`flowyard.registry` for known types).
        :raises PluginError: the type's module failed to import or registered no hooks.
        """
        with self._lock:
            if worker_type in self._hooks:
                return self._hooks[worker_type]
            info = self.installed().get(worker_type)
            if info is None:
                raise KeyError(worker_type)
            self._load_cross_cutting()
            name = _WORKER_PREFIX + worker_type
            try:
                module = importlib.import_module(info.module.split(":")[0])
            except Exception as exc:
                raise PluginError(
                    worker_type,
                    info.distribution,
                    f"failed to import {info.module!r}: {type(exc).__name__}: {exc}",
                ) from exc
            if not self._pm.has_plugin(name):
                try:
                    self._pm.register(module, name=name)
                except Exception as exc:
                    raise PluginError(
                        worker_type, info.distribution, f"does not follow the hook contract: {exc}"
                    ) from exc
            hooks = TypeHooks(self._pm, name, info)
            if not hooks.implements("default_base_job_template"):
                raise PluginError(
                    worker_type,
                    info.distribution,
                    f"module {info.module!r} implements no default_base_job_template hook.",
                )
            self._hooks[worker_type] = hooks
            return hooks


_default: WorkerTypes | None = None


def worker_types() -> WorkerTypes:
    """The process-wide :class:`WorkerTypes` instance."""
    global _default
    if _default is None:
        _default = WorkerTypes()
    return _default
