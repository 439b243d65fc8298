"""The four ways a PyTorch module is written to disk, and read back.

==============  =========================  =====================================================
format          file                       loading
==============  =========================  =====================================================
``pickle``      ``model.pt``               ``torch.load(weights_only=False)``: **runs code**
                                           from the file and needs the module's classes.
``torchscript`` ``model.torchscript.pt``   ``torch.jit.load``: no training code, no Python
                                           unpickling (TorchScript's own restricted format).
``export``      ``model.pt2``              ``torch.export.load`` after :mod:`._pt2_check`
                                           refuses archives with pickled entries.
``state_dict``  ``weights.pt``             ``torch.load(weights_only=True)`` into an instance
                                           of the recorded class (or the one passed in).
==============  =========================  =====================================================
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tiffin.exceptions import InvalidArgument

__all__ = ["FILES", "FORMATS", "load_module", "save_module"]

FORMATS = ("pickle", "torchscript", "export", "state_dict")
FILES = {
    "pickle": "model.pt",
    "torchscript": "model.torchscript.pt",
    "export": "model.pt2",
    "state_dict": "weights.pt",
}


def class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def save_module(module: Any, path: Path, fmt: str, example_input: Any) -> dict[str, Any]:
    """Write ``module`` into ``path`` in format ``fmt``; return the options for the manifest."""
    import torch

    file = Path(path) / FILES[fmt]
    options: dict[str, Any] = {"format": fmt, "module_class": class_path(module)}
    if fmt == "pickle":
        torch.save(module, file)
    elif fmt == "state_dict":
        torch.save(module.state_dict(), file)
    elif fmt == "torchscript":
        torch.jit.save(module, str(file))  # a ScriptModule (checked by the adapter)
    else:
        torch.export.save(_export(module, example_input), file)
    return options


@contextlib.contextmanager
def _eval_mode(module: Any) -> Iterator[None]:
    """Eval mode while saving (dropout off, batch norm frozen); the caller's mode afterwards."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


def _as_args(example_input: Any) -> tuple[Any, ...]:
    return tuple(example_input) if isinstance(example_input, tuple | list) else (example_input,)


def _export(module: Any, example_input: Any) -> Any:
    """``torch.export`` with dimension 0 of every tensor input dynamic (the batch)."""
    import torch
    from torch.export import Dim

    args = _as_args(example_input)
    # batch size 1 would be specialised as a constant: export with two rows instead
    args = tuple(
        torch.cat([a, a]) if isinstance(a, torch.Tensor) and a.dim() and a.shape[0] == 1 else a
        for a in args
    )
    batch = Dim("batch")
    dynamic = tuple({0: batch} if isinstance(a, torch.Tensor) and a.dim() else None for a in args)
    with _eval_mode(module):
        try:
            return torch.export.export(module, args, dynamic_shapes=dynamic)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise InvalidArgument(
                f"torch.export could not export the module with a dynamic batch dimension: "
                f"{type(exc).__name__}: {first}; fix the module for torch.export, or use "
                f"format='pickle' (which runs code when loaded)"
            ) from None


def load_module(stored: Any, device: Any, module: Any = None) -> Any:
    """The module saved in ``stored`` (a :class:`tiffin.Model`) on ``device``, in eval mode."""
    import torch

    fmt = stored.info.options.get("format", "pickle")
    if fmt not in FORMATS:
        raise InvalidArgument(
            f"model {stored.tag} uses torch format {fmt!r}, which this tiffin-torch does not "
            f"know ({', '.join(FORMATS)}); upgrade tiffin-torch"
        )
    file = Path(stored.path) / FILES[fmt]
    if not file.is_file():
        raise InvalidArgument(
            f"model {stored.tag} lacks its file {FILES[fmt]}; the store is damaged"
        )
    if module is not None and fmt != "state_dict":
        raise InvalidArgument(
            f"module= is only for models saved with format='state_dict'; {stored.tag} is {fmt!r}"
        )
    if fmt == "pickle":
        try:
            loaded = torch.load(file, map_location=device, weights_only=False)
        except (ImportError, AttributeError) as exc:
            raise InvalidArgument(
                f"model {stored.tag} is a pickled {stored.info.options.get('module_class')}, and "
                f"unpickling it needs the code that defined it ({type(exc).__name__}: {exc}); "
                f"make that code importable here, or save the model with format='export'"
            ) from None
    elif fmt == "torchscript":
        loaded = torch.jit.load(str(file), map_location=device)
    elif fmt == "export":
        from tiffin_torch._pt2_check import check_plain_pt2

        check_plain_pt2(file, stored.tag)
        program = torch.export.load(file)
        if device.type != "cpu":
            from torch.export.passes import move_to_device_pass

            program = move_to_device_pass(program, device)
        return program.module()  # exported in eval mode; the graph has no train/eval switch
    else:
        weights = torch.load(file, map_location=device, weights_only=True)
        loaded = module if module is not None else _instantiate(stored)
        try:
            loaded.load_state_dict(weights)
        except (RuntimeError, AttributeError) as exc:
            detail = " ".join(str(exc).split())[:400] or type(exc).__name__
            raise InvalidArgument(
                f"the weights of {stored.tag} do not fit the module {class_path(loaded)}: {detail}; "
                f"pass a module of the saved architecture ({_hint(stored)})"
            ) from None
        loaded = loaded.to(device)
    return loaded.eval()


def _instantiate(stored: Any) -> Any:
    name = stored.info.options.get("module_class", "")
    module_name, _, qualname = name.rpartition(".")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj()
    except Exception as exc:
        raise InvalidArgument(
            f"model {stored.tag} holds only weights, and its class {name!r} could not be built "
            f"without arguments ({type(exc).__name__}: {exc}); {_hint(stored)}"
        ) from None


def _hint(stored: Any) -> str:
    return f"tiffin.torch.load_model({str(stored.tag)!r}, module=MyNet(...))"
