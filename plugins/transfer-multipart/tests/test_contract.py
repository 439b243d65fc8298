"""tiffin-multipart passes the transfer strategy kit, with 1 MiB parts so the long file goes
up in several."""

from __future__ import annotations

import pytest

from tiffin_registry.testing import TransferStrategyContract

pytestmark = pytest.mark.slow

MiB = 1024 * 1024


class TestMultipart(TransferStrategyContract):
    strategy = "multipart"
    long_size = 3 * MiB + 12345

    def registry_env(self):
        return {"TIFFIN_MULTIPART_PART_SIZE": str(MiB)}

    def client_env(self):
        return {
            "TIFFIN_MULTIPART_THRESHOLD": "1MiB",
            "TIFFIN_MULTIPART_RETRY_DELAY": "0.01",
            "TIFFIN_MULTIPART_RETRIES": "3",
        }
