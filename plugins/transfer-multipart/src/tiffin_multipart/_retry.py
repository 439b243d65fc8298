"""Retrying one part request: connection errors, timeouts and 5xx, with jittered back-off.

tenacity does the looping; this module only says *what* is worth retrying. A 4xx is the
client's or the registry's final word and is never retried (except 429, which asks to wait).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from tiffin_multipart import _config

__all__ = ["is_retryable", "retrying", "with_retries"]

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """Connection refused or reset, a timeout, a broken response, a 5xx or a 429."""
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status >= 500 or status == 429
    return False


def retrying() -> Retrying:
    """A tenacity controller configured from the environment (see :mod:`tiffin_multipart._config`)."""
    delay = _config.retry_initial_delay()
    return Retrying(
        stop=stop_after_attempt(_config.retry_attempts()),
        # delay, 2 x delay, 4 x delay ... (at most 10 s), plus up to one delay of jitter
        wait=wait_exponential(multiplier=delay, max=max(delay, 10.0)) + wait_random(0, delay),
        retry=retry_if_exception(is_retryable),
        reraise=True,
    )


def with_retries(call: Callable[[], T]) -> T:
    """``call()`` until it returns, or until it fails for good (the last error is raised)."""
    return retrying()(call)
