"""An OCI distribution-spec client: blobs, uploads, manifests, tags and the catalog.

Only what tiffin needs, done the way the spec intends: ``HEAD`` before an upload, a
cross-repository mount when the blob sits in a sibling repository, one ``POST`` + ``PUT`` for a
small blob and ``PATCH`` chunks for a large one (the upload location is remembered in a small
state file, so a killed push resumes after ``GET``-ting how much the registry holds), ranged
downloads into a partial file that a later pull continues, and the sha256 of every download
checked before the file is handed over.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tiffin.exceptions import (
    DigestMismatch,
    Forbidden,
    NotFound,
    RegistryError,
    RegistryUnreachable,
    TiffinError,
    Unauthorized,
)
from tiffin_oci._auth import Authenticator, Credentials
from tiffin_oci._url import OCIURL

__all__ = ["CHUNK_SIZE", "MONOLITHIC_LIMIT", "DistributionClient"]

#: Blobs up to this size go up in one ``PUT``; bigger ones in ``PATCH`` chunks of CHUNK_SIZE.
MONOLITHIC_LIMIT = 32 << 20
CHUNK_SIZE = 32 << 20
#: Tries per chunk or download before a broken connection is reported (each resumes).
_ATTEMPTS = 3
_READ = 1 << 20
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
Progress = Callable[[int], None]


def _digest(hex_sha256: str) -> str:
    return hex_sha256 if hex_sha256.startswith("sha256:") else f"sha256:{hex_sha256}"


class _FileSlice:
    """``length`` bytes of a file (or of bytes in memory) from ``start``, as an iterable body,
    counting what was read."""

    def __init__(
        self, path: Path | bytes, start: int, length: int, progress: Progress | None
    ) -> None:
        self.path, self.start, self.length, self.progress = path, start, length, progress

    def __iter__(self) -> Iterator[bytes]:
        left = self.length
        source = self.path
        with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as f:
            f.seek(self.start)
            while left > 0:
                data = f.read(min(_READ, left))
                if not data:
                    what = "a blob in memory" if isinstance(source, bytes) else str(source)
                    raise RegistryError(f"{what} shrank while it was being uploaded")
                left -= len(data)
                if self.progress is not None:
                    self.progress(len(data))
                yield data


class DistributionClient:
    """Talks to one registry (``url.base``) on behalf of one ``oci://`` remote.

    :param state_dir: where upload locations of unfinished chunked uploads are remembered.
    """

    def __init__(
        self,
        url: OCIURL,
        credentials: Credentials | None,
        *,
        state_dir: Path,
        chunk_size: int = CHUNK_SIZE,
        monolithic_limit: int = MONOLITHIC_LIMIT,
        timeout: float = 60.0,
    ) -> None:
        self.url = url
        self.auth = Authenticator(url.host, credentials)
        self.state_dir = state_dir
        self.chunk_size = chunk_size
        self.monolithic_limit = monolithic_limit
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._state_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DistributionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -----------------------------------------------------------------------------

    def _abs(self, location: str) -> str:
        return urljoin(self.url.base + "/", location)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        repo: str = "",
        body: Callable[[], Any] | None = None,
        ok: tuple[int, ...] = (200,),
        stream: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, answering one auth challenge; errors become one-line tiffin errors.

        ``body`` makes the request content (called again when a challenge forces a retry).
        A streamed response must be closed by the caller.
        """
        url = path_or_url if "://" in path_or_url else self.url.base + path_or_url
        headers = dict(kwargs.pop("headers", None) or {})
        for _attempt in range(3):
            auth = self.auth.header(repo)
            if auth is not None and urlsplit(url).netloc == urlsplit(self.url.base).netloc:
                headers["Authorization"] = auth
            content = body() if body is not None else kwargs.get("content")
            extra = {k: v for k, v in kwargs.items() if k != "content"}
            try:
                request = self._http.build_request(
                    method, url, headers=headers, content=content, **extra
                )
                response = self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                raise RegistryUnreachable(
                    f"no OCI registry answered at {self.url.base} ({type(exc).__name__}: {exc})"
                ) from None
            if response.status_code == 401:
                if stream:
                    response.read()
                    response.close()
                if self.auth.answer(self._http, repo, response):
                    continue
                raise Unauthorized(
                    f"{self.url.host} refused the request to {repo or 'the registry'} "
                    f"(HTTP 401: {_error_text(response)}); run `tiffin oci login oci://{self.url.host}`"
                )
            if response.status_code not in ok:
                if stream:
                    response.read()
                    response.close()
                raise _error(response, repo)
            return response
        raise Unauthorized(f"{self.url.host} kept asking for credentials for {repo}")

    # -- registry -----------------------------------------------------------------------------

    def ping(self) -> None:
        """``GET /v2/``: check that an OCI registry answers there (and learn its auth)."""
        try:
            self.request("GET", "/v2/")
        except (NotFound, RegistryError) as exc:
            if isinstance(exc, (RegistryUnreachable, Unauthorized, Forbidden)):
                raise
            raise RegistryError(
                f"{self.url.base} is not an OCI registry: GET /v2/ did not answer as the OCI "
                f"distribution API does ({exc}); check the host and port of {self.url}"
            ) from None

    def catalog(self) -> list[str] | None:
        """Every repository name, or None when the registry does not offer the catalog."""
        names: list[str] = []
        path: str | None = "/v2/_catalog?n=1000"
        while path:
            try:
                response = self.request("GET", path, repo="*catalog*")
            except (NotFound, Forbidden):
                return None
            except Unauthorized:
                self.ping()  # a real credentials problem says so here; else: no catalog for us
                return None
            except RegistryError as exc:
                if "UNSUPPORTED" in str(exc) or "405" in str(exc):
                    return None
                raise
            names += response.json().get("repositories") or []
            path = _next_link(response)
        return names

    def tags(self, repo: str) -> list[str]:
        """The tags of ``repo`` (empty when the repository does not exist)."""
        found: list[str] = []
        path: str | None = f"/v2/{repo}/tags/list?n=1000"
        while path:
            try:
                response = self.request("GET", path, repo=repo)
            except NotFound:
                return found
            found += response.json().get("tags") or []
            path = _next_link(response)
        return found

    # -- manifests ----------------------------------------------------------------------------

    def get_manifest(self, repo: str, reference: str) -> tuple[bytes, str, str] | None:
        """``(bytes, digest, media type)`` of a manifest, or None; the digest is verified."""
        try:
            response = self.request(
                "GET",
                f"/v2/{repo}/manifests/{reference}",
                repo=repo,
                headers={"Accept": ", ".join(MANIFEST_TYPES)},
            )
        except NotFound:
            return None
        data = response.content
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and digest != reference:
            raise DigestMismatch(
                f"{self.url.host} sent a manifest for {repo}@{reference} whose sha256 is {digest}"
            )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        return data, digest, media

    def head_manifest(self, repo: str, reference: str) -> str | None:
        """The digest the registry holds under ``reference``, or None."""
        try:
            response = self.request(
                "HEAD",
                f"/v2/{repo}/manifests/{reference}",
                repo=repo,
                headers={"Accept": ", ".join(MANIFEST_TYPES)},
            )
        except NotFound:
            return None
        return response.headers.get("docker-content-digest")

    def put_manifest(self, repo: str, reference: str, data: bytes, media_type: str) -> str:
        return self.put_manifest_subject(repo, reference, data, media_type)[0]

    def put_manifest_subject(
        self, repo: str, reference: str, data: bytes, media_type: str
    ) -> tuple[str, bool]:
        """Put a manifest; ``(digest, whether the registry indexed its subject)``: an OCI 1.1
        registry answers ``OCI-Subject`` and keeps the referrers itself; one that does not
        needs the client to keep the tag-schema fallback index."""
        response = self.request(
            "PUT",
            f"/v2/{repo}/manifests/{reference}",
            repo=repo,
            content=data,
            headers={"Content-Type": media_type},
            ok=(201, 200),
        )
        digest = response.headers.get("docker-content-digest") or (
            "sha256:" + hashlib.sha256(data).hexdigest()
        )
        return digest, "oci-subject" in response.headers

    def referrers(self, repo: str, digest: str) -> list[dict[str, Any]] | None:
        """The referrers API (``GET /v2/<repo>/referrers/<digest>``): descriptors of the
        manifests whose subject is ``digest``, or None where the registry lacks the API."""
        try:
            response = self.request(
                "GET",
                f"/v2/{repo}/referrers/{digest}",
                repo=repo,
                headers={"Accept": MANIFEST_TYPES[1]},
            )
        except (NotFound, RegistryError):
            return None
        if response.headers.get("content-type", "").split(";")[0].strip() != MANIFEST_TYPES[1]:
            return None
        try:
            found = response.json().get("manifests")
        except ValueError:
            return None
        return list(found) if isinstance(found, list) else None

    def delete_manifest(self, repo: str, digest: str) -> None:
        self.request("DELETE", f"/v2/{repo}/manifests/{digest}", repo=repo, ok=(202, 200))

    # -- blobs: upload ------------------------------------------------------------------------

    def blob_size(self, repo: str, digest: str) -> int | None:
        """``HEAD`` a blob: its size when ``repo`` has it, else None."""
        try:
            response = self.request("HEAD", f"/v2/{repo}/blobs/{_digest(digest)}", repo=repo)
        except NotFound:
            return None
        return int(response.headers.get("content-length", "-1"))

    def mount(self, repo: str, digest: str, source: str) -> bool:
        """Mount a blob of ``source`` into ``repo`` (no bytes move); False when not possible."""
        response = self.request(
            "POST",
            f"/v2/{repo}/blobs/uploads/",
            repo=repo,
            params={"mount": _digest(digest), "from": source},
            ok=(201, 202),
        )
        if response.status_code == 201:
            return True
        location = response.headers.get("location")
        if location:  # the registry opened an ordinary upload instead: close it
            with contextlib.suppress(RegistryError):
                self.request("DELETE", self._abs(location), repo=repo, ok=(204, 200, 404))
        return False

    def _state_file(self, repo: str, digest: str) -> Path:
        key = hashlib.sha256(f"{self.url.host}/{repo}@{digest}".encode()).hexdigest()[:32]
        return self.state_dir / f"{key}.json"

    def _remember(self, repo: str, digest: str, location: str | None) -> None:
        path = self._state_file(repo, digest)
        with self._state_lock:
            if location is None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                return
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps({"location": location}))
            os.replace(tmp, path)

    def _recall(self, repo: str, digest: str) -> str | None:
        try:
            data = json.loads(self._state_file(repo, digest).read_text())
        except (OSError, ValueError):
            return None
        return data.get("location") if isinstance(data, dict) else None

    def _start_upload(self, repo: str) -> str:
        response = self.request("POST", f"/v2/{repo}/blobs/uploads/", repo=repo, ok=(202,))
        location = response.headers.get("location")
        if not location:
            raise RegistryError(f"{self.url.host} opened an upload for {repo} without a Location")
        return self._abs(location)

    def _upload_offset(self, repo: str, location: str) -> tuple[int, str] | None:
        """How many bytes an open upload holds and where to go on (``GET`` its location), or
        None when the registry no longer knows it."""
        try:
            response = self.request("GET", location, repo=repo, ok=(204, 200))
        except (NotFound, RegistryError):
            return None
        ranged = response.headers.get("range", "")
        held = int(ranged.rsplit("-", 1)[1]) + 1 if "-" in ranged else 0
        return held, self._abs(response.headers.get("location") or location)

    def _finish(
        self, repo: str, location: str, digest: str, body: Callable[[], Any] | None
    ) -> None:
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}digest={_digest(digest)}"
        headers = {"Content-Type": "application/octet-stream"}
        try:
            self.request("PUT", url, repo=repo, body=body, headers=headers, ok=(201, 204))
        except RegistryError as exc:
            if "DIGEST_INVALID" in str(exc) or "BLOB_UPLOAD_INVALID" in str(exc):
                raise DigestMismatch(
                    f"{self.url.host} found that the bytes sent for {digest[:19]}... do not hash "
                    f"to it (the file changed while it was pushed?)"
                ) from None
            raise

    def upload(
        self,
        repo: str,
        digest: str,
        path: Path | bytes,
        size: int,
        progress: Progress | None = None,
    ) -> int:
        """Upload one blob from ``path`` (or bytes); return the bytes sent (a resumed upload
        sends less)."""
        if size <= self.monolithic_limit:
            for attempt in range(1, _ATTEMPTS + 1):
                location = self._start_upload(repo)
                try:
                    self._finish(
                        repo, location, digest, lambda: _FileSlice(path, 0, size, progress)
                    )
                except RegistryUnreachable:
                    if attempt == _ATTEMPTS:
                        raise
                    continue  # a small blob is simply sent again, in a new session
                return size
        try:
            return self._upload_chunked(repo, digest, path, size, progress, resume=True)
        except DigestMismatch:
            # the session we resumed held other bytes (a file changed in between): start over
            self._remember(repo, digest, None)
            return self._upload_chunked(repo, digest, path, size, progress, resume=False)

    def _upload_chunked(
        self,
        repo: str,
        digest: str,
        path: Path | bytes,
        size: int,
        progress: Progress | None,
        *,
        resume: bool,
    ) -> int:
        recalled = self._recall(repo, digest) if resume else None
        status = self._upload_offset(repo, recalled) if recalled else None
        if status is None or status[0] > size:
            location, offset = self._start_upload(repo), 0
            self._remember(repo, digest, location)
        else:
            offset, location = status
            if progress is not None and offset:
                progress(offset)
        sent = failures = 0
        while offset < size:
            length = min(self.chunk_size, size - offset)
            start = offset

            def chunk(start: int = start, length: int = length) -> _FileSlice:
                return _FileSlice(path, start, length, progress)

            try:
                response = self.request(
                    "PATCH",
                    location,
                    repo=repo,
                    body=chunk,
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Range": f"{start}-{start + length - 1}",
                        "Content-Length": str(length),
                    },
                    ok=(202,),
                )
            except RegistryUnreachable:
                failures += 1
                if failures >= _ATTEMPTS:
                    raise
                status = self._upload_offset(repo, location)
                if status is None or status[0] > size:
                    # the registry dropped the session (Distribution does when a chunk arrived
                    # only in part): a new one, from the start
                    location, offset = self._start_upload(repo), 0
                    self._remember(repo, digest, location)
                else:
                    offset, location = status  # how much arrived: go on from there
                continue
            location = self._abs(response.headers.get("location") or location)
            self._remember(repo, digest, location)
            offset += length
            sent += length
        self._finish(repo, location, digest, None)
        self._remember(repo, digest, None)
        return sent

    # -- blobs: download ----------------------------------------------------------------------

    def blob_bytes(self, repo: str, digest: str, size: int, limit: int = 64 << 20) -> bytes:
        """A small blob (a config) in memory, its size and sha256 verified."""
        want = _digest(digest)
        if not 0 <= size <= limit:
            raise RegistryError(
                f"{repo}: blob {want} claims {size} bytes; at most {limit} expected"
            )
        response = self.request("GET", f"/v2/{repo}/blobs/{want}", repo=repo)
        data = response.content
        got = "sha256:" + hashlib.sha256(data).hexdigest()
        if len(data) != size or got != want:
            raise DigestMismatch(
                f"{self.url.host} sent {len(data)} bytes for blob {want} of {repo} that hash to "
                f"{got} (expected {size} bytes); refused"
            )
        return data

    def download(
        self,
        repo: str,
        digest: str,
        size: int,
        partial: Path,
        progress: Progress | None = None,
    ) -> int:
        """Download a blob into ``partial`` (continuing what an earlier try left there), verify
        its size and sha256, and return the bytes that were already there (resumed).

        On a mismatch the partial file is removed and :class:`DigestMismatch` raised: nothing
        unverified is ever handed over.
        """
        want = _digest(digest)
        partial.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        have = 0
        if partial.exists():
            with open(partial, "rb") as f:
                while chunk := f.read(_READ):
                    hasher.update(chunk)
                    have += len(chunk)
            if have > size:
                partial.unlink()
                hasher, have = hashlib.sha256(), 0
        resumed = have
        if progress is not None and have:
            progress(have)
        attempt = 0
        while have < size or (size == 0 and not partial.exists()):
            attempt += 1
            headers = {"Range": f"bytes={have}-"} if have else {}
            response = self.request(
                "GET",
                f"/v2/{repo}/blobs/{want}",
                repo=repo,
                headers=headers,
                ok=(200, 206),
                stream=True,
            )
            try:
                if response.status_code == 200 and have:  # the registry ignored the Range
                    hasher, have, resumed = hashlib.sha256(), 0, 0
                mode = "ab" if have else "wb"
                with open(partial, mode) as f:
                    for chunk in response.iter_bytes(_READ):
                        if have + len(chunk) > size:
                            have += len(chunk)
                            break
                        hasher.update(chunk)
                        f.write(chunk)
                        have += len(chunk)
                        if progress is not None:
                            progress(len(chunk))
            except httpx.HTTPError as exc:
                if attempt < _ATTEMPTS:  # the bytes so far are kept: go on from there
                    continue
                raise RegistryUnreachable(
                    f"the download of {want[:19]}... from {self.url.host} broke off ({exc}); "
                    f"pull again to resume it"
                ) from None
            finally:
                response.close()
            break
        got = "sha256:" + hasher.hexdigest()
        if have != size or got != want:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise DigestMismatch(
                f"{self.url.host} sent {have} bytes for blob {want} of {repo} that hash to {got} "
                f"(expected {size} bytes); refused, nothing was kept"
            )
        return resumed


def _next_link(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if not link or 'rel="next"' not in link:
        return None
    return link.split(";")[0].strip().strip("<>")


def _error_text(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    if errors:
        return "; ".join(f"{e.get('code', '?')}: {e.get('message', '')}" for e in errors)
    return response.reason_phrase or str(response.status_code)


def _error(response: httpx.Response, repo: str) -> TiffinError:
    text = _error_text(response)
    where = f"{response.request.method} {urlsplit(str(response.request.url)).path}"
    if response.status_code == 404:
        return NotFound(f"{repo or 'the registry'}: {text} ({where})")
    if response.status_code == 403:
        return Forbidden(f"the registry denied {where} ({text})")
    return RegistryError(f"the registry answered {where} with HTTP {response.status_code}: {text}")
