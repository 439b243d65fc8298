"""Credentials and the registry's auth challenges: anonymous, basic and bearer tokens.

Credentials come from, in order: the ``username``/``password`` given to the remote,
``TIFFIN_OCI_USERNAME``/``TIFFIN_OCI_PASSWORD``, and Docker's ``config.json``
(``$DOCKER_CONFIG/config.json``, default ``~/.docker/config.json``: ``auths[HOST].auth`` is
``base64(user:password)``), which ``docker login``, ``oras login`` and ``tiffin oci login``
all write. A registry answers 401 with ``WWW-Authenticate``: ``Basic`` is answered with the
credentials, ``Bearer realm=...,service=...,scope=...`` by fetching a token from the realm
(with the credentials when there are some, anonymously otherwise) and retrying.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from pathlib import Path

import httpx

from tiffin.exceptions import InvalidArgument, Unauthorized

__all__ = [
    "Authenticator",
    "Credentials",
    "docker_config_path",
    "load_credentials",
    "login",
    "logout",
]

Credentials = tuple[str, str]
#: A token refused within this many seconds of being fetched lacks the scope; an older one
#: may have expired and is fetched again.
_FRESH_SECONDS = 10.0
_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


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


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``("bearer", {"realm": ..., "service": ..., "scope": ...})`` from a WWW-Authenticate."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in _PARAM_RE.finditer(rest)
    }
    return scheme.lower(), params


class Authenticator:
    """Answers a registry's 401 challenges and remembers the answer per repository.

    Thread-safe: blobs go up in parallel and share the tokens.
    """

    def __init__(self, host: str, credentials: Credentials | None) -> None:
        self.host = host
        self.credentials = credentials
        self._lock = threading.Lock()
        self._headers: dict[str, str] = {}  # repository ("" for the registry) -> Authorization
        self._scopes: dict[str, str] = {}  # repository -> the scope its bearer token answered
        self._obtained: dict[str, float] = {}  # repository -> when its token was fetched

    def header(self, repo: str) -> str | None:
        with self._lock:
            return self._headers.get(repo) or self._headers.get("*")

    def _basic(self) -> str:
        assert self.credentials is not None
        raw = f"{self.credentials[0]}:{self.credentials[1]}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def answer(self, client: httpx.Client, repo: str, response: httpx.Response) -> bool:
        """Handle a 401: remember a new Authorization for ``repo``; False when there is none."""
        challenge = response.headers.get("www-authenticate", "")
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            if self.credentials is None:
                raise Unauthorized(
                    f"{self.host} asks for a username and password; run `tiffin oci login "
                    f"oci://{self.host}` (or `docker login {self.host}`)"
                )
            with self._lock:
                if self._headers.get("*") == self._basic():
                    raise Unauthorized(
                        f"{self.host} refused the username and password for "
                        f"{self.credentials[0]!r}; run `tiffin oci login oci://{self.host}` again"
                    )
                self._headers["*"] = self._basic()
            return True
        if scheme != "bearer" or "realm" not in params:
            return False
        query = {k: v for k, v in params.items() if k in ("service", "scope")}
        sent = response.request.headers.get("authorization", "")
        with self._lock:
            current = self._headers.get(repo)
            if sent.startswith("Bearer ") and current is not None and current != sent:
                return True  # another thread got a newer token meanwhile: retry with it
            fresh = time.monotonic() - self._obtained.get(repo, 0.0) < _FRESH_SECONDS
            same = sent.startswith("Bearer ") and self._scopes.get(repo) == query.get("scope", "")
            if same and fresh:
                return False  # a new token for exactly this scope was refused: give up
            # (an older one may simply have expired during a long push: fetch another)
        headers = {}
        if self.credentials is not None:
            headers["Authorization"] = self._basic()
        try:
            got = client.get(params["realm"], params=query, headers=headers)
        except httpx.HTTPError as exc:
            raise Unauthorized(
                f"the token service of {self.host} at {params['realm']} did not answer ({exc})"
            ) from None
        if got.status_code in (401, 403):
            who = f"user {self.credentials[0]!r}" if self.credentials else "an anonymous client"
            raise Unauthorized(
                f"the token service of {self.host} refused {who} for "
                f"{params.get('scope', 'the registry')}; run `tiffin oci login oci://{self.host}`"
            )
        try:
            body = got.json()
            token = body.get("token") or body.get("access_token")
        except ValueError:
            token = None
        if got.status_code != 200 or not token:
            raise Unauthorized(
                f"the token service of {self.host} at {params['realm']} gave no token "
                f"(HTTP {got.status_code})"
            )
        with self._lock:
            self._headers[repo] = f"Bearer {token}"
            self._scopes[repo] = query.get("scope", "")
            self._obtained[repo] = time.monotonic()
        return True
