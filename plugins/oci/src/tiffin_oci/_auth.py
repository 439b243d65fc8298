"""The registry's auth challenges: anonymous, basic and bearer tokens.

Credentials come from :mod:`tiffin_oci._credentials`. A registry answers 401 with ``WWW-Authenticate``: ``Basic`` is answered with the
credentials, ``Bearer realm=...,service=...,scope=...`` by fetching a token from the realm
(with the credentials when there are some, anonymously otherwise) and retrying.
"""

from __future__ import annotations

import base64
import re
import threading
import time

import httpx

from tiffin.exceptions import Unauthorized
from tiffin_oci._credentials import Credentials

__all__ = ["Authenticator", "parse_challenge"]

#: A token refused within this many seconds of being fetched lacks the scope; an older one
#: may have expired and is fetched again.
_FRESH_SECONDS = 10.0
_PARAM_RE = re.compile(r'([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')


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
