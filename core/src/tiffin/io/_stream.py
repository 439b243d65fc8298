"""What a generator API returns (:class:`Stream`): its chunks, streamed as they come."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tiffin.io._base import IODescriptor
from tiffin.io._json import dumps_json

__all__ = ["Stream"]


class Stream(IODescriptor):
    """What a generator API yields, streamed as it comes: text chunks (``str``/``bytes``) as they
    are, anything else as one JSON document per line."""

    media_types = ("text/plain",)

    def __init__(self, media_type: str = "text/plain") -> None:
        self._media_type = media_type

    @staticmethod
    def _chunk(item: Any) -> bytes:
        if isinstance(item, bytes):
            return item
        if isinstance(item, str):
            return item.encode("utf-8")
        return dumps_json(item) + b"\n"

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if isinstance(value, (bytes, str)):
            return self._chunk(value), self._media_type, {}
        return b"".join(self._chunk(item) for item in value), self._media_type, {}

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        return data.decode("utf-8", "replace")

    async def to_http(self, value: Any) -> Any:
        # starlette (heavy) loads when a response is made, not when tiffin.io is imported
        from starlette.responses import StreamingResponse

        if isinstance(value, (str, bytes)):
            value = [value]
        if hasattr(value, "__aiter__"):

            async def chunks() -> AsyncIterator[bytes]:
                async for item in value:
                    yield self._chunk(item)

            return StreamingResponse(chunks(), media_type=self._media_type)
        return StreamingResponse((self._chunk(item) for item in value), media_type=self._media_type)

    def to_cli(self, value: Any) -> Any:
        if hasattr(value, "__aiter__"):

            async def collect() -> bytes:
                return b"".join([self._chunk(item) async for item in value])

            return collect()
        return self.encode(value)[0]

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string"}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "Text", "args": {}}
