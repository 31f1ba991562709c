"""The warm-engine fork server: a process that has imported the engine and forks one child per run.

Started by the worker (``python -m flowyard_process.forkserver <fd>``, see
:mod:`flowyard_process.warm`) with one end of an ``AF_UNIX``/``SOCK_SEQPACKET`` socket pair. It
imports the engine (:func:`flowyard.engine.warm.preload`), says ``ready`` and then serves
requests, one JSON message each: ``{"id", "argv", "cwd", "env"}`` (and optionally
``"pid_env": [name, prefix]``: the child sets ``name`` to ``prefix`` + its pid) with, as ancillary data, the
descriptor the child's stdout/stderr go to (none: ``/dev/null``). For each it forks a child that
starts a new session (its own process group, like ``Popen(start_new_session=True)``), takes the
run's stdio, working directory and environment and runs ``argv`` (``python -m module ...`` or
``python -c code ...``) as the interpreter would, then exits with the code the interpreter would
have. The server answers ``{"started": id, "pid"}`` (or ``{"failed": id, "error"}``) and, when a
child ends, ``{"exited": pid, "code"}`` with the code as ``Popen.returncode`` has it (negative:
killed by that signal). It exits when the worker closes its end.

The server stays single-threaded (forking a threaded process is unsafe); SIGCHLD wakes its loop.
What it imported is frozen (``gc.freeze``) before it serves, so children share those pages instead
of copying them when they collect garbage.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import traceback
import types
from typing import Any, NoReturn

MAX_MESSAGE = 1 << 20
"""Largest request (the environment dominates); the worker starts larger ones cold."""


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.send(json.dumps(message).encode())


def _exit_code(exc: SystemExit) -> int:
    """The status the interpreter exits with for ``SystemExit(code)`` (printing a message code)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _run_python(argv: list[str]) -> int:
    """Run ``[python, -m|-c, target, *args]`` in this (forked) interpreter; the exit code."""
    flag, target, args = argv[1], argv[2], argv[3:]
    try:
        if flag == "-m":
            sys.argv = [target, *args]
            sys.path[0] = os.getcwd()
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args]
            sys.path[0] = ""
            main = types.ModuleType("__main__")
            main.__dict__["__builtins__"] = __builtins__
            sys.modules["__main__"] = main
            exec(compile(target, "<string>", "exec"), main.__dict__)
        return 0
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException:
        traceback.print_exc()
        return 1


def _finish(code: int) -> NoReturn:
    """Shut down as the interpreter would (threads joined, atexit run, stdio flushed), then exit."""
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _child(request: dict[str, Any], output: int | None, close: list[int]) -> NoReturn:
    """In the forked child: become the run's process, run its argv, exit with its code."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        for fd in close:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        target = devnull if output is None else output
        os.dup2(devnull, 0)
        os.dup2(target, 1)
        os.dup2(target, 2)
        for fd in {devnull, target}:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        pid_env = request.get("pid_env")
        if pid_env:  # [name, prefix]: the child's own pid, which only it knows before it runs
            os.environ[pid_env[0]] = f"{pid_env[1]}{os.getpid()}"
        settings = sys.modules.get("flowyard.settings")  # the engine reads no Settings
        if settings is not None:
            settings.get_settings.cache_clear()
        code = _run_python(request["argv"])
    except BaseException:
        traceback.print_exc()
    _finish(code)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(sock: socket.socket) -> None:
    """Answer fork requests on ``sock`` until the worker closes it."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _send(sock, {"ready": os.getpid()})
    while True:
        try:
            ready, _, _ = select.select([sock.fileno(), wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in ready:
            while True:
                try:
                    if not os.read(wake_read, 512):
                        break
                except BlockingIOError:
                    break
            _reap(sock)
        if sock.fileno() in ready:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 1)
            if not data:
                return
            request = json.loads(data)
            output = fds[0] if fds else None
            try:
                pid = os.fork()
            except OSError as exc:
                _send(sock, {"failed": request["id"], "error": str(exc)})
            else:
                if pid == 0:
                    _child(request, output, [sock.fileno(), wake_read, wake_write])
                _send(sock, {"started": request["id"], "pid": pid})
            finally:
                if output is not None:
                    os.close(output)
            _reap(sock)


def main() -> None:
    """``python -m flowyard_process.forkserver <fd>``: preload the engine, then serve."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    from flowyard.engine.warm import preload

    preload()
    # Move everything imported so far out of the collector's reach: a child's garbage collection
    # would otherwise walk (and so copy, page by page) the whole inherited heap, ~40 ms of CPU per
    # run; frozen, it walks only what the run itself allocated.
    gc.collect()
    gc.freeze()
    serve(sock)


if __name__ == "__main__":
    main()
