"""Every optional storage capability, used as the registry and its clients use them."""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest

from tiffin.exceptions import NotFound
from tiffin_s3 import S3Storage

pytestmark = pytest.mark.slow

MiB = 1 << 20


@pytest.fixture
def storage() -> S3Storage:
    return S3Storage()


def test_presigned_put_then_get_with_plain_httpx(s3_bucket, storage):
    url = s3_bucket.key_url("blobs/one")
    put = storage.presign_put(url, 300)
    assert put.startswith(s3_bucket.server.endpoint_url + "/")  # points at S3 itself
    assert "X-Amz-Signature=" in put

    response = httpx.put(put, content=b"hello presigned")
    assert response.status_code == 200, response.text
    assert s3_bucket.read("blobs/one") == b"hello presigned"

    response = httpx.get(storage.presign_get(url, 300))
    assert response.status_code == 200
    assert response.content == b"hello presigned"


def test_multipart_with_presigned_part_urls_list_and_complete(s3_bucket, storage):
    url = s3_bucket.key_url("blobs/multi")
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(123)]
    upload = storage.multipart_create(url)

    etags = []
    for number, data in enumerate(parts[:2], start=1):
        part_url = storage.multipart_part_url(url, upload, number, 300)
        assert part_url.startswith(s3_bucket.server.endpoint_url + "/")
        response = httpx.put(part_url, content=data, timeout=60)
        assert response.status_code == 200, response.text
        etags.append((number, response.headers["etag"]))
    etags.append((3, storage.multipart_upload_part(url, upload, 3, parts[2])))

    listed = storage.multipart_list_parts(url, upload)  # what a resumed upload would skip
    assert [(p["part_number"], p["size"]) for p in listed] == [(1, 5 * MiB), (2, 5 * MiB), (3, 123)]
    assert [p["etag"] for p in listed] == [e for _, e in etags]
    assert s3_bucket.keys() == []  # nothing visible before complete

    storage.multipart_complete(url, upload, reversed(etags))  # any order
    assert s3_bucket.read("blobs/multi") == b"".join(parts)


def test_multipart_abort_leaves_nothing(s3_bucket, storage):
    url = s3_bucket.key_url("blobs/aborted")
    upload = storage.multipart_create(url)
    storage.multipart_upload_part(url, upload, 1, os.urandom(5 * MiB))

    storage.multipart_abort(url, upload)
    storage.multipart_abort(url, upload)  # twice is fine

    assert s3_bucket.keys() == []
    uploads = s3_bucket.client().list_multipart_uploads(Bucket=s3_bucket.name)
    assert uploads.get("Uploads", []) == []
    with pytest.raises(NotFound, match="multipart upload does not exist"):
        storage.multipart_list_parts(url, upload)


def test_read_range(s3_bucket, storage):
    data = bytes(range(256)) * 40
    s3_bucket.client().put_object(Bucket=s3_bucket.name, Key="r", Body=data)
    url = s3_bucket.key_url("r")

    assert storage.read_range(url, 100, 1100) == data[100:1100]
    assert storage.read_range(url, 0, 1) == data[:1]
    assert storage.read_range(url, len(data) - 5, len(data) + 100) == data[-5:]
    assert storage.read_range(url, len(data) + 10, len(data) + 20) == b""
    assert storage.read_range(url, 7, 7) == b""
    with pytest.raises(NotFound, match="no object"):
        storage.read_range(s3_bucket.key_url("missing"), 0, 10)


def test_write_atomic_replaces_whole_objects(s3_bucket, storage):
    url = s3_bucket.key_url("manifests/a.yaml")
    assert storage.write_atomic(url, b"first") is True
    assert storage.write_atomic(url, bytearray(b"second")) is True
    assert s3_bucket.read("manifests/a.yaml") == b"second"


@pytest.mark.parametrize("mode", ["auto", "fallback"])
def test_conditional_write_two_writers_one_wins(s3_bucket, storage, monkeypatch, mode):
    monkeypatch.setenv("TIFFIN_S3_CONDITIONAL_WRITES", mode)
    url = s3_bucket.key_url("manifests/version.yaml")
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}

    def writer(name: str) -> None:
        barrier.wait()
        results[name] = storage.write_atomic(url, name.encode() * 100, if_absent=True)

    if mode == "fallback":  # not race-free by design: writers one after the other
        writer_threads = []
        barrier = threading.Barrier(1)
        writer("alice")
        writer("bob")
    else:
        writer_threads = [threading.Thread(target=writer, args=(n,)) for n in ("alice", "bob")]
        for t in writer_threads:
            t.start()
        for t in writer_threads:
            t.join()

    winners = [name for name, won in results.items() if won]
    assert len(winners) == 1, results
    assert s3_bucket.read("manifests/version.yaml") == winners[0].encode() * 100
    assert storage.write_atomic(url, b"late", if_absent=True) is False
    assert s3_bucket.keys("manifests/") == ["manifests/version.yaml"]  # no probe left behind


def test_seaweedfs_refuses_tampered_and_expired_presigned_urls(seaweedfs_s3, monkeypatch, tmp_path):
    from tiffin_s3.testing import S3Bucket, s3_environment

    s3_environment(monkeypatch, seaweedfs_s3, tmp_path)
    bucket = S3Bucket(seaweedfs_s3, seaweedfs_s3.create_bucket())
    storage = S3Storage()
    url = bucket.key_url("secret.bin")
    bucket.client().put_object(Bucket=bucket.name, Key="secret.bin", Body=b"payload")

    good = storage.presign_get(url, 60)
    assert httpx.get(good).content == b"payload"

    tampered = good.replace("secret.bin", "secret.bim")
    assert httpx.get(tampered).status_code == 403
    signature = good.rsplit("X-Amz-Signature=", 1)[1][:64]
    flipped = good.replace(signature, signature[::-1])
    assert httpx.get(flipped).status_code == 403

    put = storage.presign_put(url, 60)
    response = httpx.put(put, content=b"overwritten", headers={"x-amz-meta-evil": "1"})
    assert response.status_code in (200, 403)  # unsigned extra headers: server's choice
    assert httpx.put(put.replace("secret.bin", "other.bin"), content=b"x").status_code == 403

    expiring = storage.presign_get(url, 1)
    time.sleep(2.5)
    response = httpx.get(expiring)
    assert response.status_code == 403
    assert b"expired" in response.content.lower() or b"AccessDenied" in response.content
