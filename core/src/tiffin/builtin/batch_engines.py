"""The built-in ``local`` batch engine, registered like any plugin's engine."""

from __future__ import annotations

from tiffin.hookspecs import hookimpl


@hookimpl
def register_batch_engines(register):
    from tiffin._batch._local import LocalEngine

    register(LocalEngine())
