"""The worker's side of the warm engine: start the fork server, ask it for processes, watch them.

:func:`start_warm` returns a :class:`WarmProcess` (the ``Popen``-like view of a forked child) or
``None`` when the run must start cold: the setting ``FLOWYARD_WORKER_WARM_ENGINE`` is off, the
platform has no ``fork``/``SCM_RIGHTS``, the command is not ``python -m``/``-c`` with this
worker's interpreter, the run's environment changes how Python starts (a ``PYTHON*`` variable),
or the fork server is gone. The server is started on first use (the first run waits for it) and
is never restarted: when it dies the worker warns once and starts every later run cold.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("flowyard.worker.process")

READY_TIMEOUT = 30.0
"""Seconds the first warm run waits for the fork server to import the engine."""


class ForkServerGone(Exception):
    """The fork server cannot take requests (it exited or never became ready)."""


class WarmProcess:
    """A child of the fork server, with the part of ``Popen`` the worker uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.lost = False
        """The fork server died before the child ended: its exit status is unknown."""
        self._done = threading.Event()

    def _exited(self, code: int, lost: bool = False) -> None:
        self.returncode, self.lost = code, lost
        self._done.set()

    def poll(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Block until the process ends; its exit code (negative: killed by that signal)."""
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(["<warm engine>"], timeout or 0.0)
        assert self.returncode is not None
        return self.returncode


@dataclass
class _Pending:
    ready: threading.Event = field(default_factory=threading.Event)
    process: WarmProcess | None = None
    error: str | None = None


class ForkServer:
    """One running fork server and the thread reading its answers."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 21)
        self._sock = ours
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowyard_process.forkserver", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._running: dict[int, WarmProcess] = {}
        self._ready = threading.Event()
        self.alive = True
        self._reader = threading.Thread(target=self._read, daemon=True, name="flowyard-forkserver")
        self._reader.start()

    def wait_ready(self, timeout: float) -> None:
        """Block until the server has imported the engine; ForkServerGone if it cannot."""
        if not self._ready.wait(timeout) or not self.alive:
            self.close()
            raise ForkServerGone(
                f"the fork server did not become ready within {timeout:.0f} s"
                if self.alive
                else f"the fork server exited (code {self.process.poll()}) while starting"
            )

    def spawn(
        self,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        output: int | None,
        pid_env: tuple[str, str] | None = None,
    ) -> WarmProcess:
        """Fork a child running ``argv``; ForkServerGone when the request could not be sent.

        ``pid_env`` (name, prefix): the child sets that variable to ``prefix`` + its pid.
        """
        request_id = next(self._ids)
        pending = _Pending()
        request: dict[str, Any] = {"id": request_id, "argv": argv, "cwd": cwd, "env": env}
        if pid_env is not None:
            request["pid_env"] = list(pid_env)
        data = json.dumps(request).encode()
        with self._lock:
            if not self.alive:
                raise ForkServerGone(f"the fork server exited (code {self.process.poll()})")
            self._pending[request_id] = pending
            try:
                socket.send_fds(self._sock, [data], [] if output is None else [output])
            except OSError as exc:
                self._pending.pop(request_id, None)
                raise ForkServerGone(f"the fork server is not answering: {exc}") from exc
        pending.ready.wait()
        if pending.process is None:
            raise RuntimeError(f"the warm engine could not start the run: {pending.error}")
        return pending.process

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            message: dict[str, Any] = json.loads(data)
            if "ready" in message:
                self._ready.set()
            elif "started" in message:
                process = WarmProcess(message["pid"])
                with self._lock:
                    self._running[process.pid] = process
                    pending = self._pending.pop(message["started"])
                pending.process = process
                pending.ready.set()
            elif "failed" in message:
                with self._lock:
                    pending = self._pending.pop(message["failed"])
                pending.error = message["error"]
                pending.ready.set()
            elif "exited" in message:
                with self._lock:
                    finished = self._running.pop(message["exited"], None)
                if finished is not None:
                    finished._exited(message["code"])
        self._on_exit()

    def _on_exit(self) -> None:
        """The server is gone: fail waiting requests, watch orphaned children until they end."""
        with self._lock:
            self.alive = False
            pending, self._pending = list(self._pending.values()), {}
            orphans, self._running = list(self._running.values()), {}
        self._ready.set()
        code = self.process.wait()
        if code != 0 or orphans:
            log.warning(
                "The warm-engine fork server exited (code %s); flow runs now start cold "
                "(a new interpreter per run).",
                code,
            )
        for waiting in pending:
            waiting.error = f"the fork server exited (code {code}) while starting it"
            waiting.ready.set()
        for orphan in orphans:
            threading.Thread(target=_watch_orphan, args=(orphan,), daemon=True).start()

    def close(self) -> None:
        """Stop the server (its running children keep running)."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _watch_orphan(process: WarmProcess) -> None:
    """Wait for a child whose parent (the fork server) died; its exit status is lost."""
    while True:
        try:
            os.kill(process.pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        time.sleep(0.1)
    process._exited(1, lost=True)


_server: ForkServer | None = None
_failed = False
_start_lock = threading.Lock()


def enabled() -> bool:
    """The warm engine is switched on (``FLOWYARD_WORKER_WARM_ENGINE``) and this platform has it."""
    from flowyard.settings import get_settings

    return (
        get_settings().worker_warm_engine
        and sys.platform == "linux"
        and hasattr(os, "fork")
        and hasattr(socket, "send_fds")
    )


def _applies(argv: list[str], env: dict[str, str]) -> bool:
    """A command the fork server can run as the interpreter would, in a matching environment."""
    if len(argv) < 3 or argv[1] not in ("-m", "-c") or argv[0] != sys.executable:
        return False
    ours = {k: v for k, v in os.environ.items() if k.startswith("PYTHON")}
    theirs = {k: v for k, v in env.items() if k.startswith("PYTHON")}
    return ours == theirs


def _shared() -> ForkServer | None:
    """The worker's fork server, started on first use; None once it failed or died."""
    global _server, _failed
    with _start_lock:
        if _failed:
            return None
        if _server is None:
            started = time.monotonic()
            server = ForkServer()
            try:
                server.wait_ready(READY_TIMEOUT)
            except ForkServerGone as exc:
                _failed = True
                log.warning("The warm engine is unavailable, flow runs start cold: %s", exc)
                return None
            log.info(
                "Warm engine ready: fork server pid %d imported the engine in %.2f s.",
                server.process.pid,
                time.monotonic() - started,
            )
            _server = server
        if not _server.alive:
            _failed = True
            return None
        return _server


def start_warm(
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    output: int | None,
    pid_env: tuple[str, str] | None = None,
) -> WarmProcess | None:
    """Start ``argv`` from the warm engine, or None when it must start cold (see the module).

    ``pid_env`` (name, prefix): the child sets that variable to ``prefix`` + its pid.
    """
    if not enabled() or not _applies(argv, env):
        return None
    server = _shared()
    if server is None:
        return None
    try:
        return server.spawn(argv, cwd, env, output, pid_env)
    except ForkServerGone as exc:
        global _failed
        _failed = True
        log.warning("The warm engine is unavailable, flow runs start cold: %s", exc)
        return None


def shutdown() -> None:
    """Stop the fork server and forget it (the next warm run starts a new one)."""
    global _server, _failed
    with _start_lock:
        if _server is not None:
            _server.close()
        _server, _failed = None, False


def server_pid() -> int | None:
    """The running fork server's pid (None: not started or gone)."""
    return _server.process.pid if _server is not None and _server.alive else None
