"""The registry's front door: which Host names it answers, cross-origin changes, slow clients.

- :class:`FrontGuard` (ASGI middleware): an anonymous registry answers only loopback Host names
  (so a web page cannot reach it through DNS rebinding); with tokens, ``--allowed-host`` names
  (or ``TIFFIN_REGISTRY_ALLOWED_HOSTS``) restrict it the same way. A state-changing request
  that carries an ``Origin`` must come from the registry's own origin (its Host, or a name
  given with ``--allowed-host``, for a proxy that rewrites Host).
- :class:`GuardedH11Protocol` (uvicorn's h11 protocol with a deadline): a connection must send
  its whole request head within :func:`header_timeout` seconds, and at most
  :func:`max_pending_heads` connections may be waiting for theirs; past that the oldest is
  closed, so thousands of half-sent requests cannot keep ``/healthz`` from answering. A body
  that stops arriving for :func:`body_timeout` seconds (while the server waits for it, not
  while the server is busy) closes the connection too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from tiffin.exceptions import InvalidArgument

__all__ = [
    "FrontGuard",
    "GuardedH11Protocol",
    "allowed_hosts_from_env",
    "body_timeout",
    "header_timeout",
    "is_loopback_name",
    "max_connections",
    "max_pending_heads",
]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Probes reach the registry by whatever address they have; the answer reveals nothing.
_ANY_HOST_PATHS = frozenset({"/healthz"})


def _number_env(var: str, default: float, minimum: float) -> float:
    value = os.environ.get(var)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise InvalidArgument(f"{var} must be a number >= {minimum}, not {value!r}")
    return number


def header_timeout() -> float:
    """Seconds a connection may take to send a request head (``TIFFIN_REGISTRY_HEADER_TIMEOUT``,
    default 20); also how long an idle keep-alive connection stays open."""
    return _number_env("TIFFIN_REGISTRY_HEADER_TIMEOUT", 20.0, 0.1)


def body_timeout() -> float:
    """Seconds a request body may go without a byte while the server waits for it
    (``TIFFIN_REGISTRY_BODY_TIMEOUT``, default 60)."""
    return _number_env("TIFFIN_REGISTRY_BODY_TIMEOUT", 60.0, 0.1)


def max_pending_heads() -> int:
    """Connections allowed to be still sending their request head at once
    (``TIFFIN_REGISTRY_MAX_PENDING``, default 1000): the oldest is closed past that."""
    return int(_number_env("TIFFIN_REGISTRY_MAX_PENDING", 1000, 1))


def max_connections() -> int:
    """Concurrent connections and requests before new requests get a 503
    (``TIFFIN_REGISTRY_MAX_CONNECTIONS``, default 4096)."""
    return int(_number_env("TIFFIN_REGISTRY_MAX_CONNECTIONS", 4096, 2))


def allowed_hosts_from_env() -> tuple[str, ...]:
    """``TIFFIN_REGISTRY_ALLOWED_HOSTS``: comma-separated Host names (``*.example.com`` too)."""
    return tuple(h.strip() for h in os.environ.get("TIFFIN_REGISTRY_ALLOWED_HOSTS", "").split(",")
                 if h.strip())


def is_loopback_name(hostname: str) -> bool:
    name = hostname.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _hostname(host: str) -> str:
    """``host`` of a Host header value ``host[:port]`` (IPv6 in brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _matches(hostname: str, pattern: str) -> bool:
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return hostname.endswith(pattern[1:])
    return hostname == pattern


class FrontGuard:
    """ASGI middleware: refuse foreign Host names and cross-origin changes (see the module)."""

    def __init__(self, app: Any, *, anonymous: bool, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.anonymous = anonymous
        self.allowed = tuple(allowed_hosts)

    def host_ok(self, hostname: str) -> bool:
        if any(_matches(hostname, p) for p in self.allowed):
            return True
        if self.anonymous or self.allowed:
            return is_loopback_name(hostname)
        return True  # tokens guard a registry that names no hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if scope["path"] not in _ANY_HOST_PATHS and not self.host_ok(_hostname(host)):
            hint = (
                "an anonymous registry answers only loopback names (localhost, 127.0.0.1)"
                if self.anonymous
                else "add it with --allowed-host"
            )
            await _refuse(send, 421, "misdirected_host",
                          f"this registry does not answer to the Host {host!r}: {hint}")
            return
        origin = headers.get("origin")
        if scope["method"] not in _SAFE_METHODS and origin is not None:
            netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
            named = any(_matches(_hostname(netloc), p) for p in self.allowed) if netloc else False
            if not netloc or (netloc != host.strip().lower() and not named):
                await _refuse(send, 403, "forbidden",
                              f"a change from another origin ({origin!r}) is refused; use the "
                              f"registry's own UI or a client with a token")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": message, "kind": kind}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a cap on how many
    connections may be sending one (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        pending = getattr(self.server_state, "tiffin_pending_heads", None)
        if pending is None:
            pending = OrderedDict()
            self.server_state.tiffin_pending_heads = pending  # type: ignore[attr-defined]
        self._pending: OrderedDict[GuardedH11Protocol, None] = pending
        self._head_timeout_s = header_timeout()
        self._max_pending = max_pending_heads()
        self._body_timeout_s = body_timeout()
        self._body_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self._head_timeout_s, self._close_slow)
        self._pending[self] = None
        while len(self._pending) > self._max_pending:
            oldest = next(iter(self._pending))
            oldest._close_slow()

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._pending.pop(self, None)

    def _close_slow(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._stop_body_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is complete (the body has its own deadline)
        if self.conn.their_state is h11.SEND_BODY:
            self._start_body_timer()  # (re)started by every chunk that arrives
        else:
            self._stop_body_timer()

    def _start_body_timer(self) -> None:
        self._stop_body_timer()
        self._body_timer = self.loop.call_later(self._body_timeout_s, self._body_stalled)

    def _stop_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_stalled(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server is the slow one: wait for it
            self._start_body_timer()
            return
        self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()  # the next request's head (or an idle keep-alive) gets the same deadline
