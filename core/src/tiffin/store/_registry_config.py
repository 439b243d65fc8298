"""Which registry the client talks to, and with which token.

``TIFFIN_REGISTRY_URL`` and ``TIFFIN_REGISTRY_TOKEN`` win; otherwise the file written by
``tiffin registry login URL --token T``: ``$TIFFIN_CONFIG_DIR/registry.json`` (default
``$XDG_CONFIG_HOME/tiffin``, else ``~/.config/tiffin``), created with mode 0600 because it
holds a secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from tiffin import _plugins
from tiffin.exceptions import InvalidArgument, NotFound

__all__ = ["RegistryConfig", "config_path", "login", "registry_config"]

CONFIG_NAME = "registry.json"
#: Remotes the project ships as plugins, so that a URL for one names the package to install.
_KNOWN_REMOTES = {"oci": "tiffin-oci"}


@attrs.frozen(repr=False)
class RegistryConfig:
    """A registry's base URL and the bearer token for it (``None``: anonymous)."""

    url: str
    token: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"RegistryConfig(url={self.url!r}, token={'***' if self.token else None})"


def config_dir() -> Path:
    explicit = os.environ.get("TIFFIN_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path("~/.config").expanduser()
    return base / "tiffin"


def config_path() -> Path:
    """The file ``tiffin registry login`` writes."""
    return config_dir() / CONFIG_NAME


def normalize_url(url: str) -> str:
    """``url`` checked to be a URL with a scheme and a host, without a trailing slash.

    Which schemes work depends on the installed remotes (``http``/``https``: the tiffin
    registry; ``oci``: ``tiffin-oci``); that is checked when the URL is opened.
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    schemes = set(_plugins.remotes()) | {"http", "https"}
    if parts.scheme.lower() not in schemes or not parts.netloc:
        others = sorted(schemes - {"http", "https"})
        extra = f" (or {', '.join(f'{s}://...' for s in others)})" if others else ""
        known = _KNOWN_REMOTES.get(parts.scheme.lower())
        raise InvalidArgument(
            f"the registry URL must look like http://host:port or https://host{extra}, "
            f"got {url!r}"
            + (f"; {parts.scheme}:// needs {known}: pip install {known}" if known else "")
        )
    return text.rstrip("/")


def _read_file() -> dict[str, str]:
    path = config_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidArgument(
            f"{path} cannot be read ({exc}); run `tiffin registry login URL --token T` again"
        ) from None
    return data if isinstance(data, dict) else {}


def registry_config(required: bool = True) -> RegistryConfig | None:
    """The configured registry; :class:`NotFound` (or ``None``) when none is configured."""
    env_url = os.environ.get("TIFFIN_REGISTRY_URL")
    stored = _read_file()
    url = env_url or stored.get("url")
    if not url:
        if not required:
            return None
        raise NotFound(
            "no registry is configured: set TIFFIN_REGISTRY_URL or run "
            "`tiffin registry login URL --token TOKEN`"
        )
    token = os.environ.get("TIFFIN_REGISTRY_TOKEN")
    if token is None and (not env_url or normalize_url(env_url) == stored.get("url")):
        token = stored.get("token")
    return RegistryConfig(normalize_url(url), token or None)


def login(url: str, token: str | None) -> Path:
    """Store ``url`` and ``token`` in the user's config file (mode 0600); return its path."""
    url = normalize_url(url)
    if token is not None and (not token.strip() or any(c.isspace() for c in token)):
        raise InvalidArgument("the token must be one word without spaces")
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{CONFIG_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url, "token": token}, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
