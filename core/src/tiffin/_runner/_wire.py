"""The binary frames between a server and its runner worker processes (over a unix socket).

One frame: a 4-byte big-endian header length, the header (JSON, via orjson), then the raw
buffers whose lengths the header lists. Values travel as their data container's payload: a
numpy array is its dtype and shape in the header and its memory as one buffer, written with
no copy and read straight into a writable buffer, never through JSON. A value no container
knows (a str, a dict) is pickled, with large buffers out of band.
"""

from __future__ import annotations

import pickle
import struct
import traceback
from collections.abc import Sequence
from typing import Any

import orjson

from tiffin.containers import Payload, pickle_payload, unpickle_payload

__all__ = [
    "decode_error",
    "decode_values",
    "encode_error",
    "encode_values",
    "pack_frame",
]

_LEN = struct.Struct(">I")
MAX_HEADER = 64 * 1024 * 1024


def encode_values(values: Sequence[Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Payload metadata per value, and all their buffers in order."""
    from tiffin._runner._containers import container_for

    metas: list[dict[str, Any]] = []
    buffers: list[Any] = []
    for value in values:
        container = container_for(value)
        payload = (
            pickle_payload(value, "pickle") if container is None else container.to_payload(value)
        )
        meta = dict(payload.meta)
        meta.setdefault("container", getattr(container, "name", "pickle"))
        meta["_n"] = len(payload.buffers)
        metas.append(meta)
        buffers.extend(payload.buffers)
    return metas, buffers


def decode_values(metas: Sequence[dict[str, Any]], buffers: Sequence[Any]) -> list[Any]:
    from tiffin import _plugins

    by_name = {c.name: c for c in _plugins.data_containers().values()}
    values = []
    at = 0
    for meta in metas:
        n = meta["_n"]
        payload = Payload(meta, tuple(buffers[at : at + n]))
        at += n
        name = meta.get("container")
        if meta.get("pickle") and (name == "pickle" or name not in by_name):
            values.append(unpickle_payload(payload))
        else:
            values.append(by_name[name].from_payload(payload))
    return values


def pack_frame(header: dict[str, Any], buffers: Sequence[Any] = ()) -> list[Any]:
    """The pieces to write for one frame (header bytes first, then the buffers as they are)."""
    lens = [memoryview(b).nbytes for b in buffers]
    head = orjson.dumps({**header, "lens": lens})
    return [_LEN.pack(len(head)) + head, *buffers]


def header_length(prefix: bytes) -> int:
    (n,) = _LEN.unpack(prefix)
    if n > MAX_HEADER:
        raise ValueError(f"frame header of {n} bytes is too large")
    return n


def encode_error(exc: BaseException) -> tuple[dict[str, Any], list[Any]]:
    """An exception as a frame: pickled when it can be, else its type and message."""
    text = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except Exception:
        return {
            "kind": "error",
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": text,
        }, []
    return {"kind": "error", "type": type(exc).__name__, "message": str(exc), "traceback": text}, [
        data
    ]


def decode_error(header: dict[str, Any], buffers: Sequence[Any]) -> BaseException:
    from tiffin.exceptions import TiffinError

    if buffers:
        try:
            exc = pickle.loads(buffers[0])
        except Exception:
            exc = None
        if isinstance(exc, BaseException):
            exc.add_note(f"raised in a runner worker process:\n{header.get('traceback', '')}")
            return exc
    return TiffinError(
        f"{header.get('type')}: {header.get('message')} (raised in a runner worker process)"
    )
