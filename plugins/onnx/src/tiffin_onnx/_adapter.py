"""The ONNX adapter behind ``tiffin.onnx``: save a graph, serve it with ONNX Runtime.

What is saved (an ``onnx.ModelProto``, written as ``model.onnx``) is not what is called: the
signature ``run`` is a method of an :class:`~tiffin_onnx._graph.OnnxCallable` around the
``onnxruntime.InferenceSession`` that :meth:`OnnxAdapter.load` returns. The adapter says so
through core's ``signature_target`` capability
(:class:`tiffin.frameworks.SupportsSignatureTarget`). onnx and onnxruntime are imported inside
the methods, so resolving ``tiffin.onnx`` costs nothing until a model is saved or loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import InvalidArgument
from tiffin.frameworks import FrameworkAdapter
from tiffin_onnx._graph import OnnxCallable, numpy_dtype
from tiffin_onnx._io import OnnxTensors

if TYPE_CHECKING:
    from tiffin import Model, Runnable

__all__ = ["OnnxAdapter"]

MODEL_FILE = "model.onnx"
SIGNATURE = "run"
GPU_RESOURCE = "nvidia.com/gpu"
_ALIASES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


class OnnxAdapter(FrameworkAdapter):
    """``tiffin.onnx``: any ONNX graph (an ``onnx.ModelProto``, its bytes, or a ``.onnx`` file)."""

    name = "onnx"
    distribution = "tiffin-onnx"
    supports_cpu_multi_threading = True  # InferenceSession.run is thread-safe

    def framework_version(self) -> str:
        import onnxruntime

        return str(onnxruntime.__version__)

    # -- what is saved: a graph ----------------------------------------------------------------

    def accepts(self, obj: Any) -> bool:
        # a ModelProto exists only if onnx was imported to make it: never import it here
        if "onnx" not in sys.modules:
            return False
        import onnx

        return isinstance(obj, onnx.ModelProto)

    def save_model(  # type: ignore[override]  # no adapter options
        self,
        name: str,
        model: Any,
        *,
        signatures: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        custom_objects: dict[str, Any] | None = None,
    ) -> Model:
        """Save an ONNX graph: an ``onnx.ModelProto``, its serialized bytes, or a file's path.

        The one signature is ``run``; by default it is batchable when every graph input has a
        dynamic first dimension.
        """
        proto = _as_model_proto(model)
        if signatures is not None:
            _check_batch_axes(proto, signatures)
        return super().save_model(
            name,
            proto,
            signatures=signatures,
            labels=labels,
            metadata=metadata,
            custom_objects=custom_objects,
        )

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        inputs = _declared_inputs(model)
        batchable = bool(inputs) and all(s is not None and s and s[0] == -1 for _, s in inputs)
        return {SIGNATURE: {"batchable": batchable}}

    def input_shape(self, model: Any) -> tuple[int, ...] | None:
        """The one graph input's declared shape (``-1`` for dynamic dims); ``None`` for several."""
        inputs = _declared_inputs(model)
        return inputs[0][1] if len(inputs) == 1 else None

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        import onnx

        onnx.save_model(model, str(Path(path) / MODEL_FILE))
        return {
            "onnx_version": onnx.__version__,
            "opsets": {op.domain or "ai.onnx": int(op.version) for op in model.opset_import},
            "inputs": [name for name, _ in _declared_inputs(model)],
            "outputs": [o.name for o in model.graph.output],
        }

    # -- what is called: a session -------------------------------------------------------------

    def load(self, model: Model, **kwargs: Any) -> Any:
        """An ``onnxruntime.InferenceSession`` over the saved graph.

        ``providers``: execution providers in order of preference, by onnxruntime's names or
        ``"cpu"`` / ``"cuda"`` (default: CPU only); ``intra_op_threads``: threads one call may
        use (default: onnxruntime's); ``session_options``: an ``onnxruntime.SessionOptions``.
        """
        import onnxruntime

        providers = _resolve_providers(kwargs.pop("providers", None))
        threads = kwargs.pop("intra_op_threads", None)
        options = kwargs.pop("session_options", None)
        if kwargs:
            raise InvalidArgument(
                f"tiffin.onnx.load_model takes providers=, intra_op_threads= and "
                f"session_options=, not {sorted(kwargs)}"
            )
        file = Path(model.path) / MODEL_FILE
        if not file.is_file():
            raise InvalidArgument(
                f"model {model.tag} has no {MODEL_FILE}: it was not saved by tiffin.onnx.save_model"
            )
        if options is None:
            options = onnxruntime.SessionOptions()
        elif not isinstance(options, onnxruntime.SessionOptions):
            raise InvalidArgument(
                f"session_options must be an onnxruntime.SessionOptions, got {options!r}"
            )
        if threads is not None:
            if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
                raise InvalidArgument(f"intra_op_threads must be a positive int, got {threads!r}")
            options.intra_op_num_threads = threads
        try:
            return onnxruntime.InferenceSession(
                str(file), sess_options=options, providers=providers
            )
        except Exception as exc:  # onnxruntime's own error classes, one per status code
            raise InvalidArgument(
                f"onnxruntime {onnxruntime.__version__} cannot load model {model.tag}: "
                f"{_first_line(exc)}"
            ) from None

    def signature_target(self, loaded: Any) -> OnnxCallable:
        """The session wrapped so that the signature ``run`` takes arrays (the capability
        :class:`tiffin.frameworks.SupportsSignatureTarget`)."""
        return OnnxCallable(loaded)

    def io_descriptors(self, tag_or_model: Any) -> tuple[OnnxTensors, OnnxTensors]:
        """``(input, output)`` descriptors naming the saved graph's tensors, for an API that
        takes and answers them by name (JSON objects; V2 tensors under the graph's names)."""
        from tiffin import Model

        model = tag_or_model if isinstance(tag_or_model, Model) else self.get(tag_or_model)
        session = self.load(self._check_framework(model))
        inputs = [
            {"name": i.name, "dtype": _dtype(i.name, i.type), "shape": _dims(i.shape)}
            for i in session.get_inputs()
        ]
        outputs = [
            {"name": o.name, "dtype": _dtype(o.name, o.type), "shape": _dims(o.shape)}
            for o in session.get_outputs()
        ]
        return OnnxTensors(inputs), OnnxTensors(outputs)

    def runnable(self, model: Model) -> type[Runnable]:
        """Core's runnable for the saved signatures, whose constructor sizes the session.

        ``runnable_init_params``: ``resources`` (``{"cpu": n}`` sets the intra-op threads to
        ``ceil(n)``; ``{"nvidia.com/gpu": 1}`` uses CUDA when onnxruntime has it),
        ``providers`` (overrides what the resources chose) and ``session_options``.
        """
        from tiffin import Runnable
        from tiffin.frameworks import cpu_threads

        adapter = self
        base = super().runnable(model)

        def __init__(
            runnable: Any,
            resources: Mapping[str, Any] | None = None,
            providers: Any = None,
            **load_kwargs: Any,
        ) -> None:
            Runnable.__init__(runnable)
            if providers is None:
                providers = _providers_for_resources(resources)
            load_kwargs.setdefault("intra_op_threads", cpu_threads(resources))
            session = adapter.load(model, providers=providers, **load_kwargs)
            runnable._loaded = adapter.signature_target(session)

        namespace = {
            "__init__": __init__,
            "__doc__": base.__doc__,
            "SUPPORTED_RESOURCES": (GPU_RESOURCE, "cpu"),
        }
        return type(base.__name__, (base,), namespace)


