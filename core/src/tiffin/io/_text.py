"""Text: a UTF-8 ``text/plain`` body in, a ``str`` to the API, a ``str`` back out."""

from __future__ import annotations

from typing import Any

from tiffin.exceptions import BadInput
from tiffin.io._base import IODescriptor, wrong_output

__all__ = ["Text"]


class Text(IODescriptor):
    """Plain UTF-8 text (``text/plain``); invalid UTF-8 is a 400."""

    media_types = ("text/plain",)

    def __init__(self) -> None:
        pass

    def _decode(self, data: bytes, media_type: str | None, filename: str | None) -> Any:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(
                f"Text input is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
                f"send UTF-8 text"
            ) from None

    def _encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if not isinstance(value, str):
            raise wrong_output(self, "a str", value)
        return value.encode("utf-8"), "text/plain; charset=utf-8", {}

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "Text", "args": {}}
