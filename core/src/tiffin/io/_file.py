"""File: arbitrary bytes, as a raw body or one file of a multipart form; a file-like object."""

from __future__ import annotations

import io
import mimetypes
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, media_type_of, set_current_request, wrong_output

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["File"]

MULTIPART = "multipart/form-data"


class NamedBytesIO(io.BytesIO):
    """``BytesIO`` with the ``name`` and ``content_type`` the client sent, when it sent them."""

    def __init__(
        self, data: bytes = b"", name: str | None = None, content_type: str | None = None
    ) -> None:
        super().__init__(data)
        self.name = name
        self.content_type = content_type


async def read_one_file(request: Request, who: str) -> tuple[bytes, str | None, str | None]:
    """The only (or first) file of a multipart request: ``(data, media type, filename)``."""
    from starlette.datastructures import UploadFile

    try:
        form = await request.form()
    except Exception as exc:  # python-multipart errors: malformed body, missing boundary
        raise BadInput(f"{who} input is not a valid multipart/form-data body: {exc}") from None
    try:
        for _, part in form.multi_items():
            if isinstance(part, UploadFile):
                return await part.read(), media_type_of(part.content_type), part.filename
        raise BadInput(f"{who} input: the multipart/form-data body holds no file part")
    finally:
        await form.close()


class File(IODescriptor):
    """Any bytes: the API gets a file-like object (a ``BytesIO`` with ``.name`` when known).

    :param kind: ``"binaryio"`` (the only kind so far, as in BentoML).
    :param mime_type: the media type answered with, and accepted besides
        ``application/octet-stream``, ``multipart/form-data`` and anything else (a File accepts
        every content type: its bytes are not interpreted).
    """

    media_types = ("application/octet-stream", MULTIPART)

    def __init__(self, kind: str = "binaryio", mime_type: str | None = None) -> None:
        if kind != "binaryio":
            raise InvalidArgument(f"File(kind={kind!r}): the only kind is 'binaryio'")
        self._kind = kind
        self._mime_type = mime_type
        if mime_type:
            self.media_types = (mime_type, "application/octet-stream", MULTIPART)

    def accepts(self, media_type: str | None) -> bool:
        return True

    async def from_http(self, request: Request) -> Any:
        set_current_request(request)
        media_type = self.check_media_type(request)
        if media_type == MULTIPART:
            data, part_type, filename = await read_one_file(request, "File")
            return self.decode(data, part_type, filename)
        return self.decode(await request.body(), media_type, None)

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        return NamedBytesIO(data, filename, media_type)

    def media_type_for_file(self, filename: str | None) -> str | None:
        return mimetypes.guess_type(filename)[0] if filename else None

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        elif hasattr(value, "read"):
            if hasattr(value, "seek"):
                value.seek(0)
            data = value.read()
            if isinstance(data, str):
                data = data.encode("utf-8")
        elif isinstance(value, str) or hasattr(value, "__fspath__"):
            raise wrong_output(
                self, "bytes or a binary file-like object (open the path and return it)", value
            )
        else:
            raise wrong_output(self, "bytes or a binary file-like object", value)
        media_type = (
            self._mime_type or getattr(value, "content_type", None) or "application/octet-stream"
        )
        return data, media_type, {}

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "binary"}

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        schema = self.openapi_schema()
        if first_only:
            return {self.media_types[0]: {"schema": schema}}
        content: dict[str, Any] = {
            t: {"schema": schema} for t in self.media_types if t != MULTIPART
        }
        content[MULTIPART] = {
            "schema": {"type": "object", "properties": {"file": schema}, "required": ["file"]}
        }
        return content

    def to_spec(self) -> dict[str, Any]:
        return {"type": "File", "args": {"kind": self._kind, "mime_type": self._mime_type}}

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> File:
        """A descriptor whose ``mime_type`` is guessed from a sample path or file's name."""
        name = (
            str(sample)
            if isinstance(sample, str) or hasattr(sample, "__fspath__")
            else getattr(sample, "name", None)
        )
        if name and "mime_type" not in kwargs:
            kwargs["mime_type"] = mimetypes.guess_type(str(name))[0]
        descriptor = cls(**kwargs)
        descriptor._has_example = False  # binary: no JSON example to show
        return descriptor
