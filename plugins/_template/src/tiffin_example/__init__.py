"""tiffin-example: the entry-point module. It must stay light: no framework import here."""

from __future__ import annotations

import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_example._adapter import ExampleAdapter

    register(ExampleAdapter())


@tiffin.hookimpl
def register_io_descriptors(register):
    from tiffin_example._io import IntList

    register(IntList)
