"""IO descriptors: ``register_io_descriptors`` and what a descriptor class must do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

__all__ = ["IODescriptorProtocol", "SupportsTensors", "register_io_descriptors"]


@runtime_checkable
class IODescriptorProtocol(Protocol):
    """What an IO descriptor is: how one API's request or response body becomes a value and back.

    Subclass :class:`tiffin.io.IODescriptor` (it implements everything below but ``decode``,
    ``encode``, ``openapi_schema`` and ``to_spec`` from those four) and register the class. The
    same methods serve the server (request in, response out), ``tiffin run``, and
    :class:`tiffin.client.Client`, which rebuilds each API's descriptors from ``/docs.json``
    (``x-tiffin-io``: the output of ``to_spec``) and calls ``encode`` on the input and ``decode``
    on the answer, so a third-party descriptor installed on both sides works from the client.
    Test one with :class:`tiffin.testing.IODescriptorContract`.

    Required:

    - ``media_types: tuple[str, ...]``: the media types ``decode`` accepts; the first is the
      default, read for a request without ``Content-Type``, and what ``encode`` should answer in.
    - ``decode(data: bytes, media_type: str | None, filename: str | None = None) -> Any``: a
      request body, a response body (on the client) or a multipart part to the native value;
      ``media_type`` is one of ``media_types`` or ``None`` (the default). Bad bytes raise
      :class:`tiffin.exceptions.BadInput` with one line saying what was wrong and what to send:
      the server answers it as a 400. Called on the serving hot path: keep it lean.
    - ``encode(value) -> tuple[bytes, str, dict[str, str]]``: a native value to ``(body,
      media type, extra headers)``; ``decode(*encode(v)[:2])`` gives back a value equal to ``v``.
      A value of the wrong kind raises :class:`tiffin.exceptions.TiffinError` (the API
      function's fault when it is returned by one: a 500).
    - ``openapi_schema() -> dict``: the JSON schema (OpenAPI 3.0 dialect) of the default media
      type's body; ``/docs.json`` must stay valid OpenAPI 3.0 with it.
    - ``to_spec() -> dict``: ``{"type": ClassName, "args": {...}}``, JSON-able; the classmethod
      ``from_spec(spec)`` builds an equal descriptor from it (stored in ``bento.yaml``, published
      in ``/docs.json``, used by the client).

    Provided by :class:`tiffin.io.IODescriptor` (override for more than one body format):
    ``from_http(request)`` / ``to_http(value)`` (the server's hot path, built on ``decode`` and
    ``encode``), ``from_cli(data, filename)`` / ``to_cli(value)``, ``accepts(media_type)``,
    ``media_type_for_file(filename)``, ``openapi_request_body()`` / ``openapi_responses()``,
    the classmethod ``from_sample(sample, **kwargs)`` and ``set_example(sample)``.
    ``input_kwargs = True`` makes the server call the API function with the decoded mapping as
    keyword arguments (Multipart).

    Optional capability :class:`SupportsTensors`, tensors (the Open Inference Protocol, KServe V2; see
    :mod:`tiffin.io` for :class:`~tiffin.io.Tensor` and :class:`~tiffin.io.TensorSpec`): an API
    whose input and output descriptors both have it is also the V2 model named after the API.

    - ``tensor_specs(role: str) -> list[TensorSpec]``: the tensors this descriptor reads (as an
      API's input, ``role="input"``) or writes (``role="output"``): name, V2 datatype, shape
      (``-1``: any size). Stated in the V2 model metadata; an empty list means "any".
    - ``from_tensors(tensors: list[Tensor]) -> Any``: decoded request tensors (numpy arrays,
      ``BYTES`` as object arrays of ``bytes``) to the value the API function takes; a tensor of
      the wrong name, datatype or shape raises :class:`~tiffin.exceptions.BadInput` (a 400).
    - ``to_tensors(value, role: str) -> list[Tensor]``: the API function's return value to
      response tensors.
    """

    media_types: tuple[str, ...]

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any: ...

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]: ...

    def openapi_schema(self) -> dict[str, Any]: ...

    def to_spec(self) -> dict[str, Any]: ...


@hookspec
def register_io_descriptors(register: Callable[[type], None]) -> None:
    """Register IO descriptor classes (subclasses of :class:`tiffin.io.IODescriptor`).

    Each class implements :class:`IODescriptorProtocol`.

    :param register: call ``register(cls)``; the class becomes available as
        ``tiffin.io.<cls.__name__>``. A class name registered twice is a warning; the first wins.

    Called once per process, the first time ``tiffin.io`` is asked for a name it does not define
    itself, and when the server builds its OpenAPI document.
    """


@runtime_checkable
class SupportsTensors(Protocol):
    """Maps to V2 tensors (``tensor_specs``, ``from_tensors``, ``to_tensors``; see above)."""

    def tensor_specs(self, role: str) -> list[Any]: ...

    def from_tensors(self, tensors: list[Any]) -> Any: ...

    def to_tensors(self, value: Any, role: str) -> list[Any]: ...
