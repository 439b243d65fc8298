"""IntList: a sample IO descriptor, integers as one line of comma-separated text.

It shows the whole IO descriptor contract (tiffin.hookspecs.IODescriptorProtocol): decode and
encode one wire format, describe it in OpenAPI, and say how to rebuild it (to_spec). Delete it
if your plugin provides no descriptor.
"""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import BadInput, TiffinError
from tiffin.io import IODescriptor


class IntList(IODescriptor):
    """A ``list[int]`` sent as ``text/csv``: ``1,2,3``.

    :param max_items: the longest list accepted (a longer one is a 400).
    """

    media_types = ("text/csv",)

    def __init__(self, max_items: int = 1000) -> None:
        self.max_items = int(max_items)

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        text = data.decode("utf-8", "replace").strip()
        items = [part.strip() for part in text.split(",")] if text else []
        if len(items) > self.max_items:
            raise BadInput(f"IntList input has {len(items)} items, more than {self.max_items}")
        try:
            return [int(item) for item in items]
        except ValueError as exc:
            raise BadInput(f"IntList input must be integers separated by commas: {exc}") from None

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise TiffinError(f"IntList expects a list of int, got {type(value).__name__}")
        return ",".join(str(v) for v in value).encode(), "text/csv", {}

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "description": "integers separated by commas, e.g. 1,2,3"}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "IntList", "args": {"max_items": self.max_items}}
