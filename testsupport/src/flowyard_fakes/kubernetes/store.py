"""The emulator's object store: resourceVersions, a watch history with compaction, selectors."""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
import uuid
from dataclasses import dataclass
from typing import Any

NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName alphabet
HISTORY_LIMIT = 5000

Obj = dict[str, Any]


def now() -> str:
    """An RFC 3339 timestamp with second precision, as the API server writes them."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = 5) -> str:
    """Five characters from the API server's name alphabet."""
    return "".join(random.choice(NAME_CHARS) for _ in range(length))


@dataclass(frozen=True)
class Change:
    """One entry of the watch history: what happened to which object at which resourceVersion."""

    rv: int
    kind: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj


class Gone(Exception):
    """A watch asked for a resourceVersion older than the retained history (HTTP 410)."""

    def __init__(self, requested: int, oldest: int) -> None:
        self.requested = requested
        self.oldest = oldest
        super().__init__(f"too old resource version: {requested} ({oldest})")


def _field(obj: Obj, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def matches_labels(obj: Obj, selector: str | None) -> bool:
    """Equality-based label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a``, ``!a`` joined by commas."""
    if not selector:
        return True
    labels: dict[str, str] = _field(obj, "metadata.labels") or {}
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def matches_fields(obj: Obj, selector: str | None) -> bool:
    """Field selectors on dotted paths: ``metadata.name=x``, ``involvedObject.name=y``, ``a!=b``."""
    if not selector:
        return True
    for term in (t.strip() for t in selector.split(",")):
        if not term:
            continue
        negate = "!=" in term
        key, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        actual = _field(obj, key.strip())
        equal = str(actual if actual is not None else "") == value.strip()
        if equal == negate:
            return False
    return True


class Store:
    """All objects by (kind, namespace, name), one resourceVersion counter, a bounded history.

    Every change bumps the counter, stamps the object's ``metadata.resourceVersion`` and appends
    a :class:`Change`; watches read the history after their resourceVersion. :meth:`compact`
    forgets the history (as etcd compaction does), so older watches get 410 Gone.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects: dict[tuple[str, str, str], Obj] = {}
        self._history: list[Change] = []
        self._rv = 1
        self._floor = 1  # the oldest resourceVersion a watch may start from

    @property
    def resource_version(self) -> int:
        """The current (latest) resourceVersion."""
        with self.lock:
            return self._rv

    def _record(self, kind: str, kind_type: str, obj: Obj) -> Obj:
        self._rv += 1
        if kind_type != "DELETED":
            obj["metadata"]["resourceVersion"] = str(self._rv)
        snapshot = copy.deepcopy(obj)
        if kind_type == "DELETED":
            snapshot["metadata"]["resourceVersion"] = str(self._rv)
        self._history.append(Change(self._rv, kind, kind_type, snapshot))
        if len(self._history) > HISTORY_LIMIT:
            dropped = self._history[: len(self._history) - HISTORY_LIMIT]
            self._history = self._history[len(dropped) :]
            self._floor = dropped[-1].rv
        self.changed.notify_all()
        return copy.deepcopy(obj)

    def create(self, kind: str, obj: Obj) -> Obj:
        """Store a new object (uid, creationTimestamp filled in); returns a copy."""
        meta = obj["metadata"]
        with self.lock:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
            meta.setdefault("generation", 1)
            self._objects[(kind, meta["namespace"], meta["name"])] = obj
            return self._record(kind, "ADDED", obj)

    def exists(self, kind: str, namespace: str, name: str) -> bool:
        """Whether the object is stored."""
        with self.lock:
            return (kind, namespace, name) in self._objects

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """A copy of the object, or None."""
        with self.lock:
            obj = self._objects.get((kind, namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def update(self, kind: str, namespace: str, name: str, change: Any) -> Obj | None:
        """Apply ``change(obj)`` to the stored object in place and record MODIFIED (None if gone)."""
        with self.lock:
            obj = self._objects.get((kind, namespace, name))
            if obj is None:
                return None
            change(obj)
            return self._record(kind, "MODIFIED", obj)

    def delete(self, kind: str, namespace: str, name: str) -> Obj | None:
        """Remove the object and record DELETED; returns its last state (None if it was gone)."""
        with self.lock:
            obj = self._objects.pop((kind, namespace, name), None)
            if obj is None:
                return None
            return self._record(kind, "DELETED", obj)

    def select(
        self,
        kind: str,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], int]:
        """Matching objects (copies, by creation order) and the resourceVersion of the list."""
        with self.lock:
            items = [
                copy.deepcopy(obj)
                for (k, ns, _), obj in self._objects.items()
                if k == kind
                and (namespace is None or ns == namespace)
                and matches_labels(obj, label_selector)
                and matches_fields(obj, field_selector)
            ]
            return items, self._rv

    def changes_since(self, kind: str, rv: int) -> list[Change]:
        """History entries of ``kind`` after ``rv``.

        :raises Gone: ``rv`` is older than the retained history.
        """
        with self.lock:
            if rv < self._floor:
                raise Gone(rv, self._floor)
            return [c for c in self._history if c.rv > rv and c.kind == kind]

    def compact(self) -> int:
        """Forget the whole history; watches from any earlier resourceVersion get 410 Gone."""
        with self.lock:
            self._history.clear()
            self._floor = self._rv
            return self._floor
