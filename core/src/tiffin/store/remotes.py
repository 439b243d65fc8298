"""Which remote a URL names: the store the ``register_remotes`` hook provides for its scheme.

The configured remote comes from ``TIFFIN_REGISTRY_URL`` / ``TIFFIN_REGISTRY_TOKEN`` or the file
``tiffin registry login`` writes; ``http(s)://`` is the tiffin registry (core's built-in
remote), other schemes come from plugins (``oci://`` from ``tiffin-oci``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tiffin import _plugins
from tiffin.exceptions import MissingPlugin
from tiffin.hookspecs import RemoteStore
from tiffin.store._registry_config import RegistryConfig, normalize_url, registry_config

__all__ = ["configured_remote", "open_remote"]

#: Remotes the project ships, so that a missing one gets an exact install line.
_KNOWN = {"oci": "tiffin-oci"}


def configured_remote(required: bool = True) -> RegistryConfig | None:
    """The remote configured for push, pull and auto-pull (URL and token), or ``None``."""
    return registry_config(required=required)


def open_remote(url: str | None = None, token: str | None = None) -> RemoteStore:
    """A :class:`~tiffin.hookspecs.RemoteStore` for ``url`` (default: the configured remote).

    Raises :class:`~tiffin.exceptions.NotFound` when no remote is configured and
    :class:`~tiffin.exceptions.MissingPlugin` when no installed plugin serves the URL's scheme.
    """
    if url is None:
        config = registry_config()
        assert config is not None
        url, token = config.url, config.token if token is None else token
    url = normalize_url(url)
    scheme = urlsplit(url).scheme.lower()
    remotes = _plugins.remotes()
    remote = remotes.get(scheme)
    if remote is None:
        dist = _KNOWN.get(scheme)
        hint = (
            f"install it with: pip install {dist}"
            if dist
            else f"installed remotes serve: {', '.join(sorted(remotes)) or 'nothing'}"
        )
        raise MissingPlugin(f"no installed remote serves {scheme}:// URLs like {url!r}; {hint}")
    return remote.open(url, token)
