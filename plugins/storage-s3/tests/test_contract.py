"""tiffin-s3 passes the storage backend kit, every optional capability included, on moto's S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiffin.testing import StorageBackendContract
from tiffin_s3.testing import S3Bucket, s3_environment

pytestmark = pytest.mark.slow


class TestS3Backend(StorageBackendContract):
    scheme = "s3"

    @pytest.fixture(autouse=True)
    def _bucket(self, moto_s3, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """A fresh bucket on the session's moto server; this process's AWS_* point at it."""
        s3_environment(monkeypatch, moto_s3, tmp_path)
        self.bucket = S3Bucket(moto_s3, moto_s3.create_bucket())

    def base_url(self, tmp_path: Path) -> str:
        return self.bucket.url + "/contract"
