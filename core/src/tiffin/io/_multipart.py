"""Multipart: a multipart/form-data body whose named parts each have their own descriptor.

Each part is found by its name whether the client sent it as a plain field or as a file, and is
parsed by that part's descriptor; the API function receives the parts as keyword arguments.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, media_type_of, set_current_request, wrong_output

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = ["Multipart"]

MULTIPART = "multipart/form-data"
_OCTET = "application/octet-stream"


def _split_multipart(data: bytes) -> dict[str, tuple[bytes, str | None, str | None]]:
    """The named parts of a multipart body: ``{name: (bytes, media type, filename)}``."""
    first = data.split(b"\r\n", 1)[0]
    delimiter = b"\r\n" + first
    chunks = (b"\r\n" + data).split(delimiter)
    parts: dict[str, tuple[bytes, str | None, str | None]] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts
        head, sep, content = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            break
        name = filename = media_type = None
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            key = key.strip().lower()
            if key == "content-type":
                media_type = media_type_of(value)
            elif key == "content-disposition":
                for param in value.split(";")[1:]:
                    pkey, _, pvalue = param.strip().partition("=")
                    if pkey == "name":
                        name = pvalue.strip('"')
                    elif pkey == "filename":
                        filename = pvalue.strip('"')
        if name is None:
            raise BadInput("Multipart input has a part without a name (Content-Disposition)")
        parts[name] = (content, media_type, filename)
    raise BadInput("Multipart input is not a complete multipart/form-data body (no final boundary)")


class Multipart(IODescriptor):
    """``multipart/form-data`` with one descriptor per part: ``Multipart(image=Image(), meta=JSON())``."""

    media_types = (MULTIPART,)
    input_kwargs = True

    def __init__(self, **parts: IODescriptor) -> None:
        if not parts:
            raise InvalidArgument(
                "Multipart() needs at least one part, e.g. Multipart(text=Text())"
            )
        for name, part in parts.items():
            if not isinstance(part, IODescriptor) or isinstance(part, Multipart):
                raise InvalidArgument(
                    f"Multipart part {name!r} must be an IO descriptor instance (not a class, not a "
                    f"Multipart), got {part!r}"
                )
        self._parts = dict(parts)

    @property
    def parts(self) -> dict[str, IODescriptor]:
        return dict(self._parts)

    # -- input ---------------------------------------------------------------------------------

    async def from_http(self, request: Request) -> Any:
        from starlette.datastructures import UploadFile

        set_current_request(request)
        self.check_media_type(request)
        try:
            form = await request.form()
        except Exception as exc:  # python-multipart: malformed body, missing boundary, limits
            raise BadInput(
                f"Multipart input is not a valid multipart/form-data body: {exc}"
            ) from None
        try:
            missing = [name for name in self._parts if name not in form]
            if missing:
                raise BadInput(
                    f"Multipart input lacks the part(s) {', '.join(map(repr, missing))}; expected "
                    f"parts: {', '.join(self._parts)}"
                )
            values: dict[str, Any] = {}
            for name, descriptor in self._parts.items():
                item = form[name]
                if isinstance(item, UploadFile):
                    data = await item.read()
                    part_type, filename = media_type_of(item.content_type), item.filename
                else:
                    data, part_type, filename = item.encode("utf-8"), None, None
                values[name] = self._decode_part(name, descriptor, data, part_type, filename)
            return values
        finally:
            await form.close()

    def _decode_part(
        self,
        name: str,
        descriptor: IODescriptor,
        data: bytes,
        part_type: str | None,
        filename: str | None,
    ) -> Any:
        if part_type in (None, _OCTET, "text/plain") and filename:
            guessed = descriptor.media_type_for_file(filename)
            if guessed is not None or not descriptor.accepts(part_type):
                part_type = guessed
        if part_type == "text/plain" and not descriptor.accepts(part_type):
            part_type = None
        if not descriptor.accepts(part_type):
            raise BadInput(
                f"Multipart part {name!r} has Content-Type {part_type!r}; send one of: "
                f"{', '.join(descriptor.media_types)}"
            )
        try:
            return descriptor.decode(data, part_type, filename)
        except BadInput as exc:
            raise BadInput(f"Multipart part {name!r}: {exc}") from None

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        """A ``multipart/form-data`` body (what :meth:`encode` writes) to a dict of parts.

        A body that is not multipart (it does not start with ``--``) is read as the CLI's JSON
        object of parts.
        """
        if not data.startswith(b"--"):
            return self.from_cli(data, filename)
        found = _split_multipart(data)
        missing = [name for name in self._parts if name not in found]
        if missing:
            raise BadInput(
                f"Multipart input lacks the part(s) {', '.join(map(repr, missing))}; expected "
                f"parts: {', '.join(self._parts)}"
            )
        return {
            name: self._decode_part(name, descriptor, *found[name])
            for name, descriptor in self._parts.items()
        }

    def from_cli(self, data: bytes, filename: str | None) -> Any:
        """A JSON object of parts; a string ``"@path"`` reads that file for its part."""
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"Multipart CLI input must be a JSON object of parts: {exc}") from None
        if not isinstance(parsed, dict):
            raise BadInput(
                f"Multipart CLI input must be a JSON object with the parts {', '.join(self._parts)}"
            )
        missing = [name for name in self._parts if name not in parsed]
        if missing:
            raise BadInput(f"Multipart input lacks the part(s) {', '.join(map(repr, missing))}")
        values = {}
        for name, descriptor in self._parts.items():
            raw = parsed[name]
            part_name: str | None = None
            if isinstance(raw, str) and raw.startswith("@"):
                path = Path(raw[1:])
                try:
                    part_data = path.read_bytes()
                except OSError as exc:
                    raise BadInput(
                        f"Multipart part {name!r}: cannot read {path}: {exc.strerror}"
                    ) from None
                part_name = path.name
            elif isinstance(raw, str) and "application/json" not in descriptor.media_types:
                part_data = raw.encode("utf-8")
            else:
                part_data = orjson.dumps(raw)
            try:
                values[name] = descriptor.from_cli(part_data, part_name)
            except BadInput as exc:
                raise BadInput(f"Multipart part {name!r}: {exc}") from None
        return values

    # -- output --------------------------------------------------------------------------------

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        if not isinstance(value, dict):
            raise wrong_output(self, f"a dict with the keys {', '.join(self._parts)}", value)
        missing = [name for name in self._parts if name not in value]
        if missing:
            raise wrong_output(
                self,
                f"a dict with the keys {', '.join(self._parts)} (lacks {', '.join(missing)})",
                value,
            )
        encoded = [(name, *self._parts[name].encode(value[name])) for name in self._parts]
        digest = hashlib.sha256()
        for _, body, _, _ in encoded:
            digest.update(body)
        boundary = "tiffin-" + digest.hexdigest()[:32]
        chunks: list[bytes] = []
        for name, body, media_type, _headers in encoded:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                f"Content-Type: {media_type}\r\n\r\n".encode()
            )
            chunks.append(body)
            chunks.append(b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return b"".join(chunks), f"{MULTIPART}; boundary={boundary}", {}

    # -- description ---------------------------------------------------------------------------

    def openapi_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {name: d.openapi_schema() for name, d in self._parts.items()},
            "required": list(self._parts),
        }

    def _openapi_content(self, first_only: bool = False) -> dict[str, Any]:
        encoding = {name: {"contentType": d.media_types[0]} for name, d in self._parts.items()}
        media: dict[str, Any] = {"schema": self.openapi_schema(), "encoding": encoding}
        examples = {n: d._openapi_example() for n, d in self._parts.items() if d._has_example}
        if examples and len(examples) == len(self._parts):
            media["example"] = examples
        return {MULTIPART: media}

    def to_spec(self) -> dict[str, Any]:
        return {"type": "Multipart", "args": {name: d.to_spec() for name, d in self._parts.items()}}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Multipart:
        from tiffin.io import from_spec

        return cls(**{name: from_spec(part) for name, part in spec.get("args", {}).items()})

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> Multipart:
        """``Multipart.from_sample({"a": arr}, a=NumpyNdarray())``: each part's example from it."""
        descriptor = cls(**kwargs)
        for name, part_sample in dict(sample).items():
            part = descriptor._parts.get(name)
            if part is not None:
                part.set_example(part_sample)
        return descriptor
