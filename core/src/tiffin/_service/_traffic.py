"""``traffic=`` for class services: checked once, then enforced around every API call."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from tiffin.exceptions import InvalidArgument, ServiceUnavailable, TiffinError

__all__ = ["TRAFFIC_KEYS", "APITimeout", "Gate", "check_traffic"]

TRAFFIC_KEYS = frozenset({"timeout", "max_concurrency", "concurrency", "external_queue"})


class APITimeout(TiffinError):
    """An API call ran past the service's ``traffic={"timeout": ...}`` (HTTP 504)."""

    status_code = 504
    error_kind = "api_timeout"


def check_traffic(traffic: Any, name: str) -> dict[str, Any]:
    if traffic is None:
        return {}
    if not isinstance(traffic, dict):
        raise InvalidArgument(f"service {name!r}: traffic= must be a dict, got {traffic!r}")
    unknown = sorted(set(traffic) - TRAFFIC_KEYS)
    if unknown:
        raise InvalidArgument(
            f"service {name!r}: traffic= has unknown key(s) {unknown}; known: "
            f"{sorted(TRAFFIC_KEYS)}"
        )
    timeout = traffic.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise InvalidArgument(
            f"service {name!r}: traffic timeout must be positive seconds, got {timeout!r}"
        )
    limit = traffic.get("max_concurrency")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidArgument(
            f"service {name!r}: traffic max_concurrency must be a positive integer, got {limit!r}"
        )
    return dict(traffic)


class Gate:
    """``traffic.max_concurrency`` and ``traffic.timeout`` around every API call of a service."""

    def __init__(self, service: str, timeout: float | None, limit: int | None) -> None:
        self.service = service
        self.timeout = timeout
        self.limit = limit
        self.active = 0

    def wrap(self, func: Callable[..., Any], is_async: bool, api_name: str) -> Callable[..., Any]:
        # starlette (heavy) loads when a service is built, not when tiffin is imported
        from starlette.concurrency import run_in_threadpool

        async def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.limit is not None and self.active >= self.limit:
                raise ServiceUnavailable(
                    f"service {self.service!r} is serving its max_concurrency of {self.limit} "
                    f"requests; retry later"
                )
            self.active += 1
            try:
                call = (
                    func(*args, **kwargs) if is_async else run_in_threadpool(func, *args, **kwargs)
                )
                if self.timeout is None:
                    return await call
                try:
                    return await asyncio.wait_for(call, self.timeout)
                except TimeoutError:
                    raise APITimeout(
                        f"API {api_name!r} ran past the service's timeout of {self.timeout:g} s"
                    ) from None
            finally:
                self.active -= 1

        guarded.__signature__ = inspect.signature(func)  # type: ignore[attr-defined]
        return guarded
