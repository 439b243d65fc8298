"""Local files as a storage backend: plain paths and ``file://`` URLs."""

from __future__ import annotations

from typing import Any

from tiffin.hookspecs import hookimpl


class LocalStorage:
    """Local disk through fsspec's LocalFileSystem."""

    schemes = ("file", "local")

    def filesystem(self, url: str) -> tuple[Any, str]:
        from fsspec.implementations.local import LocalFileSystem

        fs = LocalFileSystem()
        return fs, fs._strip_protocol(url)


@hookimpl
def register_storage_backends(register):
    register(LocalStorage())
