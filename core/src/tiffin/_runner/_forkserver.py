"""Where runner worker processes come from: a fork server started before any thread exists.

Why not fork the server itself: by the time a worker dies and is replaced, the server has an
event loop, a thread pool, and often a framework's own thread pool (OpenMP, torch's intra-op
threads) busy in the middle of work. ``fork()`` copies only the calling thread, so a lock
another thread held at that instant stays held forever in the child: the known deadlock of
forking a process that runs OpenMP. Spawning a fresh interpreter avoids that but re-imports
everything (seconds) and needs a picklable runnable (framework adapters make theirs on the fly).

So ``tiffin serve`` forks one small process right after loading the service, while the process
still has one thread: the fork server. It holds every module the service imported and every
runner's class, runs no threads of its own, and forks each worker on request, handing it one
end of a unix socket pair (passed over its control socket). It exits when the server's end of
its control socket closes; its workers are its children, reaped by it (``SIGCHLD`` ignored).

An app built without ``tiffin serve`` (tests, an app embedded elsewhere) gets a fork server at
its first worker start instead, which is as early as it can know.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import struct
import threading
import warnings
import weakref
from collections.abc import Iterable
from typing import Any

import orjson

__all__ = ["ForkServer", "fork_server_for", "keep_private", "start_fork_server"]

logger = logging.getLogger("tiffin.runner")

_current: ForkServer | None = None
_lock = threading.Lock()
#: sockets a fork server started later must not inherit (workers' and other fork servers'
#: connections: a worker sees the server gone only when every copy of its socket is closed)
_private: weakref.WeakSet[socket.socket] = weakref.WeakSet()


@atexit.register
def _stop_current() -> None:
    """At exit: close the fork server's socket, so it exits (its workers follow their server)."""
    global _current
    if _current is not None:
        _current.close()
        _current = None


def keep_private(sock: socket.socket) -> None:
    """Close ``sock`` in any fork server started from now on."""
    _private.add(sock)


def _runnables(runners: Iterable[Any]) -> dict[str, tuple[type, dict[str, Any]]]:
    return {r.name: (r.runnable_class, r.runnable_init_params) for r in runners}


class ForkServer:
    """A forked helper process that forks runner workers on request (see the module doc)."""

    def __init__(
        self,
        runnables: dict[str, tuple[type, dict[str, Any]]],
        close_in_child: Iterable[socket.socket] = (),
    ) -> None:
        #: runner name -> (runnable class, init params), as the fork server holds them
        self.runnables = dict(runnables)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork() in a process with threads; at `tiffin serve`'s start
            # there are none, and the fork server itself only ever forks single-threaded
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the fork server: never return into the caller's stack
            code = 0
            try:
                parent.close()
                for sock in [*close_in_child, *_private]:
                    with contextlib.suppress(OSError):
                        sock.close()
                self._serve(child)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        child.close()
        self.pid = pid
        self.sock = parent
        keep_private(parent)
        self._call_lock = threading.Lock()

    def knows(self, name: str) -> bool:
        return name in self.runnables

    def fork_worker(self, name: str, method_names: list[str]) -> tuple[int, socket.socket]:
        """A new worker process for runner ``name``: its pid and the server's end of its socket."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = orjson.dumps({"runner": name, "methods": method_names})
        try:
            with self._call_lock:
                socket.send_fds(
                    self.sock, [struct.pack("!I", len(request)) + request], [theirs.fileno()]
                )
                reply = self.sock.recv(8)
        finally:
            theirs.close()
        if len(reply) != 8:
            ours.close()
            raise OSError("the runner fork server is gone")
        (pid,) = struct.unpack("!q", reply)
        return pid, ours

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    # -- in the fork server process ------------------------------------------------------------

    def _serve(self, sock: socket.socket) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 65536, 1)
            except OSError:
                return
            if not data or not fds:
                return  # the server closed its end: it is gone
            (length,) = struct.unpack("!I", data[:4])
            request = orjson.loads(data[4 : 4 + length])
            worker_sock = socket.socket(fileno=fds[0])
            pid = os.fork()
            if pid == 0:  # the worker
                code = 0
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    sock.close()
                    from tiffin._runner._worker import worker_main

                    runnable_class, init_params = self.runnables[request["runner"]]
                    worker_main(worker_sock, runnable_class, init_params, request["methods"])
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            worker_sock.close()
            sock.sendall(struct.pack("!q", pid))


def start_fork_server(
    runners: Iterable[Any], close_in_child: Iterable[socket.socket] = ()
) -> ForkServer | None:
    """Start this process's fork server for ``runners`` that run in worker processes, if any.

    Call it before any thread starts (``tiffin serve`` does, right after loading the service).
    """
    global _current
    runners = [r for r in runners if r.worker_count()]
    if not runners:
        return None
    with _lock:
        if _current is None:
            _current = ForkServer(_runnables(runners), close_in_child)
        return _current


def fork_server_for(runner: Any) -> ForkServer:
    """The fork server that knows ``runner``; started now if none does (see the module doc)."""
    global _current
    with _lock:
        if _current is None or not _current.knows(runner.name):
            if threading.active_count() > 1:
                logger.debug(
                    "runner %r: starting the worker fork server with %d threads running",
                    runner.name,
                    threading.active_count(),
                )
            known = _current.runnables if _current is not None else {}
            if _current is not None:  # its workers live on; it forks no more
                _current.close()
            _current = ForkServer({**known, **_runnables([runner])})
        return _current
