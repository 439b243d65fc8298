"""Test helpers for transfer strategies: a flaky HTTP proxy between a client and a registry.

:class:`FlakyProxy` forwards HTTP/1.1 requests to an upstream server and, for the requests a
predicate picks (part uploads, ranged reads), fails about one in five: a ``503`` or a TCP reset
in the middle of the request. It also counts the request-body bytes it forwarded, which is how
a test measures what a registry actually received. It preserves the ``Host`` header, so the
registry's offers name the proxy and every later request goes through it as well.

Needs ``h11`` (a dependency of httpx) and nothing else.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import h11
import httpx

__all__ = ["FlakyProxy", "is_part_request"]

_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade"}


def is_part_request(method: str, path: str) -> bool:
    """A multipart part upload, or a ranged blob read."""
    return (method == "PUT" and "/parts/" in path) or (method == "GET" and "/blobs/" in path)


class _Reset(Exception):
    pass


class FlakyProxy:
    """A threaded HTTP proxy on 127.0.0.1 that fails some requests (``failure_rate``)."""

    def __init__(
        self,
        upstream: str,
        *,
        failure_rate: float = 0.2,
        select: Callable[[str, str], bool] = is_part_request,
        seed: int = 5,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.failure_rate = failure_rate
        self.select = select
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.requests = 0
        self.failed_503 = 0
        self.failed_reset = 0
        self.bytes_forwarded = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._client = httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0))
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # -- counters -----------------------------------------------------------------------------

    @property
    def failures(self) -> int:
        return self.failed_503 + self.failed_reset

    def reset_counters(self) -> None:
        with self._lock:
            self.requests = self.failed_503 = self.failed_reset = self.bytes_forwarded = 0

    def _decide(self, method: str, path: str) -> str | None:
        with self._lock:
            self.requests += 1
            if not self.select(method, path) or self._random.random() >= self.failure_rate:
                return None
            return self._random.choice(("503", "reset"))

    # -- serving ------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closing:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = self._next(conn, sock)
                if not isinstance(request, h11.Request):
                    return
                self._handle(conn, sock, request)
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except _Reset:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (OSError, h11.ProtocolError, httpx.HTTPError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    @staticmethod
    def _next(conn: h11.Connection, sock: socket.socket) -> object:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(1 << 20))
                continue
            return event

    def _body(self, conn: h11.Connection, sock: socket.socket) -> Iterator[bytes]:
        while True:
            event = self._next(conn, sock)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return
            else:
                raise h11.LocalProtocolError(f"unexpected {event!r}")

    def _handle(self, conn: h11.Connection, sock: socket.socket, request: h11.Request) -> None:
        method = request.method.decode()
        target = request.target.decode()
        verdict = self._decide(method, target.split("?")[0])
        if verdict == "reset":
            # read a little of the body, then cut the connection off mid-request
            for _ in zip(range(1), self._body(conn, sock), strict=False):
                pass
            with self._lock:
                self.failed_reset += 1
            raise _Reset
        if verdict == "503":
            for _ in self._body(conn, sock):
                pass
            with self._lock:
                self.failed_503 += 1
            body = b'{"error": "flaky proxy: try again", "kind": "unavailable"}'
            sock.sendall(conn.send(h11.Response(status_code=503, headers=[
                ("content-type", "application/json"), ("content-length", str(len(body)))])))
            sock.sendall(conn.send(h11.Data(data=body)))
            sock.sendall(conn.send(h11.EndOfMessage()))
            return
        headers = [(k.decode(), v.decode()) for k, v in request.headers if k.lower() not in _HOP]
        has_body = any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in request.headers)

        def counted() -> Iterator[bytes]:
            for chunk in self._body(conn, sock):
                with self._lock:
                    self.bytes_forwarded += len(chunk)
                yield chunk

        content = counted() if has_body else None
        if content is None:
            for _ in self._body(conn, sock):
                pass
        upstream = self._client.build_request(
            method, self.upstream + target, headers=headers, content=content
        )
        response = self._client.send(upstream, stream=True)
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP]
            if not any(k.lower() == b"content-length" for k, _ in out):
                out.append((b"transfer-encoding", b"chunked"))
            sock.sendall(conn.send(h11.Response(status_code=response.status_code, headers=out)))
            for chunk in response.iter_raw(1 << 20):
                sock.sendall(conn.send(h11.Data(data=chunk)))
            sock.sendall(conn.send(h11.EndOfMessage()))
        finally:
            response.close()

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(OSError):
            self._listener.close()
        self._client.close()

    def __enter__(self) -> FlakyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
