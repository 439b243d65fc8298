"""The torch.Tensor data container: batching, splitting and shipping tensors as bytes."""

from __future__ import annotations

import pytest
import torch

from tiffin import _plugins
from tiffin._runner import container_for


def container():
    found = container_for(torch.zeros(1))
    assert found is not None, "tiffin-torch must register a data container for torch.Tensor"
    return found


def test_registered_for_tensors_and_parameters() -> None:
    assert _plugins.data_containers()["torch.Tensor"].name == "torch"
    assert container_for(torch.nn.Parameter(torch.ones(2))) is container()


@pytest.mark.parametrize("batch_dim", [0, 1])
def test_batch_and_split_along_batch_dim(batch_dim: int) -> None:
    a = torch.arange(6.0).reshape(2, 3) if batch_dim == 0 else torch.arange(6.0).reshape(3, 2)
    b = torch.arange(9.0).reshape(3, 3)
    batch, sizes = container().batch([a, b], batch_dim)
    assert sizes == [a.shape[batch_dim], 3]
    assert container().batch_size(batch, batch_dim) == sum(sizes)
    first, second = container().split(batch, sizes, batch_dim)
    assert torch.equal(first, a) and torch.equal(second, b)


def test_split_refuses_a_batch_with_the_wrong_row_count() -> None:
    from tiffin.exceptions import TiffinError

    with pytest.raises(TiffinError, match="one output row per"):
        container().split(torch.ones(4, 2), [2, 3], 0)


def test_compatible_needs_same_trailing_shape_dtype_and_device() -> None:
    c = container()
    assert c.compatible(torch.ones(2, 3), torch.ones(5, 3), 0)
    assert not c.compatible(torch.ones(2, 3), torch.ones(2, 4), 0)
    assert not c.compatible(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64), 0)
    assert c.compatible(torch.ones(3, 2), torch.ones(3, 7), 1)


@pytest.mark.parametrize(
    "tensor",
    [
        torch.linspace(-1, 1, 12).reshape(3, 4),
        torch.arange(10, dtype=torch.int64),
        torch.tensor([True, False, True]),
        torch.linspace(0, 1, 8, dtype=torch.bfloat16).reshape(2, 4),
        torch.tensor(3.5, dtype=torch.float16),
        torch.empty(0, 5),
        torch.arange(12.0).reshape(3, 4).t(),  # not contiguous
        torch.ones(2, 2, requires_grad=True),
    ],
    ids=["float32", "int64", "bool", "bfloat16", "scalar", "empty", "transposed", "grad"],
)
def test_payload_round_trip(tensor: torch.Tensor) -> None:
    c = container()
    payload = c.to_payload(tensor)
    assert set(payload.meta) >= {"dtype", "shape"}
    import json

    json.dumps(payload.meta)  # meta travels as JSON
    back = c.from_payload(payload)
    assert back.dtype == tensor.dtype and back.shape == tensor.shape
    assert torch.equal(back, tensor.detach())
