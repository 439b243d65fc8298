"""Where credentials for an OCI registry come from, and ``tiffin oci login|logout``'s file.

In order: the ``username``/``password`` (or token) given to the remote,
``TIFFIN_OCI_USERNAME``/``TIFFIN_OCI_PASSWORD``, and Docker's ``config.json``
(``$DOCKER_CONFIG/config.json``, default ``~/.docker/config.json``: ``auths[HOST].auth`` is
``base64(user:password)``), which ``docker login``, ``oras login`` and ``tiffin oci login`` all
write. Light on purpose (no httpx): the CLI imports it at start-up.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from tiffin.exceptions import InvalidArgument

__all__ = ["Credentials", "docker_config_path", "load_credentials", "login", "logout"]

Credentials = tuple[str, str]


def docker_config_path() -> Path:
    """Docker's ``config.json`` (``$DOCKER_CONFIG`` is the folder holding it, as for docker)."""
    folder = os.environ.get("DOCKER_CONFIG")
    base = Path(folder).expanduser() if folder else Path("~/.docker").expanduser()
    return base / "config.json"


def _read_config(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidArgument(f"{path} cannot be read as JSON ({exc}); fix or remove it") from None
    return data if isinstance(data, dict) else {}


def _host_keys(host: str) -> list[str]:
    keys = [host, f"https://{host}", f"http://{host}", f"https://{host}/v2/", f"http://{host}/v1/"]
    if host in ("docker.io", "registry-1.docker.io"):
        keys.append("https://index.docker.io/v1/")
    return keys


def load_credentials(host: str) -> Credentials | None:
    """``(username, password)`` for ``host`` from the environment or Docker's config, if any."""
    user, password = os.environ.get("TIFFIN_OCI_USERNAME"), os.environ.get("TIFFIN_OCI_PASSWORD")
    if user and password is not None:
        return user, password
    path = docker_config_path()
    auths = _read_config(path).get("auths")
    if not isinstance(auths, dict):
        return None
    for key in _host_keys(host):
        entry = auths.get(key)
        if isinstance(entry, dict) and entry.get("auth"):
            try:
                decoded = base64.b64decode(str(entry["auth"])).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise InvalidArgument(
                    f"{path}: the auth of {key!r} is not base64 of user:password"
                ) from None
            user, sep, password = decoded.partition(":")
            if not sep:
                raise InvalidArgument(f"{path}: the auth of {key!r} is not base64 of user:password")
            return user, password
    return None


def login(host: str, username: str, password: str) -> Path:
    """Store ``username:password`` for ``host`` in Docker's ``config.json`` (mode 0600)."""
    if not username or ":" in username:
        raise InvalidArgument("the username must be non-empty and hold no ':'")
    path = docker_config_path()
    data = _read_config(path)
    auths = data.get("auths")
    if not isinstance(auths, dict):
        auths = {}
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    auths[host] = {"auth": token}
    data["auths"] = auths
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".config.json.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent="\t")
    os.replace(tmp, path)
    return path


def logout(host: str) -> bool:
    """Remove ``host``'s entry from Docker's ``config.json``; whether there was one."""
    path = docker_config_path()
    data = _read_config(path)
    auths = data.get("auths")
    if not isinstance(auths, dict) or host not in auths:
        return False
    del auths[host]
    tmp = path.with_name(f".config.json.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent="\t")
    os.replace(tmp, path)
    return True
