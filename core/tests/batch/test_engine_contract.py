"""The batch engine kit, run on the built-in local engine (plugins run it on theirs: tiffin-ray)."""

from __future__ import annotations

from tiffin.testing import BatchEngineContract


class TestLocalEngine(BatchEngineContract):
    engine = "local"
    rows = 700
