"""Text: a UTF-8 ``text/plain`` body in, a ``str`` to the API, a ``str`` back out."""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import BadInput
from tiffin.io._base import IODescriptor, wrong_output
from tiffin.io._tensors import Tensor, TensorSpec

__all__ = ["Text"]


class Text(IODescriptor):
    """Plain UTF-8 text (``text/plain``); invalid UTF-8 is a 400."""

    media_types = ("text/plain",)

    def __init__(self) -> None:
        pass

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"Text input is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
                f"send UTF-8 text"
            ) from None

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if not isinstance(value, str):
            raise wrong_output(self, "a str", value)
        return value.encode("utf-8"), "text/plain; charset=utf-8", {}

    def tensor_specs(self, role: str) -> list[TensorSpec]:
        """One ``BYTES`` tensor of one element: the UTF-8 text."""
        return [TensorSpec(role, "BYTES", (1,))]

    def from_tensors(self, tensors: list[Tensor]) -> Any:
        if len(tensors) != 1 or tensors[0].datatype != "BYTES" or tensors[0].data.size != 1:
            got = ", ".join(f"{t.name!r} {t.datatype} {list(t.shape)}" for t in tensors) or "none"
            raise BadInput(f"this model takes one BYTES tensor of shape [1], got {got}")
        item = tensors[0].data.reshape(-1)[0]
        return item if isinstance(item, str) else self.decode(bytes(item), None, None)

    def to_tensors(self, value: Any, role: str) -> list[Tensor]:
        import numpy as np

        data = np.empty(1, dtype=object)
        data[0] = self.encode(value)[0]
        return [Tensor(role, "BYTES", (1,), data)]

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "Text", "args": {}}
