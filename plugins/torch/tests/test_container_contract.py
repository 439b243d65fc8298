"""tiffin-torch's torch.Tensor container passes the data container kit."""

from __future__ import annotations

import torch

from tiffin.testing import DataContainerContract


class TestTorchContainer(DataContainerContract):
    container = "torch"

    def values(self):
        return [torch.arange(6.0).reshape(2, 3), torch.arange(9.0).reshape(3, 3)]

    def compare(self, a, b):
        assert torch.equal(a, b), f"{a!r} != {b!r}"
