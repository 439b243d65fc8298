"""The built-in proxy strategy passes the transfer strategy kit."""

from __future__ import annotations

import pytest

from tiffin_registry.testing import TransferStrategyContract

pytestmark = pytest.mark.slow


class TestProxy(TransferStrategyContract):
    strategy = "proxy"
    plugin = "builtin.proxy-transfer"
