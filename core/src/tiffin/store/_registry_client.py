"""HTTP to the registry: one authenticated ``httpx.Client``, registry errors as typed exceptions.

Every answer that is not a success becomes a :class:`tiffin.exceptions.TiffinError` subclass
chosen by status code and the JSON ``kind`` the registry sends, never by the message text;
the message is the registry's own one line. The token is never part of a message.
"""

from __future__ import annotations

from typing import Any

import httpx

from tiffin.exceptions import NotFound, RegistryError
from tiffin.store._registry_config import RegistryConfig, registry_config
from tiffin.transfer import raise_for_registry, translate_errors

__all__ = ["API", "RegistryClient", "raise_for_registry", "translate_errors"]

API = "/api/v1"
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _registry_error(response: httpx.Response) -> bool:
    """Whether a failure answer carries a tiffin registry's JSON error (``kind``, ``error``)."""
    try:
        body = response.json()
    except Exception:
        return False
    return isinstance(body, dict) and ("kind" in body or "error" in body)


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
        if response.status_code == 404 and not _registry_error(response):
            raise RegistryError(
                f"{self.url} does not answer as a tiffin registry ({method} {API + path} is 404 "
                f"without a registry's error body); check TIFFIN_REGISTRY_URL or `tiffin "
                f"registry login`"
            )
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
