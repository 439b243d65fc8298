"""The Open Inference Protocol's (KServe V2) wire format: request tensors in, answer out.

A request's tensors come as JSON ``data`` or as raw bytes after the JSON header (the binary
tensor data extension, whose JSON length is the ``Inference-Header-Content-Length`` header);
:func:`decode_inputs` makes :class:`~tiffin.io._tensors.Tensor` values of them, and
:func:`encode_outputs` writes the answer the way the request asked for it.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from tiffin.exceptions import BadInput
from tiffin.io._npy import lazy_numpy
from tiffin.io._tensors import (
    DATATYPES,
    Tensor,
    bytes_from_binary,
    bytes_to_binary,
    numpy_dtype,
)

__all__ = ["HEADER_LENGTH", "MODEL_VERSION", "decode_inputs", "encode_outputs", "parse_request"]


HEADER_LENGTH = "Inference-Header-Content-Length"
#: The one version every model has.
MODEL_VERSION = "1"
_JSON_NUMPY = orjson.OPT_SERIALIZE_NUMPY


# -- decoding a request ---------------------------------------------------------------------------


def _shape_of(spec: dict[str, Any], name: str) -> tuple[int, ...]:
    shape = spec.get("shape")
    if type(shape) is list:
        for size in shape:
            if type(size) is not int or size < 0:
                break
        else:
            return tuple(shape)
    raise BadInput(f"input {name!r}: 'shape' must be a list of non-negative integers")


def _tensor_from_json(spec: Any, binary: bytes, offset: int) -> tuple[Tensor, int]:
    """One request input (and how many binary bytes it used)."""
    np = lazy_numpy()
    if type(spec) is not dict:
        raise BadInput("each entry of 'inputs' must be an object with name, datatype, shape, data")
    name = spec.get("name")
    if type(name) is not str:
        raise BadInput("an input lacks its 'name' (a string)")
    datatype = spec.get("datatype")
    if type(datatype) is not str or datatype not in DATATYPES:
        raise BadInput(
            f"input {name!r}: datatype {datatype!r} is not one of {', '.join(DATATYPES)}"
        )
    shape = _shape_of(spec, name)
    count = math.prod(shape)
    dtype = numpy_dtype(datatype)
    parameters = spec.get("parameters")
    size = parameters.get("binary_data_size") if type(parameters) is dict else None
    if size is not None:
        if type(size) is not int or size < 0 or offset + size > len(binary):
            raise BadInput(
                f"input {name!r}: binary_data_size {size!r} does not fit the "
                f"{len(binary) - offset} binary bytes left after the JSON header"
            )
        if datatype == "BYTES":
            data = np.empty(count, dtype=object)
            data[:] = bytes_from_binary(binary[offset : offset + size], count, name)
        else:
            if size != count * dtype.itemsize:
                raise BadInput(
                    f"input {name!r}: shape {list(shape)} of {datatype} needs "
                    f"{count * dtype.itemsize} bytes, binary_data_size is {size}"
                )
            # a copy: the API function may write into its input
            data = np.frombuffer(binary, dtype, count, offset).copy()
        return Tensor(name, datatype, shape, data.reshape(shape)), size
    if "data" not in spec:
        raise BadInput(f"input {name!r} has neither 'data' nor parameters.binary_data_size")
    raw = spec["data"]
    try:
        if datatype == "BYTES":
            flat = _flatten(raw)
            data = np.empty(len(flat), dtype=object)
            data[:] = [
                v.encode("utf-8") if isinstance(v, str) else _bytes_item(v, name) for v in flat
            ]
        else:
            with np.errstate(all="ignore"):
                data = np.asarray(raw, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadInput(f"input {name!r}: its data is not {datatype}: {exc}") from None
    if data.size != count:
        raise BadInput(
            f"input {name!r}: shape {list(shape)} holds {count} elements, its data {data.size}"
        )
    return Tensor(name, datatype, shape, data.reshape(shape)), 0


def _flatten(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        return [raw]
    out: list[Any] = []
    for item in raw:
        out.extend(_flatten(item) if isinstance(item, list) else (item,))
    return out


def _bytes_item(value: Any, name: str) -> bytes:
    raise BadInput(f"input {name!r}: BYTES data in JSON must be strings, got {value!r}")


def parse_request(body: bytes, header_length: bytes | None) -> tuple[dict[str, Any], bytes]:
    """The JSON header and the binary data after it (a request without the header is all JSON)."""
    if header_length is None:
        json_part, binary = body, b""
    else:
        try:
            length = int(header_length)
        except ValueError:
            raise BadInput(f"{HEADER_LENGTH} must be an integer, got {header_length!r}") from None
        if not 0 <= length <= len(body):
            raise BadInput(f"{HEADER_LENGTH} is {length}, but the body has {len(body)} bytes")
        json_part, binary = body[:length], body[length:]
    try:
        request = orjson.loads(json_part)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"the inference request is not valid JSON: {exc}") from None
    if not isinstance(request, dict) or not isinstance(request.get("inputs"), list):
        raise BadInput("the inference request must be a JSON object with an 'inputs' list")
    return request, binary


def decode_inputs(request: dict[str, Any], binary: bytes) -> list[Tensor]:
    tensors = []
    offset = 0
    for spec in request["inputs"]:
        tensor, used = _tensor_from_json(spec, binary, offset)
        offset += used
        tensors.append(tensor)
    if offset != len(binary):
        raise BadInput(
            f"the request carries {len(binary) - offset} binary bytes that no input's "
            f"binary_data_size accounts for"
        )
    return tensors


# -- encoding an answer ---------------------------------------------------------------------------


def _binary_wanted(request: dict[str, Any]) -> tuple[bool, dict[str, bool], list[str] | None]:
    """(all outputs binary?, per-output choice, the outputs asked for or ``None`` for all)."""
    parameters = request.get("parameters")
    everything = (
        bool(parameters.get("binary_data_output")) if isinstance(parameters, dict) else False
    )
    outputs = request.get("outputs")
    if not isinstance(outputs, list):
        return everything, {}, None
    per: dict[str, bool] = {}
    names = []
    for item in outputs:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadInput("each entry of 'outputs' must be an object with a 'name'")
        names.append(item["name"])
        params = item.get("parameters")
        if isinstance(params, dict) and "binary_data" in params:
            per[item["name"]] = bool(params["binary_data"])
    return everything, per, names


def _json_data(tensor: Tensor) -> Any:
    arr = tensor.data.reshape(-1)
    if tensor.datatype == "BYTES":
        return [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in arr.tolist()
        ]
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 2:
        return arr.astype("float32")
    return arr


def _binary_data(tensor: Tensor) -> bytes:
    if tensor.datatype == "BYTES":
        return bytes_to_binary(tensor.data.reshape(-1))
    data = tensor.data
    if data.dtype.byteorder == ">":  # the protocol's binary data is little-endian
        data = data.astype(data.dtype.newbyteorder("<"))
    return data.tobytes(order="C")


def encode_outputs(
    model: str, request: dict[str, Any], tensors: list[Tensor]
) -> tuple[bytes, int | None, str]:
    """The response body, the JSON header's length (binary answers only) and the media type."""
    everything, per, names = _binary_wanted(request)
    if names is not None:
        by_name = {t.name: t for t in tensors}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise BadInput(
                f"requested output(s) {', '.join(map(repr, unknown))} do not exist; "
                f"this model's outputs: {', '.join(by_name)}"
            )
        tensors = [by_name[n] for n in names]
    outputs = []
    chunks: list[bytes] = []
    for tensor in tensors:
        entry: dict[str, Any] = {  # orjson writes the shape tuple as a list
            "name": tensor.name,
            "datatype": tensor.datatype,
            "shape": tensor.shape,
        }
        if per.get(tensor.name, everything):
            chunk = _binary_data(tensor)
            entry["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            entry["data"] = _json_data(tensor)
        outputs.append(entry)
    answer: dict[str, Any] = {
        "model_name": model,
        "model_version": MODEL_VERSION,
        "outputs": outputs,
    }
    if "id" in request:
        answer["id"] = request["id"]
    header = orjson.dumps(answer, option=_JSON_NUMPY)
    if not chunks:
        return header, None, "application/json"
    return header + b"".join(chunks), len(header), "application/octet-stream"
