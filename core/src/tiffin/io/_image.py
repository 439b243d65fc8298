"""Image: an encoded picture in, a PIL image to the API, a PIL image or array back out.

Pillow is optional (``pip install pillow``). Decoding is bounded: an image above
``max_pixels`` (a decompression bomb) is refused with a 400 before its pixels are allocated.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, set_current_request, wrong_output
from tiffin.io._file import MULTIPART, read_one_file
from tiffin.io._optional import require

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["Image"]

DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff")
_OCTET = "application/octet-stream"


def _pil() -> Any:
    return require("PIL.Image", "pillow", "Image")


_UNSET = object()


class Image(IODescriptor):
    """An image (JPEG, PNG, WebP, ...) as a ``PIL.Image.Image``.

    :param pil_mode: convert every input to this mode (``"RGB"``, ``"L"``, ...; ``None`` keeps it);
        ``pilmode=`` (BentoML's spelling) is the same option.
    :param mime_type: the format answers are encoded in.
    :param allowed_mime_types: the formats accepted (default: JPEG, PNG, WebP, GIF, BMP, TIFF).
    :param max_pixels: the largest image decoded (width x height); bigger ones are a 400.
    """

    def __init__(
        self,
        pil_mode: str | None = "RGB",
        mime_type: str = "image/jpeg",
        allowed_mime_types: list[str] | tuple[str, ...] | None = None,
        max_pixels: int = 64_000_000,
        *,
        pilmode: str | object | None = _UNSET,
    ) -> None:
        if pilmode is not _UNSET:
            if pil_mode != "RGB" and pil_mode != pilmode:
                raise InvalidArgument(
                    f"Image(pil_mode={pil_mode!r}, pilmode={pilmode!r}): they are the same option "
                    f"(pilmode is BentoML's spelling); give one"
                )
            pil_mode = pilmode  # type: ignore[assignment]
        pil = _pil()
        pil.init()
        self._formats = {mime: fmt for fmt, mime in pil.MIME.items()}
        if mime_type not in self._formats:
            raise InvalidArgument(
                f"Image(mime_type={mime_type!r}): Pillow cannot write that; use e.g. image/png"
            )
        allowed = tuple(allowed_mime_types) if allowed_mime_types else DEFAULT_TYPES
        unknown = [t for t in allowed if t not in self._formats]
        if unknown:
            raise InvalidArgument(
                f"Image(allowed_mime_types=...): Pillow cannot read {', '.join(unknown)}"
            )
        self._pil_mode = pil_mode
        self._mime_type = mime_type
        self._allowed = allowed
        self._max_pixels = int(max_pixels)
        self.media_types = (*allowed, MULTIPART, _OCTET)

    async def from_http(self, request: Request) -> Any:
        set_current_request(request)
        media_type = self.check_media_type(request)
        if media_type == MULTIPART:
            data, part_type, filename = await read_one_file(request, "Image")
            if not self.accepts(part_type):
                raise BadInput(
                    f"Image input file has type {part_type!r}; send one of: {', '.join(self._allowed)}"
                )
            return self.decode(data, part_type, filename)
        return self.decode(await request.body(), media_type, None)

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        pil = _pil()
        if not data:
            raise BadInput("Image input is empty; send the image's bytes")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", pil.DecompressionBombWarning)
                image = pil.open(io.BytesIO(data))
                width, height = image.size
                if width * height > self._max_pixels:
                    raise BadInput(
                        f"Image input is {width}x{height} pixels, more than the {self._max_pixels} allowed"
                    )
                mime = pil.MIME.get(image.format or "")
                if mime not in self._allowed:
                    raise BadInput(
                        f"Image input is {mime or image.format or 'an unknown format'}; send one of: "
                        f"{', '.join(self._allowed)}"
                    )
                image.load()
        except BadInput:
            raise
        except (pil.DecompressionBombError, pil.DecompressionBombWarning) as exc:
            raise BadInput(f"Image input is too large to decode safely: {exc}") from None
        except Exception as exc:  # untrusted bytes: any decoder failure is the client's bad input
            if isinstance(exc, MemoryError):
                raise
            raise BadInput(
                f"Image input is not a readable image ({', '.join(self._allowed)}): {exc}"
            ) from None
        if self._pil_mode and image.mode != self._pil_mode:
            image = image.convert(self._pil_mode)
        return image

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        pil = _pil()
        if not isinstance(value, pil.Image):
            if type(value).__module__ != "numpy":
                raise wrong_output(self, "a PIL.Image.Image or a numpy array", value)
            try:
                value = pil.fromarray(value)
            except (TypeError, ValueError) as exc:
                raise wrong_output(self, f"an image-shaped uint8 array ({exc})", value) from None
        fmt = self._formats[self._mime_type]
        if fmt == "JPEG" and value.mode not in ("RGB", "L", "CMYK"):
            value = value.convert("RGB")
        buffer = io.BytesIO()
        value.save(buffer, format=fmt)
        return buffer.getvalue(), self._mime_type, {}

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "binary"}

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        schema = self.openapi_schema()
        if first_only:
            return {self._mime_type: {"schema": schema}}
        content: dict[str, Any] = {t: {"schema": schema} for t in self._allowed}
        content[MULTIPART] = {
            "schema": {"type": "object", "properties": {"file": schema}, "required": ["file"]}
        }
        return content

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "Image",
            "args": {
                "pil_mode": self._pil_mode,
                "mime_type": self._mime_type,
                "allowed_mime_types": list(self._allowed),
                "max_pixels": self._max_pixels,
            },
        }

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> Image:
        """Mode and format from a sample PIL image (binary: no JSON example is shown)."""
        mode = getattr(sample, "mode", None)
        fmt = getattr(sample, "format", None)
        if mode:
            kwargs.setdefault("pil_mode", mode)
        if fmt:
            mime = _pil().MIME.get(fmt)
            if mime:
                kwargs.setdefault("mime_type", mime)
        return cls(**kwargs)
