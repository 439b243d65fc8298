"""The conformance kit for storage backends: subclass :class:`StorageBackendContract`.

A backend maps a URL scheme to an fsspec filesystem (see ``tiffin.hookspecs.StorageBackend``).
The kit writes, reads and lists real files through it, runs a model export/import through a
URL of its scheme, and tests each optional capability the backend has (presigned URLs,
multipart upload, ranged reads, atomic writes); a capability it lacks is reported as skipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tiffin.testing.skips import not_applicable

__all__ = ["StorageBackendContract"]


class StorageBackendContract:
    """Subclass as ``Test<Something>``; set :attr:`scheme` and implement :meth:`base_url`.

    Example::

        class TestLabStorage(StorageBackendContract):
            scheme = "lab"

            def base_url(self, tmp_path):
                return f"lab://{tmp_path}/bucket"   # an empty place the test may write in
    """

    #: the URL scheme the backend registers (``"s3"``)
    scheme: str = ""

    def base_url(self, tmp_path: Path) -> str:
        """A URL of :attr:`scheme` naming an empty folder (or prefix) the test may write into."""
        raise NotImplementedError(
            "implement base_url(tmp_path) -> a URL of your scheme where the test may write"
        )

    # -- helpers -------------------------------------------------------------------------------

    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return self.base_url(tmp_path).rstrip("/") + f"/kit-{uuid.uuid4().hex[:8]}"

    def backend(self) -> Any:
        from tiffin import _plugins

        assert self.scheme, "set `scheme = '<your scheme>'` on the test class"
        found = _plugins.storage_backends().get(self.scheme)
        assert found is not None, (
            f"no storage backend registers the scheme {self.scheme!r}: implement "
            "register_storage_backends(register) with @tiffin.hookimpl in your entry-point module "
            "and call register(backend) with schemes including it (see `tiffin plugins`)"
        )
        return found

    def _fs(self, url: str) -> tuple[Any, str]:
        fs, path = self.backend().filesystem(url)
        assert hasattr(fs, "open") and hasattr(fs, "ls"), (
            f"filesystem({url!r}) must return (an fsspec AbstractFileSystem, a path), got {fs!r}"
        )
        return fs, path

    def _write(self, url: str, data: bytes) -> None:
        fs, path = self._fs(url)
        parent = path.rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(data)

    def _read(self, url: str) -> bytes:
        fs, path = self._fs(url)
        with fs.open(path, "rb") as f:
            return f.read()

    def _capability(self, name: str) -> Any:
        from tiffin import hookspecs

        protocol = {
            "read_range": hookspecs.SupportsReadRange,
            "write_atomic": hookspecs.SupportsAtomicWrite,
            "presign_get": hookspecs.SupportsPresignGet,
            "multipart_create": hookspecs.SupportsMultipart,
        }[name]
        backend = self.backend()
        if not isinstance(backend, protocol):
            not_applicable(f"the backend is no {protocol.__name__} (an optional capability)")
        return getattr(backend, name)

    # -- required ------------------------------------------------------------------------------

    def test_scheme_is_registered(self) -> None:
        backend = self.backend()
        assert self.scheme in tuple(backend.schemes), (
            f"the backend's `schemes` {backend.schemes!r} must include {self.scheme!r}"
        )

    def test_write_then_read_gives_the_same_bytes(self, url: str) -> None:
        data = bytes(range(256)) * 40
        self._write(url + "/dir/blob.bin", data)
        assert self._read(url + "/dir/blob.bin") == data, (
            "bytes read back through filesystem(url) differ from those written: check the "
            "path your filesystem() returns for a URL"
        )

    def test_listing_and_info(self, url: str) -> None:
        self._write(url + "/list/a.txt", b"a")
        self._write(url + "/list/b.txt", b"bb")
        fs, path = self._fs(url + "/list")
        names = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(path, detail=False))
        assert names == ["a.txt", "b.txt"], f"ls({path!r}) should list a.txt and b.txt: {names}"
        fs_b, path_b = self._fs(url + "/list/b.txt")
        assert fs_b.info(path_b)["size"] == 2, "info(path)['size'] must be the size in bytes"

    def test_a_missing_file_is_not_found(self, url: str) -> None:
        fs, path = self._fs(url + "/nothing-here.bin")
        assert not fs.exists(path), "exists() must be False for a path never written"
        from tiffin.exceptions import NotFound

        # fsspec's FileNotFoundError, or tiffin's NotFound (one readable line for the user)
        with pytest.raises((FileNotFoundError, NotFound)), fs.open(path, "rb") as f:
            f.read()

    def test_model_export_import_through_the_scheme(self, url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        import tiffin

        with tiffin.models.create("kit_model", labels={"kit": "yes"}) as m:
            (Path(m.path) / "weights.bin").write_bytes(b"\x00\x01" * 1000)
        fs, folder = self._fs(url)
        fs.makedirs(folder, exist_ok=True)  # a no-op on object stores
        tiffin.models.export_model("kit_model:latest", url + "/kit_model.tiffin")
        monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "other_home"))
        imported = tiffin.models.import_model(url + "/kit_model.tiffin")
        assert (Path(imported.path) / "weights.bin").read_bytes() == b"\x00\x01" * 1000
        assert imported.info.labels == {"kit": "yes"}

    # -- optional capabilities -----------------------------------------------------------------

    def test_read_range(self, url: str) -> None:
        read_range = self._capability("read_range")
        data = bytes(range(200))
        self._write(url + "/range.bin", data)
        assert bytes(read_range(url + "/range.bin", 10, 50)) == data[10:50], (
            "read_range(url, start, end) must return bytes [start, end)"
        )

    def test_write_atomic(self, url: str) -> None:
        write_atomic = self._capability("write_atomic")
        target = url + "/atomic/manifest.yaml"
        self._fs(url + "/atomic/x")[0].makedirs(self._fs(url + "/atomic")[1], exist_ok=True)
        assert write_atomic(target, b"first", if_absent=True) is True, (
            "write_atomic(url, data, if_absent=True) must write and return True when nothing "
            "is there"
        )
        assert write_atomic(target, b"second", if_absent=True) is False, (
            "write_atomic(url, data, if_absent=True) must return False and leave the object "
            "alone when it exists"
        )
        assert self._read(target) == b"first"
        write_atomic(target, b"third")
        assert self._read(target) == b"third", "write_atomic(url, data) must replace the object"

    def test_presigned_get_and_put(self, url: str) -> None:
        import httpx

        presign_get = self._capability("presign_get")
        presign_put = getattr(self.backend(), "presign_put", None)
        self._write(url + "/signed.bin", b"signed bytes")
        answer = httpx.get(presign_get(url + "/signed.bin", 60), timeout=30)
        assert answer.status_code == 200 and answer.content == b"signed bytes", (
            f"GET on presign_get(url) must return the object without credentials: "
            f"{answer.status_code} {answer.text[:200]}"
        )
        if presign_put is not None:
            put = httpx.put(presign_put(url + "/put.bin", 60), content=b"uploaded", timeout=30)
            assert put.status_code in (200, 201, 204), f"PUT on presign_put(url): {put.status_code}"
            assert self._read(url + "/put.bin") == b"uploaded"

    def test_multipart_upload(self, url: str) -> None:
        backend = self.backend()
        create = self._capability("multipart_create")
        target = url + "/multi.bin"
        parts_data = [self.multipart_part_size() * b"a", b"tail"]
        upload_id = create(target)
        parts = []
        for number, data in enumerate(parts_data, start=1):
            if hasattr(backend, "multipart_upload_part"):
                etag = backend.multipart_upload_part(target, upload_id, number, data)
            else:
                import httpx

                answer = httpx.put(
                    backend.multipart_part_url(target, upload_id, number, 60),
                    content=data,
                    timeout=60,
                )
                assert answer.status_code == 200, f"PUT on multipart_part_url: {answer.status_code}"
                etag = answer.headers.get("etag", "")
            parts.append((number, etag))
        listed = backend.multipart_list_parts(target, upload_id)
        assert sorted(p["part_number"] for p in listed) == [1, 2], (
            f"multipart_list_parts must list the uploaded parts: {listed}"
        )
        backend.multipart_complete(target, upload_id, parts)
        assert self._read(target) == b"".join(parts_data)
        aborted = url + "/aborted.bin"
        upload_id = create(aborted)
        backend.multipart_abort(aborted, upload_id)
        fs, path = self._fs(aborted)
        assert not fs.exists(path), "multipart_abort must leave no object behind"

    def multipart_part_size(self) -> int:
        """Bytes in every part but the last (S3 refuses parts under 5 MiB)."""
        return 5 * 1024 * 1024
