"""Which device a model loads on: the user's choice, checked, or what the runner's resources allow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tiffin.exceptions import InvalidArgument

__all__ = ["device_for_resources", "resolve_device"]

GPU_RESOURCE = "nvidia.com/gpu"


def resolve_device(device_id: Any) -> Any:
    """``device_id`` as a ``torch.device``; a CUDA device that is not there is a clear error."""
    import torch

    try:
        device = torch.device(device_id)
    except (RuntimeError, TypeError) as exc:
        raise InvalidArgument(
            f"device_id {device_id!r} is not a torch device ({exc}); use 'cpu', 'cuda' or 'cuda:0'"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgument(
                f"device_id {device_id!r} asks for CUDA, but torch sees no CUDA device here "
                f"(torch {torch.__version__}); use device_id='cpu'"
            )
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise InvalidArgument(
                f"device_id {device_id!r}: this machine has {count} CUDA device(s), "
                f"cuda:0 to cuda:{count - 1}"
            )
    elif device.type != "cpu":
        raise InvalidArgument(f"device_id {device_id!r}: tiffin-torch serves on 'cpu' or 'cuda'")
    return device


def device_for_resources(resources: Mapping[str, Any] | None) -> str:
    """``"cuda:<n>"`` when the resources ask for a GPU and CUDA is available, else ``"cpu"``.

    ``resources[GPU_RESOURCE]`` may be a count (the first device is used) or a list of device
    indices (the first one is used).
    """
    import torch

    gpus = (resources or {}).get(GPU_RESOURCE)
    if not gpus or not torch.cuda.is_available():
        return "cpu"
    if isinstance(gpus, list | tuple):
        return f"cuda:{int(gpus[0])}"
    return "cuda:0"
