"""How runners batch, split and ship ``torch.Tensor`` values.

Registered through ``register_data_containers`` under the type name ``torch.Tensor``; core
matches that name against a value's type without importing torch, so this module imports
torch only inside its methods. A tensor travels to a worker process as its raw bytes plus
dtype and shape; it arrives on the CPU (the worker moves it to its own device).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tiffin.containers import Payload, check_sizes

__all__ = ["TensorContainer"]


class TensorContainer:
    """Batches tensors with ``torch.cat`` and splits them with ``torch.split``."""

    name = "torch"
    type_names = ("torch.Tensor",)

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]:
        import torch

        sizes = [int(v.shape[batch_dim]) for v in values]
        return torch.cat(list(values), dim=batch_dim), sizes

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]:
        import torch

        check_sizes(int(batch.shape[batch_dim]), sizes, "tensor batch")
        return list(torch.split(batch, list(sizes), dim=batch_dim))

    def batch_size(self, value: Any, batch_dim: int) -> int:
        return int(value.shape[batch_dim])

    def compatible(self, a: Any, b: Any, batch_dim: int) -> bool:
        if a.dtype != b.dtype or a.device != b.device or a.dim() != b.dim():
            return False
        dim = batch_dim % a.dim() if a.dim() else 0
        return all(
            x == y for i, (x, y) in enumerate(zip(a.shape, b.shape, strict=True)) if i != dim
        )

    def to_payload(self, value: Any) -> Payload:
        import torch

        tensor = value.detach().to("cpu").contiguous()
        raw = (
            tensor.reshape(-1).view(torch.uint8)
            if tensor.numel()
            else torch.empty(0, dtype=torch.uint8)
        )
        meta = {"dtype": str(tensor.dtype).removeprefix("torch."), "shape": list(tensor.shape)}
        return Payload(meta, [raw.numpy().tobytes()])

    def from_payload(self, payload: Any) -> Any:
        import torch

        dtype = getattr(torch, payload.meta["dtype"])
        shape = tuple(payload.meta["shape"])
        data = b"".join(bytes(b) for b in payload.buffers)
        if not data:
            return torch.empty(shape, dtype=dtype)
        return torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).reshape(shape)
