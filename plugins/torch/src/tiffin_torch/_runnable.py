"""The runnable behind ``tiffin.torch.get(tag).to_runner()``.

One method per saved signature. Each call runs under ``torch.inference_mode()`` on the device
the runner's resources allow, and speaks the caller's language: numpy arrays in give numpy
arrays out (floating arrays cast to the model's floating dtype, so JSON's float64 feeds a
float32 model), tensors in give tensors out on the device they came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiffin.frameworks import add_signature_methods

if TYPE_CHECKING:
    from tiffin import Model, Runnable
    from tiffin_torch._adapter import TorchAdapter

__all__ = ["torch_runnable"]


def torch_runnable(adapter: TorchAdapter, model: Model) -> type[Runnable]:
    """A :class:`tiffin.Runnable` subclass serving ``model``'s signatures."""
    from tiffin import Runnable

    class TorchRunnable(Runnable):
        __doc__ = f"Serves the torch model {model.tag}."
        SUPPORTED_RESOURCES = ("nvidia.com/gpu", "cpu")
        SUPPORTS_CPU_MULTI_THREADING = adapter.supports_cpu_multi_threading

        def __init__(
            self,
            device_id: str | None = None,
            resources: Mapping[str, Any] | None = None,
            **load_kwargs: Any,
        ) -> None:
            import torch

            from tiffin.frameworks import cpu_threads
            from tiffin_torch._device import device_for_resources

            super().__init__()
            threads = cpu_threads(resources)
            if threads is not None:
                torch.set_num_threads(threads)
            self.device_id = device_id or device_for_resources(resources)
            self.model = adapter.load(model, device_id=self.device_id, **load_kwargs)
            self.device = torch.device(self.device_id)
            self.float_dtype = _floating_dtype(self.model)

        def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            import torch

            numpy_in = _any_numpy((args, kwargs))
            back_to = _first_device((args, kwargs)) or torch.device("cpu")
            args = _to_torch(args, self.device, self.float_dtype)
            kwargs = _to_torch(kwargs, self.device, self.float_dtype)
            with torch.inference_mode():
                out = getattr(self.model, method)(*args, **kwargs)
            return _to_numpy(out) if numpy_in else _move(out, back_to)

    return add_signature_methods(TorchRunnable, model)


def _floating_dtype(module: Any) -> Any:
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.is_floating_point():
            return tensor.dtype
    return None


def _walk(value: Any, leaf: Any) -> Any:
    """``value`` with ``leaf`` applied to every non-container item (tuples, lists, dicts)."""
    if isinstance(value, tuple | list):
        return type(value)(_walk(v, leaf) for v in value)
    if isinstance(value, dict):
        return {k: _walk(v, leaf) for k, v in value.items()}
    return leaf(value)


def _any_numpy(value: Any) -> bool:
    import numpy as np

    found = []
    _walk(value, lambda v: found.append(isinstance(v, np.ndarray | np.generic)))
    return any(found)


def _first_device(value: Any) -> Any:
    import torch

    devices = []
    _walk(value, lambda v: devices.append(v.device) if isinstance(v, torch.Tensor) else None)
    return devices[0] if devices else None


def _to_torch(value: Any, device: Any, float_dtype: Any) -> Any:
    import numpy as np
    import torch

    def convert(v: Any) -> Any:
        if isinstance(v, np.ndarray | np.generic):
            v = torch.from_numpy(np.ascontiguousarray(v))
            if float_dtype is not None and v.is_floating_point():
                v = v.to(float_dtype)
        if isinstance(v, torch.Tensor):
            return v.to(device)
        return v

    return _walk(value, convert)


def _to_numpy(value: Any) -> Any:
    import torch

    return _walk(value, lambda v: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v)


def _move(value: Any, device: Any) -> Any:
    import torch

    return _walk(value, lambda v: v.to(device) if isinstance(v, torch.Tensor) else v)