# -- helpers -----------------------------------------------------------------------------------


def _as_model_proto(model: Any) -> Any:
    """``model`` (a ModelProto, its bytes, or a path) as a checked ``onnx.ModelProto``."""
    import onnx

    if isinstance(model, onnx.ModelProto):
        proto, what = model, "the onnx.ModelProto"
    elif isinstance(model, bytes | bytearray):
        what = f"the {len(model)} bytes given"
        try:
            proto = onnx.load_model_from_string(bytes(model))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise InvalidArgument(f"{what} are not an ONNX model: {_first_line(exc)}") from None
    elif isinstance(model, str | os.PathLike):
        file = Path(model)
        what = str(file)
        if not file.is_file():
            raise InvalidArgument(
                f"{what!r} is not a file: pass the path of a .onnx file, an onnx.ModelProto or "
                f"its bytes"
            )
        try:
            proto = onnx.load(str(file))
        except Exception as exc:
            raise InvalidArgument(f"{what!r} is not an ONNX model: {_first_line(exc)}") from None
    else:
        cls = type(model)
        raise InvalidArgument(
            f"tiffin.onnx.save_model takes an onnx.ModelProto, its bytes or the path of a .onnx "
            f"file, not a {cls.__module__}.{cls.__qualname__}; convert the model to ONNX first "
            f"(skl2onnx.to_onnx, torch.onnx.export, ...) or use its framework's adapter"
        )
    if not proto.ir_version or not proto.graph.output:
        raise InvalidArgument(f"{what} is not an ONNX model (no IR version or no graph outputs)")
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # onnx.checker.ValidationError, or a proto too large to check
        raise InvalidArgument(f"{what} is not a valid ONNX model: {_first_line(exc)}") from None
    return proto


