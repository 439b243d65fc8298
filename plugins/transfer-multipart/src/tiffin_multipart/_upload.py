"""The client half of a multipart upload: list what exists, send the rest, complete.

Parts go up ``threads`` at a time, each streamed from the file in 1 MiB reads, so memory stays
well under ``threads x part size``. Each part request is retried on its own
(:mod:`tiffin_multipart._retry`); the upload completes with every part's ETag, and the registry
checks the assembled blob's sha256 before the blob exists.

A push killed half-way leaves the registry holding the parts that finished; the next push gets
the same upload back in its offer, lists those parts, and sends only the others.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx

from tiffin_multipart._errors import failure
from tiffin_multipart._parts import Part, plan_parts, run_parts
from tiffin_multipart._retry import with_retries
from tiffin_multipart._slots import part_slots

__all__ = ["UploadReport", "upload"]

_PART_TIMEOUT = httpx.Timeout(120.0, connect=15.0)
_COMPLETE_TIMEOUT = httpx.Timeout(900.0, connect=15.0)


@attrs.frozen
class UploadReport:
    """What one upload moved: parts and bytes sent now, and those the registry already held."""

    parts_sent: int
    bytes_sent: int
    parts_skipped: int
    bytes_skipped: int


class _PartURLs:
    """Where each part goes: the registry's own part route, or presigned storage URLs."""

    def __init__(self, offer: dict[str, Any], http: httpx.Client) -> None:
        self._template: str | None = offer.get("part_url")
        self._sign_url: str | None = offer.get("sign_url")
        self._http = http
        self._signed: dict[int, str] = {}
        self._lock = threading.Lock()
        if not self._template and not self._sign_url:
            raise ValueError("a multipart offer names part_url or sign_url")

    @property
    def authenticated(self) -> bool:
        """Whether part requests carry the registry's token (never sent to a storage host)."""
        return bool(self._template)

    def fetch(self, numbers: list[int]) -> None:
        """Ask for presigned URLs of ``numbers`` in one request (no-op for the direct route)."""
        if self._template or not numbers or self._sign_url is None:
            return
        sign_url = self._sign_url

        def ask() -> httpx.Response:
            response = self._http.post(
                sign_url, json={"part_numbers": numbers}, timeout=_PART_TIMEOUT
            )
            response.raise_for_status()
            return response

        urls = with_retries(ask).json()["urls"]
        with self._lock:
            self._signed.update({int(k): v for k, v in urls.items()})

    def url(self, number: int) -> str:
        if self._template:
            return self._template.replace("{part_number}", str(number))
        with self._lock:
            known = self._signed.get(number)
        if known is None:
            self.fetch([number])
            with self._lock:
                known = self._signed[number]
        return known


def _existing_parts(offer: dict[str, Any], http: httpx.Client) -> dict[int, int]:
    """Part number -> size of the parts the registry already holds for this upload."""

    def ask() -> httpx.Response:
        response = http.get(offer["parts_url"], timeout=_PART_TIMEOUT)
        response.raise_for_status()
        return response

    listed = with_retries(ask).json().get("parts", [])
    return {int(p["part_number"]): int(p["size"]) for p in listed}


_CHUNK = 1024 * 1024


def _part_body(fd: int, part: Part) -> Iterator[bytes]:
    """The part's bytes in 1 MiB reads: a part is never held whole in memory (16 MiB buffers
    in ten threads fragment the heap far beyond their sum)."""
    offset = part.start
    while offset < part.end:
        chunk = os.pread(fd, min(_CHUNK, part.end - offset), offset)
        if not chunk:
            raise OSError(f"the file shrank while it was being pushed (part {part.number})")
        offset += len(chunk)
        yield chunk


def upload(
    offer: dict[str, Any],
    source: Path,
    size: int,
    http: httpx.Client,
    progress: Callable[[int], None],
    *,
    threads: int,
) -> UploadReport:
    """Send ``source`` (``size`` bytes) as the multipart upload ``offer`` describes."""
    digest = str(offer.get("sha256", ""))[:12]
    doing = f"multipart upload of blob {digest}"
    parts = plan_parts(size, int(offer["part_size"]))
    try:
        held = _existing_parts(offer, http)
    except httpx.HTTPError as exc:
        raise failure(exc, doing) from exc
    todo = [p for p in parts if held.get(p.number) != p.size]
    done = [p for p in parts if held.get(p.number) == p.size]

    urls = _PartURLs(offer, http)
    storage_http = None if urls.authenticated else httpx.Client(timeout=_PART_TIMEOUT)
    part_http = http if storage_http is None else storage_http
    etags: dict[int, str] = {}
    lock = threading.Lock()
    fd = os.open(source, os.O_RDONLY)
    try:
        try:
            urls.fetch([p.number for p in todo])
        except httpx.HTTPError as exc:
            raise failure(exc, doing) from exc

        slots = part_slots(threads)

        def send(part: Part) -> None:
            with slots:
                _send(part)

        def _send(part: Part) -> None:
            length = {"Content-Length": str(part.size)}

            def put() -> httpx.Response:
                response = part_http.put(
                    urls.url(part.number),
                    content=_part_body(fd, part),
                    headers=length,
                    timeout=_PART_TIMEOUT,
                )
                response.raise_for_status()
                return response

            try:
                response = with_retries(put)
            except httpx.HTTPError as exc:
                raise failure(exc, f"{doing}, part {part.number}") from exc
            etag = response.headers.get("etag", "").strip('"')
            with lock:
                etags[part.number] = etag
            progress(part.size)

        run_parts(send, todo, threads, "tiffin-part")
    finally:
        os.close(fd)
        if storage_http is not None:
            storage_http.close()

    _complete(offer, http, parts, etags, doing)
    return UploadReport(
        parts_sent=len(todo),
        bytes_sent=sum(p.size for p in todo),
        parts_skipped=len(done),
        bytes_skipped=sum(p.size for p in done),
    )


def _complete(
    offer: dict[str, Any],
    http: httpx.Client,
    parts: list[Part],
    etags: dict[int, str],
    doing: str,
) -> None:
    """Complete with the parts' ETags; ETags of parts sent earlier come from the registry."""
    if any(p.number not in etags for p in parts):

        def ask() -> httpx.Response:
            response = http.get(offer["parts_url"], timeout=_PART_TIMEOUT)
            response.raise_for_status()
            return response

        try:
            listed = with_retries(ask).json().get("parts", [])
        except httpx.HTTPError as exc:
            raise failure(exc, doing) from exc
        for p in listed:
            etags.setdefault(int(p["part_number"]), str(p["etag"]))
    body = {"parts": [{"part_number": p.number, "etag": etags.get(p.number, "")} for p in parts]}

    def complete() -> httpx.Response:
        response = http.post(offer["complete_url"], json=body, timeout=_COMPLETE_TIMEOUT)
        response.raise_for_status()
        return response

    try:
        with_retries(complete)
    except httpx.HTTPError as exc:
        raise failure(exc, doing) from exc
