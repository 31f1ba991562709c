"""Plugin manager: lazy entry-point discovery and per-type hook dispatch.

Listing types reads entry-point metadata only. A worker type's module is imported the first time
that type is used (``WorkerTypes.hooks("docker")``); ``flowyard.plugins`` entry points are loaded
at the same moment so their wrappers surround every type. A plugin that fails to import, or
breaks the contract, raises :class:`flowyard.errors.PluginError` naming the plugin and its
distribution, and leaves every other type usable.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import logging
import threading
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from flowyard import hookspecs
from flowyard.errors import PluginError

if TYPE_CHECKING:
    from flowyard.job import (
        BaseJobConfiguration,
        BaseVariables,
        ExitStatus,
        FlowRunInfo,
        Submission,
    )

WORKERS_GROUP = "flowyard.workers"
PLUGINS_GROUP = "flowyard.plugins"
_WORKER_PREFIX = "worker:"

log = logging.getLogger(__name__)


def hook_names() -> tuple[str, ...]:
    """Every hook of the plugin contract, read from :mod:`flowyard.hookspecs` in its order."""
    marker = f"{hookspecs.PROJECT}_spec"
    return tuple(
        name
        for name, obj in vars(hookspecs).items()
        if inspect.isfunction(obj) and hasattr(obj, marker)
    )


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
    """The hooks of one worker type: each method call reaches only that type (plus wrappers).

    Every answer is checked against the contract; a wrong one is a :class:`PluginError` naming
    the type and its distribution.
    """

    def __init__(self, pm: pluggy.PluginManager, plugin_name: str, info: InstalledType) -> None:
        self._pm = pm
        self._plugin_name = plugin_name
        self.info = info
        self._built_for: frozenset[str] = frozenset()
        self._cache: dict[str, pluggy.HookCaller] = {}

    @property
    def _callers(self) -> dict[str, pluggy.HookCaller]:
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
                for name in hook_names()
            }
            self._built_for = registered
        return self._cache

    def _error(self, problem: str) -> PluginError:
        return PluginError(self.info.name, self.info.distribution, problem)

    def implements(self, hook: str) -> bool:
        """Whether this type itself (not a wrapper) implements ``hook``."""
        plugin = self._pm.get_plugin(self._plugin_name)
        return any(
            impl.plugin is plugin and not (impl.hookwrapper or impl.wrapper)
            for impl in self._callers[hook].get_hookimpls()
        )

    def variables_model(self) -> type[BaseVariables] | None:
        """The type's variables model (None when it hand-writes its template instead)."""
        from flowyard.job import BaseVariables

        if not self.implements("variables_model"):
            return None
        model = self._callers["variables_model"]()
        if not (isinstance(model, type) and issubclass(model, BaseVariables)):
            raise self._error(
                f"returned {model!r} from variables_model(); expected a subclass of "
                "flowyard.job.BaseVariables."
            )
        return model

    def default_base_job_template(self, *, validate: bool = True) -> dict[str, Any]:
        """This type's default template: its own ``default_base_job_template`` when it has one,
        else derived from its ``variables_model``; checked for shape (and validity unless
        ``validate=False``)."""
        from flowyard.errors import InvalidBaseJobTemplate
        from flowyard.job import base_job_template
        from flowyard.templating import validate_base_job_template

        if self.implements("default_base_job_template"):
            result = self._callers["default_base_job_template"]()
        else:
            model = self.variables_model()
            if model is None:
                raise self._error(
                    "implements neither default_base_job_template nor variables_model."
                )
            result = base_job_template(model)
        if not isinstance(result, dict):
            raise self._error(
                f"returned {type(result).__name__} from default_base_job_template(); "
                "expected a dict with 'job_configuration' and 'variables'."
            )
        if not validate:
            if {"job_configuration", "variables"} <= set(result):
                return result
            raise self._error(
                "returned a default template without 'job_configuration' and 'variables'."
            )
        try:
            validate_base_job_template(result)
        except InvalidBaseJobTemplate as exc:
            raise self._error(f"returned an invalid default template: {exc}") from exc
        return result

    def render(self, configuration: dict[str, Any], flow_run: FlowRunInfo) -> BaseJobConfiguration:
        """Render a configuration into the type's job (a :class:`BaseJobConfiguration` subclass)."""
        from flowyard.job import BaseJobConfiguration

        result = self._callers["render"](configuration=configuration, flow_run=flow_run)
        if not isinstance(result, BaseJobConfiguration):
            raise self._error(
                f"returned {type(result).__name__} from render(); expected a subclass of "
                "flowyard.job.BaseJobConfiguration."
            )
        return result

    def submit(self, job: BaseJobConfiguration, flow_run: FlowRunInfo) -> Submission[object]:
        """Submit a rendered job; returns its :class:`flowyard.job.Submission`."""
        from flowyard.job import Submission

        result = self._callers["submit"](job=job, flow_run=flow_run)
        if not isinstance(result, Submission):
            raise self._error(
                f"returned {type(result).__name__} from submit(); expected flowyard.job.Submission."
            )
        return result

    def observe(
        self, job: BaseJobConfiguration, submission: Submission[object], flow_run: FlowRunInfo
    ) -> ExitStatus | None:
        """Wait for the infrastructure to finish (None when the type cannot observe)."""
        from flowyard.job import ExitStatus

        if not self.implements("observe"):
            return None
        result = self._callers["observe"](job=job, submission=submission, flow_run=flow_run)
        if result is not None and not isinstance(result, ExitStatus):
            raise self._error(
                f"returned {type(result).__name__} from observe(); expected "
                "flowyard.job.ExitStatus or None."
            )
        return result

    def kill(self, infrastructure_id: str, job: BaseJobConfiguration, grace_seconds: float) -> None:
        """Stop the infrastructure; raises NotImplementedError when the type has no kill hook."""
        if not self.implements("kill"):
            raise NotImplementedError(f"worker type {self.info.name!r} cannot kill infrastructure")
        self._callers["kill"](
            infrastructure_id=infrastructure_id, job=job, grace_seconds=grace_seconds
        )

    def reattach(
        self, infrastructure_id: str, job: BaseJobConfiguration, flow_run: FlowRunInfo
    ) -> Submission[object] | None:
        """Find a run's earlier infrastructure again (None when the type has no ``reattach`` hook
        or cannot watch it from here); raises ``InfrastructureNotFound`` when it is gone."""
        from flowyard.job import Submission

        if not self.implements("reattach"):
            return None
        result = self._callers["reattach"](
            infrastructure_id=infrastructure_id, job=job, flow_run=flow_run
        )
        if result is not None and not isinstance(result, Submission):
            raise self._error(
                f"returned {type(result).__name__} from reattach(); expected "
                "flowyard.job.Submission or None."
            )
        return result

    def lookup(self, job: BaseJobConfiguration, flow_run: FlowRunInfo) -> Submission[object] | None:
        """The live infrastructure an earlier ``submit`` of this run created (None when the type
        has no ``lookup`` hook or finds none)."""
        from flowyard.job import Submission

        if not self.implements("lookup"):
            return None
        result = self._callers["lookup"](job=job, flow_run=flow_run)
        if result is not None and not isinstance(result, Submission):
            raise self._error(
                f"returned {type(result).__name__} from lookup(); expected "
                "flowyard.job.Submission or None."
            )
        return result

    def build_image(
        self,
        *,
        image: str,
        project_dir: str,
        dockerfile: str,
        base_image: str | None,
        push: bool,
        build_kwargs: dict[str, Any],
    ) -> str:
        """Build a deployment image; raises NotImplementedError when the type cannot build images."""
        if not self.implements("build_image"):
            raise NotImplementedError(f"worker type {self.info.name!r} cannot build images")
        result = self._callers["build_image"](
            image=image,
            project_dir=project_dir,
            dockerfile=dockerfile,
            base_image=base_image,
            push=push,
            build_kwargs=build_kwargs,
        )
        return str(result)