def _dtype(name: str, ort_type: str) -> str:
    found = numpy_dtype(ort_type)
    if found is None:
        raise InvalidArgument(
            f"graph tensor {name!r} is a {ort_type}, not a tensor: OnnxTensors cannot carry it "
            f"(skl2onnx: convert classifiers with options={{id(model): {{'zipmap': False}}}})"
        )
    return found


def _dims(shape: Any) -> list[int] | None:
    if shape is None:
        return None
    return [d if isinstance(d, int) and d > 0 else -1 for d in shape]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _declared_inputs(proto: Any) -> list[tuple[str, tuple[int, ...] | None]]:
    """The graph's real inputs (not initializers), each with its shape (-1: dynamic)."""
    import onnx

    if not isinstance(proto, onnx.ModelProto):
        proto = _as_model_proto(proto)
    initializers = {init.name for init in proto.graph.initializer}
    found = []
    for value in proto.graph.input:
        if value.name in initializers:
            continue
        tensor = value.type.tensor_type
        shape: tuple[int, ...] | None = None
        if value.type.HasField("tensor_type") and tensor.HasField("shape"):
            shape = tuple(
                d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1
                for d in tensor.shape.dim
            )
        found.append((value.name, shape))
    return found


def _check_batch_axes(proto: Any, signatures: Any) -> None:
    """A batchable signature needs a dynamic dimension at ``batch_dim`` on every input."""
    if not isinstance(signatures, dict):
        return  # core's save_model reports it
    for method, sig in signatures.items():
        if isinstance(sig, dict):
            batchable, dim = sig.get("batchable", False), sig.get("batch_dim", 0)
        else:
            batchable, dim = getattr(sig, "batchable", False), getattr(sig, "batch_dim", 0)
        if batchable is not True:
            continue
        dim = dim[0] if isinstance(dim, list | tuple) and dim else dim
        if isinstance(dim, bool) or not isinstance(dim, int):
            continue  # core's save_model reports it
        for name, shape in _declared_inputs(proto):
            if shape is None:
                continue
            if not -len(shape) <= dim < len(shape) or shape[dim] != -1:
                size = shape[dim] if -len(shape) <= dim < len(shape) else "no such dimension"
                raise InvalidArgument(
                    f"signature {method!r} batches along dim {dim}, but graph input {name!r} "
                    f"has shape {list(shape)} ({size} there, not a dynamic axis); export the "
                    f"graph with a dynamic batch axis (dynamic_axes= / dynamic_shapes=) or save "
                    f"with {{{method!r}: {{'batchable': False}}}}"
                )


def _resolve_providers(requested: Any) -> list[Any]:
    """Execution providers by onnxruntime name or alias; each must be available here."""
    import onnxruntime

    if requested is None:
        return ["CPUExecutionProvider"]
    if isinstance(requested, str | tuple):
        requested = [requested]
    if not isinstance(requested, list | tuple) or not requested:
        raise InvalidArgument(
            f"providers must be a list of execution provider names like ['CUDAExecutionProvider', "
            f"'CPUExecutionProvider'], got {requested!r}"
        )
    available = onnxruntime.get_available_providers()
    resolved = []
    for item in requested:
        name, options = item if isinstance(item, tuple) and len(item) == 2 else (item, None)
        if not isinstance(name, str):
            raise InvalidArgument(f"a provider is a name (str) or (name, options), got {item!r}")
        name = _ALIASES.get(name.lower(), name)
        if name not in available:
            hint = " (install onnxruntime-gpu for CUDA)" if name == "CUDAExecutionProvider" else ""
            raise InvalidArgument(
                f"execution provider {name!r} is not available in this onnxruntime{hint}; "
                f"available: {', '.join(available)}"
            )
        resolved.append((name, options) if options is not None else name)
    return resolved


def _providers_for_resources(resources: Mapping[str, Any] | None) -> list[str]:
    """CUDA first when the resources ask for a GPU and onnxruntime has CUDA, else CPU only."""
    import onnxruntime

    if (resources or {}).get(GPU_RESOURCE) and (
        "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    ):
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]
