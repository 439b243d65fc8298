"""Serving engines: ``register_serving_engines`` for ``tiffin serve TARGET --engine NAME``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

__all__ = ["ServingEngine", "register_serving_engines"]


@runtime_checkable
class ServingEngine(Protocol):
    """Serves a service or a bento until stopped.

    - ``name``: a lowercase name, what ``--engine NAME`` selects (``"local"``, built in, is
      tiffin's own uvicorn server).
    - ``serve(target, options) -> None``: serve ``target`` (what ``tiffin serve`` takes: a
      service file or module, a bento folder or tag) with ``options`` (an object
      with ``host``, ``port``, ``workers``, ``production``, ``working_dir``, ...) and block
      until the server stops. Raise :class:`tiffin.exceptions.TiffinError` with one readable
      line for anything the user can fix.
    """

    name: str

    def serve(self, target: str, options: Any) -> None: ...


@hookspec
def register_serving_engines(register: Callable[[ServingEngine], None]) -> None:
    """Register serving engines.

    :param register: call ``register(engine)`` once per :class:`ServingEngine`; a name
        registered twice is a warning and the first (the built-in ``local``) wins.

    Called only when ``tiffin serve`` is given ``--engine`` with a name other than ``local``
    (the default path never loads plugins for this).
    """
