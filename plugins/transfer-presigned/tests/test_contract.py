"""tiffin-presigned passes the transfer strategy kit (HMAC-signed URLs on local storage)."""

from __future__ import annotations

import pytest

from tiffin_registry.testing import TransferStrategyContract

pytestmark = pytest.mark.slow


class TestPresigned(TransferStrategyContract):
    strategy = "presigned"
