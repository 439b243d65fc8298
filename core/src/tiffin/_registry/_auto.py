"""Deploying from the registry: serve a bento tag, or load a runner's model, that is not local.

``tiffin serve`` (and ``tiffin batch``) call :func:`activate`; from then on, in that process and
the worker processes it starts, a bento tag or model tag missing from the local store is pulled
from the configured registry (a bento with its models) instead of failing.
``TIFFIN_AUTO_PULL=0`` turns this off; without a configured registry nothing changes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from tiffin.exceptions import NotFound, TiffinError

__all__ = ["activate", "active", "pull_missing_bento", "pull_missing_model"]

logger = logging.getLogger("tiffin.registry")

_ACTIVE_ENV = "TIFFIN_AUTO_PULL_ACTIVE"  # inherited by worker processes
_OFF = {"0", "false", "no", "off"}


def activate() -> None:
    """Let this process (and its children) pull missing bentos and models."""
    os.environ[_ACTIVE_ENV] = "1"


def active() -> bool:
    if os.environ.get(_ACTIVE_ENV) != "1":
        return False
    if os.environ.get("TIFFIN_AUTO_PULL", "1").strip().lower() in _OFF:
        return False
    from tiffin._registry._config import registry_config

    try:
        return registry_config(required=False) is not None
    except TiffinError:
        return False


def _pull(what: str, tag: str, missing: NotFound, pull: Any) -> Any:
    from tiffin._registry._config import registry_config

    config = registry_config()
    assert config is not None
    logger.warning("%s %s is not stored here: pulling it from %s", what, tag, config.url)
    import sys

    sys.stderr.write(f"{what} {tag} is not stored here: pulling it from {config.url}\n")
    try:
        return pull()
    except NotFound:
        raise missing from None
    except TiffinError as exc:
        raise NotFound(f"{missing}; pulling it from the registry failed too: {exc}") from None


def pull_missing_bento(tag: str, missing: NotFound) -> Any:
    """The bento ``tag`` pulled (with its models) from the registry, or ``missing`` re-raised."""
    from tiffin._registry._pull import pull_bento

    return _pull("bento", tag, missing, lambda: pull_bento(tag, with_models=True)[0])


def pull_missing_model(tag: Any, missing: NotFound) -> Any:
    """The model ``tag`` pulled from the registry, or ``missing`` re-raised."""
    from tiffin._registry._pull import pull_model

    return _pull("model", str(tag), missing, lambda: pull_model(tag)[0])
