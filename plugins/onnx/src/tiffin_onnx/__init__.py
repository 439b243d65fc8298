"""tiffin-onnx: the ONNX Runtime framework adapter. Importing this does not import onnx,
onnxruntime or numpy.

``tiffin.onnx`` is the adapter; :class:`OnnxCallable` is what its models' signature ``run`` is
called on (``tiffin.onnx.signature_target(tiffin.onnx.load_model(tag))``).
"""

from __future__ import annotations

import tiffin
from tiffin_onnx._graph import OnnxCallable

__all__ = ["OnnxCallable"]


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_onnx._adapter import OnnxAdapter

    register(OnnxAdapter())
