"""The built-in remote: the tiffin registry over ``http://`` and ``https://``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tiffin.hookspecs import hookimpl


class RegistryRemote:
    """Opens :class:`tiffin.hookspecs.RemoteStore` objects for a tiffin registry's URL."""

    schemes = ("http", "https")

    def open(self, url: str, token: str | None) -> Any:
        # httpx is imported only when a registry is actually used, not at plugin load
        from tiffin.store._registry_remote import RegistryRemoteStore

        return RegistryRemoteStore(url, token)

    def __repr__(self) -> str:
        return "RegistryRemote(http, https)"


@hookimpl
def register_remotes(register: Callable[[Any], None]) -> None:
    register(RegistryRemote())
