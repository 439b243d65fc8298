"""Running a runnable in worker processes: forked at startup, supervised, restarted when they die.

Why fork: a worker forked from the service's process image already holds every module the
server imported (numpy, the framework, the service's code), so it is ready as soon as the
runnable's own constructor has run, where a freshly spawned interpreter would spend seconds
re-importing them. Workers are forked by the fork server of :mod:`._forkserver`, never by the
live, multi-threaded server itself (the OpenMP/torch thread-pool deadlock). Each worker owns one end of a unix socket pair and answers one call at a time (which is
the point: the runnable need not be thread-safe); the server keeps one connection per worker
and gives each call to an idle worker.

When a worker dies, the call it was serving fails with
:class:`~tiffin.exceptions.ServiceUnavailable` (HTTP 503, counted as ``worker_died``), the
server stays up, and a new worker is forked in its place (after a pause that grows while
workers keep dying, so a runnable that crashes on start does not spin).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from time import perf_counter
from typing import Any

import orjson

from tiffin._runner import _wire
from tiffin.exceptions import ServiceUnavailable, TiffinError

__all__ = ["RemoteExecutor"]

logger = logging.getLogger("tiffin.runner")

START_TIMEOUT_S = float(os.environ.get("TIFFIN_RUNNER_START_TIMEOUT", "300"))


class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.pid = 0
        self.sock: socket.socket | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: asyncio.Future[tuple[dict[str, Any], list[bytearray]]] | None = None
        self.monitor: asyncio.Task[None] | None = None
        self.alive = False
        self.method = ""  # the method of the call in flight
        self.generation = 0  # bumped at each (re)start: stale idle-queue entries are skipped


class RemoteExecutor:
    """``workers`` processes each holding one instance of the runnable."""

    local = False

    def __init__(
        self,
        runner: Any,
        workers: int,
        on_worker_death: Any = None,
    ) -> None:
        self.runner = runner
        self.name = runner.name
        self.concurrency = workers
        self.workers = [_Worker(i) for i in range(workers)]
        self.idle: asyncio.Queue[tuple[_Worker, int]] | None = None
        self.method_names: list[str] = []
        self.stopping = False
        self.restarts = 0
        self.on_worker_death = on_worker_death

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, methods: dict[str, Any]) -> None:
        self.method_names = list(methods)
        self.idle = asyncio.Queue()
        try:
            await asyncio.gather(*[self._spawn(w) for w in self.workers])
        except BaseException:
            await self.stop()
            raise

    def _fork(self, worker: _Worker) -> socket.socket:
        from tiffin._runner._forkserver import fork_server_for, keep_private

        server = fork_server_for(self.runner)
        try:
            worker.pid, sock = server.fork_worker(self.name, self.method_names)
        except OSError as exc:
            raise TiffinError(
                f"runner {self.name!r}: could not start a worker process ({exc})"
            ) from None
        keep_private(sock)
        return sock

    async def _spawn(self, worker: _Worker) -> None:
        sock = await asyncio.get_running_loop().run_in_executor(None, self._fork, worker)
        sock.setblocking(False)
        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=2**20)
        worker.sock, worker.reader, worker.writer = sock, reader, writer
        try:
            header, buffers = await asyncio.wait_for(self._read_frame(reader), START_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            self._close(worker)
            raise TiffinError(
                f"runner {self.name!r}: worker process {worker.pid} did not start "
                f"({type(exc).__name__}); see the server log"
            ) from None
        if header.get("kind") != "ready":
            self._close(worker)
            error = _wire.decode_error(header, buffers)
            raise TiffinError(
                f"runner {self.name!r}: its runnable failed to start in a worker process: "
                f"{type(error).__name__}: {error}"
            ) from error
        worker.alive = True
        worker.generation += 1
        worker.monitor = asyncio.get_running_loop().create_task(self._watch(worker))
        assert self.idle is not None
        self.idle.put_nowait((worker, worker.generation))
        logger.info("runner %r: worker %d started (pid %d)", self.name, worker.index, worker.pid)

    async def stop(self) -> None:
        self.stopping = True
        for worker in self.workers:
            self._fail_pending(worker, "stopped", "the runner is stopping")
            if worker.monitor is not None:
                worker.monitor.cancel()
            self._close(worker)
        await asyncio.gather(*[self._reap(w.pid) for w in self.workers if w.pid])

    def stop_sync(self) -> None:
        for worker in self.workers:
            self._close(worker)

    def _close(self, worker: _Worker) -> None:
        worker.alive = False
        if worker.writer is not None:
            worker.writer.close()
        elif worker.sock is not None:
            worker.sock.close()
        worker.sock = worker.reader = worker.writer = None

    async def _reap(self, pid: int, grace: float = 5.0) -> None:
        """Wait for worker ``pid`` to exit (the fork server reaps it), killing it after ``grace``."""
        deadline = perf_counter() + grace
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            if perf_counter() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
                grace, deadline = 1e9, perf_counter() + 1e9
            await asyncio.sleep(0.02)

    # -- supervision ---------------------------------------------------------------------------

    @staticmethod
    async def _read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, Any], list[bytearray]]:
        head = await reader.readexactly(4)
        header = orjson.loads(await reader.readexactly(_wire.header_length(head)))
        buffers = [
            bytearray(await reader.readexactly(n)) if n else bytearray()
            for n in header.get("lens", ())
        ]
        return header, buffers

    async def _watch(self, worker: _Worker) -> None:
        reader = worker.reader
        assert reader is not None
        try:
            while True:
                frame = await self._read_frame(reader)
                pending, worker.pending = worker.pending, None
                if pending is not None and not pending.done():
                    pending.set_result(frame)
                elif self.idle is not None:  # its caller gave up: the worker is free again now
                    self.idle.put_nowait((worker, worker.generation))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        if self.stopping:
            return
        logger.error(
            "runner %r: worker %d (pid %d) died; starting a new one",
            self.name,
            worker.index,
            worker.pid,
        )
        self._fail_pending(
            worker,
            "worker_died",
            f"its worker process (pid {worker.pid}) died while serving this call",
        )
        self._close(worker)
        await self._reap(worker.pid, grace=1.0)
        self.restarts += 1
        delay = min(10.0, 0.1 * 2 ** min(self.restarts, 7))
        while not self.stopping:
            try:
                await self._spawn(worker)
                return
            except TiffinError as exc:
                logger.error("%s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)

    def _fail_pending(self, worker: _Worker, reason: str, detail: str) -> None:
        pending, worker.pending = worker.pending, None
        if pending is not None and not pending.done():
            if self.on_worker_death is not None:
                self.on_worker_death(worker.method, reason)
            pending.set_exception(
                ServiceUnavailable(
                    f"runner {self.name!r} cannot serve this call: {detail}; retry later"
                )
            )

    # -- calls ---------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        predicted_s: float | None = None,
    ) -> tuple[Any, float]:
        if self.idle is None or self.stopping:
            raise ServiceUnavailable(f"runner {self.name!r} is not serving; retry later")
        metas, buffers = _wire.encode_values((*args, *kwargs.values()))
        pieces = _wire.pack_frame(
            {
                "kind": "call",
                "method": method,
                "args": metas,
                "n_pos": len(args),
                "keys": list(kwargs),
            },
            buffers,
        )
        while True:
            worker, generation = await self.idle.get()
            if worker.alive and generation == worker.generation and worker.writer is not None:
                break
        start = perf_counter()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        worker.pending = future
        worker.method = method
        worker.writer.writelines(pieces)  # sent from here on: the worker will answer it
        try:
            await worker.writer.drain()
            header, out = await future
        except asyncio.CancelledError:
            raise  # the worker is still busy with it; _watch frees it when it answers
        except BaseException:
            if worker.alive and generation == worker.generation:
                self.idle.put_nowait((worker, generation))
            raise
        if worker.alive and generation == worker.generation:
            self.idle.put_nowait((worker, generation))
        seconds = perf_counter() - start
        if header.get("kind") == "error":
            raise _wire.decode_error(header, out)
        (result,) = _wire.decode_values(header["values"], out)
        return result, seconds
