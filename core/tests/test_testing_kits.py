"""The storage-backend and data-container kits pass on core's own built-ins, and port ranges work."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tiffin.testing import DataContainerContract, StorageBackendContract
from tiffin.testing.fixtures import free_port


class TestLocalStorageBackend(StorageBackendContract):
    scheme = "file"

    def base_url(self, tmp_path: Path) -> str:
        return f"file://{tmp_path}/store"


class TestNumpyContainer(DataContainerContract):
    container = "numpy"

    def values(self):
        import numpy as np

        return [np.arange(6.0).reshape(3, 2), np.ones((1, 2))]


class TestListContainer(DataContainerContract):
    container = "list"

    def values(self):
        return [[1, 2, 3], ["a"]]


def test_free_port_takes_a_port_from_the_range() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        assert free_port((busy, busy + 40)) in range(busy + 1, busy + 41)
        with pytest.raises(RuntimeError, match=f"no free port in {busy}-{busy}"):
            free_port(range(busy, busy + 1))


def test_free_port_reads_the_range_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIFFIN_TEST_PORTS", "23000-23099")
    assert 23000 <= free_port() <= 23099
    monkeypatch.setenv("TIFFIN_TEST_PORTS", "lots")
    with pytest.raises(ValueError, match="LOW-HIGH"):
        free_port()
