"""Auto-pull: the remote at the end of every kind's store chain, for ``serve`` and ``batch``.

``tiffin serve`` and ``tiffin batch`` call :func:`enable`; from then on, in that process and in
the worker processes it starts, a bento tag or model tag that no local store holds is pulled
from the configured remote (a bento with its models) instead of failing. ``TIFFIN_AUTO_PULL=0``
turns it off; without a configured remote nothing changes. The code that looks things up
(``tiffin.models.get``, the bento loader, the server, the batch runner) only asks the chain.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from tiffin.exceptions import NotFound, NotStored, TiffinError
from tiffin.hookspecs import TransferOptions
from tiffin.store.copying import LOCAL, Remote, copy
from tiffin.store.kinds import Kind
from tiffin.store.remotes import configured_remote
from tiffin.store.tag import Tag

__all__ = ["AutoPull", "enable", "enabled"]

_ENABLED_ENV = "TIFFIN_AUTO_PULL_ACTIVE"  # inherited by worker processes
_OFF = {"0", "false", "no", "off"}
_noticed: set[str] = set()
_lock = threading.Lock()


def enable() -> None:
    """Let this process (and its children) pull versions no local store holds."""
    os.environ[_ENABLED_ENV] = "1"


def enabled() -> bool:
    """Whether :func:`enable` was called here (or in a parent process)."""
    return os.environ.get(_ENABLED_ENV) == "1"


def _switched_off() -> bool:
    return os.environ.get("TIFFIN_AUTO_PULL", "1").strip().lower() in _OFF


def _again(missing: NotFound, message: str) -> NotFound:
    """``missing`` with a longer message, keeping its type and fields."""
    if isinstance(missing, NotStored):
        return NotStored(
            message,
            kind=missing.kind,
            name=missing.name,
            version=missing.version,
            other_kind=missing.other_kind,
        )
    return NotFound(message)


def _notice(line: str) -> None:
    with _lock:
        if line in _noticed:
            return
        _noticed.add(line)
    sys.stderr.write(line + "\n")


class AutoPull:
    """The tail of a kind's store chain: pulls what is missing, when enabled."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def get(self, tag: str | Tag, missing: NotFound) -> Any:
        if not enabled():
            raise missing
        try:
            config = configured_remote(required=False)
        except TiffinError:
            config = None
        if config is None:
            raise missing
        text = str(Tag.parse(tag))
        if _switched_off():
            raise _again(
                missing,
                f"{missing}; auto-pull is off (TIFFIN_AUTO_PULL=0), so the registry at "
                f"{config.url} was not asked: run `tiffin {_pull(self.kind)} {text}` first",
            ) from None
        _notice(f"{self.kind.name} {text} is not stored here: pulling it from {config.url}")
        try:
            return copy(self.kind, tag, Remote(), LOCAL, TransferOptions(with_models=True)).item
        except NotFound as exc:
            raise _again(
                missing, f"{missing}; the registry at {config.url} was asked too: {exc}"
            ) from None
        except TiffinError as exc:
            raise _again(
                missing, f"{missing}; pulling it from the registry at {config.url} failed: {exc}"
            ) from None


def _pull(kind: Kind) -> str:
    return "pull" if kind.name == "bento" else "models pull"
