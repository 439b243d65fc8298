"""tiffin-onnx: the ONNX Runtime framework adapter. Importing this does not import onnx,
onnxruntime or numpy.

``tiffin.onnx`` is the adapter; :class:`OnnxCallable` is what its models' signature ``run`` is
called on (``tiffin.onnx.signature_target(tiffin.onnx.load_model(tag))``);
:class:`OnnxTensors` (``tiffin.io.OnnxTensors``) is the IO descriptor of a graph's named
tensors (``tiffin.onnx.io_descriptors(tag)``).
"""

from __future__ import annotations

import tiffin
from tiffin_onnx._graph import OnnxCallable
from tiffin_onnx._io import OnnxTensors

__all__ = ["OnnxCallable", "OnnxTensors"]


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_onnx._adapter import OnnxAdapter

    register(OnnxAdapter())


@tiffin.hookimpl
def register_io_descriptors(register):
    register(OnnxTensors)