def _unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names of the hooks ``plugin`` implements that no hook specification declares.

    pluggy's ``check_pending()`` finds the first one (of any plugin); the names are then read
    from ``plugin``'s own hook callers, so another plugin's problem is never blamed on it.
    """
    try:
        pm.check_pending()
    except pluggy.PluginValidationError:
        pass
    else:
        return []
    return sorted(
        caller.name
        for caller in pm.get_hookcallers(plugin) or []
        if not caller.has_spec()
        and any(not impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is plugin)
    )


def _unknown_hook_message(names: list[str]) -> str:
    parts = []
    for name in names:
        close = difflib.get_close_matches(name, hook_names(), n=1)
        parts.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return (
        f"implements unknown hook(s) {', '.join(parts)}; the hooks are "
        f"{', '.join(hook_names())} (see flowyard.hookspecs)."
    )


def _missing_hooks(hooks: TypeHooks) -> list[str]:
    """Required hooks the type does not implement (the template counts once, as 'a or b')."""
    missing = [name for name in hookspecs.REQUIRED_HOOKS if not hooks.implements(name)]
    if not any(hooks.implements(name) for name in hookspecs.TEMPLATE_HOOKS):
        missing.insert(0, " or ".join(hookspecs.TEMPLATE_HOOKS))
    return missing


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

    def _register(self, plugin: object, name: str) -> str | None:
        """Register ``plugin`` and check its hook names; on a problem unregister it and say why."""
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:
            self._unregister(name)
            return f"does not follow the hook contract: {exc}"
        unknown = _unknown_hooks(self._pm, plugin)
        if unknown:
            self._unregister(name)
            return _unknown_hook_message(unknown)
        return None

    def _unregister(self, name: str) -> None:
        if self._pm.has_plugin(name):
            self._pm.unregister(name=name)

    def _load_cross_cutting(self) -> None:
        if self._cross_cutting_loaded:
            return
        for ep in entry_points(group=PLUGINS_GROUP):
            name = f"plugin:{ep.name}"
            if self._pm.has_plugin(name):
                continue
            dist, _ = _distribution_of(ep)
            try:
                problem = self._register(ep.load(), name)
            except Exception as exc:
                problem = f"failed to load: {type(exc).__name__}: {exc}"
            if problem is not None:
                self.plugin_errors[name] = str(PluginError(ep.name, dist, problem))
                log.warning("%s", self.plugin_errors[name])
        self._cross_cutting_loaded = True

    def _import(self, info: InstalledType) -> ModuleType:
        try:
            return importlib.import_module(info.module.split(":")[0])
        except Exception as exc:
            raise PluginError(
                info.name,
                info.distribution,
                f"failed to import {info.module!r}: {type(exc).__name__}: {exc}",
            ) from exc

    def hooks(self, worker_type: str) -> TypeHooks:
        """The hook caller for one installed type, importing its module on first use.

        The contract is checked here: every hook the module implements must be declared in
        :mod:`flowyard.hookspecs`, and the required ones (``render``, ``submit``, and
        ``variables_model`` or ``default_base_job_template``) must be present.

        :raises KeyError: the type is not installed (see :mod:`flowyard.registry` for known types).
        :raises PluginError: the type's module failed to import or breaks the contract; the
            message names the hook, the type and its distribution.
        """
        with self._lock:
            if worker_type in self._hooks:
                return self._hooks[worker_type]
            info = self.installed().get(worker_type)
            if info is None:
                raise KeyError(worker_type)
            self._load_cross_cutting()
            name = _WORKER_PREFIX + worker_type
            module = self._import(info)
            if not self._pm.has_plugin(name):
                problem = self._register(module, name)
                if problem is not None:
                    raise PluginError(worker_type, info.distribution, problem)
            hooks = TypeHooks(self._pm, name, info)
            missing = _missing_hooks(hooks)
            if missing:
                self._unregister(name)
                raise PluginError(
                    worker_type,
                    info.distribution,
                    f"module {info.module!r} lacks required hook(s): {', '.join(missing)} "
                    "(see flowyard.hookspecs).",
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
