"""HTTP to the registry: one authenticated ``httpx.Client``, registry errors as typed exceptions.

Every answer that is not a success becomes a :class:`tiffin.exceptions.TiffinError` subclass
chosen by status code and the JSON ``kind`` the registry sends, never by the message text;
the message is the registry's own one line. The token is never part of a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tiffin.exceptions import (
    Conflict,
    DigestMismatch,
    Forbidden,
    InvalidArgument,
    NotFound,
    RegistryError,
    RegistryUnreachable,
    TiffinError,
    TransferUnavailable,
    Unauthorized,
)
from tiffin.store._registry_config import RegistryConfig, registry_config

__all__ = ["API", "RegistryClient", "raise_for_registry", "translate_errors"]

API = "/api/v1"
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

_BY_KIND: dict[str, type[TiffinError]] = {
    "digest_mismatch": DigestMismatch,
    "transfer_unavailable": TransferUnavailable,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
}
_BY_STATUS: dict[int, type[TiffinError]] = {
    400: InvalidArgument,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: InvalidArgument,
}


def error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except Exception:
        return {}
    return data if isinstance(data, dict) else {}


def raise_for_registry(response: httpx.Response, url: str) -> None:
    """Raise the typed error a registry's failure answer stands for; return on success."""
    if response.is_success:
        return
    body = error_body(response)
    kind = body.get("kind")
    message = body.get("error") if isinstance(body.get("error"), str) else None
    status = response.status_code
    if status == 401:
        message = (
            f"the registry at {url} refused the request (401): "
            + (message or "a token is needed")
            + "; set TIFFIN_REGISTRY_TOKEN or run `tiffin registry login URL --token TOKEN`"
        )
    elif status == 403:
        message = f"the registry at {url} refused the request (403): " + (
            message or "this token's scope does not allow it (a write token is needed to push)"
        )
    elif status == 404 and kind is None and message is None:
        raise RegistryError(
            f"{url} does not answer as a tiffin registry ({response.request.method} "
            f"{response.request.url.path} is 404 without a registry's error body); check "
            f"TIFFIN_REGISTRY_URL or `tiffin registry login`"
        )
    elif message is None:
        text = response.text.strip().splitlines()
        message = f"the registry at {url} answered {status}" + (
            f": {text[0][:200]}" if text else ""
        )
    cls = _BY_KIND.get(kind or "") or _BY_STATUS.get(status) or RegistryError
    error = cls(message)
    error.body = body  # type: ignore[attr-defined]
    raise error


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Turn httpx's transport failures into one readable line."""
    try:
        yield
    except httpx.ConnectError as exc:
        raise RegistryUnreachable(
            f"no registry answered at {url} ({_reason(exc)}); check TIFFIN_REGISTRY_URL or "
            f"`tiffin registry login`, and that the registry is running"
        ) from None
    except httpx.TimeoutException:
        raise RegistryUnreachable(f"the registry at {url} did not answer in time") from None
    except httpx.TransportError as exc:
        raise RegistryUnreachable(
            f"the connection to the registry at {url} failed ({_reason(exc)})"
        ) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class RegistryClient:
    """The registry's JSON API, for push, pull and ``--remote`` listings."""

    def __init__(self, config: RegistryConfig | None = None) -> None:
        self.config = config or registry_config()
        assert self.config is not None
        self.url = self.config.url
        headers = {"User-Agent": "tiffin"}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=_TIMEOUT, follow_redirects=False
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with translate_errors(self.url):
            response = self.http.request(method, API + path, **kwargs)
        raise_for_registry(response, self.url)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    # -- the API ------------------------------------------------------------------------------

    def missing_blobs(self, blobs: list[tuple[str, int]]) -> set[str]:
        """Which of ``(sha256, size)`` the registry lacks."""
        if not blobs:
            return set()
        body = {"blobs": [{"sha256": d, "size": s} for d, s in blobs]}
        return set(self.json("POST", "/blobs/check", json=body)["missing"])

    def offer(self, direction: str, sha256: str, size: int, strategies: list[str]) -> dict:
        body: dict[str, Any] = {"strategies": strategies}
        if direction == "upload":
            body["size"] = size
        return self.json("POST", f"/blobs/{sha256}/{direction}", json=body)

    def get_version(self, kind: str, name: str, version: str) -> dict:
        return self.json("GET", f"/{kind}/{name}/versions/{version}")

    def find_version(self, kind: str, name: str, version: str) -> dict | None:
        try:
            return self.get_version(kind, name, version)
        except NotFound:
            return None

    def commit(
        self, kind: str, name: str, version: str, manifest: bytes, force: bool, bare: bool = False
    ) -> dict:
        params = {"force": "true"} if force else {}
        if bare:  # a flag registries without bare versions ignore (they then ask for the blobs)
            params["bare"] = "true"
        return self.json(
            "PUT",
            f"/{kind}/{name}/versions/{version}",
            params=params or None,
            content=manifest,
            headers={"Content-Type": "application/yaml"},
        )

    def list_versions(
        self, kind: str, name: str | None = None, labels: dict[str, str] | None = None
    ) -> list[dict]:
        """Every version (of ``name``, or of all repositories), newest first, all pages."""
        path = f"/{kind}/{name}/versions" if name else f"/{kind}/versions"
        params: list[tuple[str, str]] = [("label", f"{k}={v}") for k, v in (labels or {}).items()]
        items: list[dict] = []
        cursor = None
        while True:
            page_params = [*params, ("limit", "500")] + ([("cursor", cursor)] if cursor else [])
            page = self.json("GET", path, params=page_params)
            items += page["items"]
            cursor = page.get("next")
            if not cursor:
                return items

    def delete_version(self, kind: str, name: str, version: str) -> dict:
        return self.json("DELETE", f"/{kind}/{name}/versions/{version}")
