"""The PyTorch adapter behind ``tiffin.torch``: save, load and serve ``torch.nn.Module``.

How a module is written is its *format* (see :mod:`tiffin_torch._formats`): a pickled module
by default, TorchScript for ``ScriptModule``, and, given an example input, ``torch.export``
(no training code and no unpickling needed to load). torch is imported inside the methods,
so resolving ``tiffin.torch`` costs nothing until a model is saved or loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import InvalidArgument
from tiffin.frameworks import FrameworkAdapter
from tiffin_torch._formats import FORMATS, save_module

if TYPE_CHECKING:
    from tiffin import Model, Runnable

__all__ = ["TorchAdapter"]


class TorchAdapter(FrameworkAdapter):
    """``tiffin.torch``: any ``torch.nn.Module``, TorchScript modules included."""

    name = "torch"
    distribution = "tiffin-torch"
    supports_cpu_multi_threading = True  # inference releases the GIL and is thread-safe
    save_options = frozenset({"format", "example_input"})

    def framework_version(self) -> str:
        import torch

        return str(torch.__version__)

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        return {"__call__": {"batchable": False}}

    def accepts(self, obj: Any) -> bool:
        # a module object exists only if torch was imported to define it: never import it here
        if "torch" not in sys.modules:
            return False
        import torch

        return isinstance(obj, torch.nn.Module)

    def save_model(  # type: ignore[override]  # its options by name, not **save_options
        self,
        name: str,
        model: Any,
        *,
        signatures: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        custom_objects: dict[str, Any] | None = None,
        format: str | None = None,
        example_input: Any = None,
    ) -> Model:
        """Save a module; ``format`` is ``"pickle"``, ``"torchscript"``, ``"export"`` or
        ``"state_dict"``.

        The default is ``"torchscript"`` for a ``ScriptModule``, ``"export"`` when
        ``example_input`` (a tensor, or a tuple of the forward arguments) is given, and
        ``"pickle"`` otherwise. ``"pickle"`` runs code when loaded; see the torch docs page.
        """
        fmt = self._choose_format(model, format, example_input, signatures)
        return super().save_model(
            name,
            model,
            signatures=signatures,
            labels=labels,
            metadata=metadata,
            custom_objects=custom_objects,
            format=fmt,
            example_input=example_input,
        )

    def _choose_format(self, model: Any, fmt: str | None, example: Any, signatures: Any) -> str:
        if isinstance(model, Mapping):
            raise InvalidArgument(
                "tiffin.torch.save_model takes the module itself, not a state dict: pass the "
                "module with format='state_dict' to store only its weights"
            )
        if not self.accepts(model):
            return fmt or "pickle"  # the base class reports the wrong type
        import torch

        scripted = isinstance(model, torch.jit.ScriptModule)
        if fmt is None:
            fmt = "torchscript" if scripted else ("export" if example is not None else "pickle")
        if fmt not in FORMATS:
            raise InvalidArgument(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
        if scripted and fmt != "torchscript":
            raise InvalidArgument(
                f"a TorchScript module is saved with format='torchscript', not {fmt!r}"
            )
        if fmt == "export" and example is None:
            raise InvalidArgument(
                "format='export' needs example_input=: a tensor (or tuple of the forward "
                "arguments) with the shapes the model takes; its first dimension is the batch"
            )
        if fmt == "torchscript" and not scripted:
            raise InvalidArgument(
                "format='torchscript' is for modules made with torch.jit.script (TorchScript is "
                "deprecated in PyTorch; tiffin does not trace): use format='export' with "
                "example_input=, which also loads without the training code"
            )
        if fmt == "export" and signatures:
            extra = sorted(set(signatures) - {"__call__", "forward"})
            if extra:
                raise InvalidArgument(
                    f"format='export' keeps only forward(); signatures {extra} cannot be served. "
                    f"Use '__call__' or 'forward', or format='pickle'"
                )
        return fmt

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        fmt = options.get("format") or self._choose_format(model, None, None, None)
        return save_module(model, Path(path), fmt, options.get("example_input"))

    def load(self, model: Model, **kwargs: Any) -> Any:
        """The module on ``device_id`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``), in eval mode.

        ``module=`` (state-dict models only) is the instance to load the weights into.
        """
        from tiffin_torch._device import resolve_device
        from tiffin_torch._formats import load_module

        device_id = kwargs.pop("device_id", "cpu")
        module = kwargs.pop("module", None)
        if kwargs:
            raise InvalidArgument(
                f"tiffin.torch.load_model takes device_id= and module=, not {sorted(kwargs)}"
            )
        return load_module(model, resolve_device(device_id), module)

    def runnable(self, model: Model) -> type[Runnable]:
        from tiffin_torch._runnable import torch_runnable

        return torch_runnable(self, model)
