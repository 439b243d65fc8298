"""tiffin-onnx: the ONNX Runtime framework adapter. Importing this does not import onnx or
onnxruntime."""

from __future__ import annotations

import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_onnx._adapter import OnnxAdapter

    register(OnnxAdapter())
