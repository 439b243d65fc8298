"""Presigned and multipart transfers on S3 storage: the storage's own presigned and multipart.

A real registry process on ``s3://`` storage (moto, and SeaweedFS, which enforces signatures),
real client processes. The strategies use only the storage backend's optional capabilities
(``presign_get``/``presign_put``, ``multipart_*``), so these bytes never pass through the
registry's API handlers.
"""

from __future__ import annotations

import pytest

from tiffin_registry.testing import assert_same_files, cli_json, make_model

pytestmark = pytest.mark.slow

MiB = 1024 * 1024




def test_multipart_and_presigned_on_s3(
    s3_bucket, start_registry_factory, cli, tmp_path, monkeypatch
) -> None:
    server = start_registry_factory(
        storage=s3_bucket.url + "/registry",
        env={"TIFFIN_MULTIPART_PART_SIZE": "5MiB", "TIFFIN_HOME": str(tmp_path / "server-home")},
    )
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    monkeypatch.setenv("TIFFIN_MULTIPART_THRESHOLD", "5MiB")

    big = make_model("big", extra_bytes=12 * MiB + 3)
    pushed = cli_json(cli("models", "push", "big", "-o", "json"))
    assert pushed["strategies"]["multipart"] == 1  # 3 parts, straight to S3
    assert not [k for k in s3_bucket.keys("registry/uploads/")]  # nothing left staged
    home = tmp_path / "pull-big"
    pulled = cli_json(cli("models", "pull", "big:latest", "--strategy", "multipart", "-o", "json",
                       env={"TIFFIN_HOME": str(home)}))
    assert pulled["strategies"] == {"multipart": 2}
    assert_same_files(big, home)

    small = make_model("small", extra_bytes=300_000)
    pushed = cli_json(cli("models", "push", "small", "--strategy", "presigned", "-o", "json"))
    # its factor file is the same blob as big's, already there: only the weights go up
    assert pushed["strategies"] == {"presigned": 1} and pushed["files_sent"] == 1
    home = tmp_path / "pull-small"
    pulled = cli_json(cli("models", "pull", "small:latest", "--strategy", "presigned", "-o", "json",
                       env={"TIFFIN_HOME": str(home)}))
    assert pulled["strategies"] == {"presigned": 2}
    assert_same_files(small, home)

    blobs = s3_bucket.keys("registry/blobs/sha256/")
    for entry in [*big.info.files, *small.info.files]:
        assert any(key.endswith(entry.sha256) for key in blobs)
