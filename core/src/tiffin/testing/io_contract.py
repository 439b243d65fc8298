"""The IO descriptor contract as a pytest class: a descriptor author subclasses it, names samples.

::

    # tests/test_io_contract.py of a plugin providing a descriptor
    from tiffin.testing import IODescriptorContract

    class TestIntListContract(IODescriptorContract):
        def descriptor(self):
            return IntList()

        def samples(self):
            return [[1, 2, 3], []]

        def bad_bodies(self):
            return [(b"1,x", "text/csv")]

It checks :class:`tiffin.hookspecs.IODescriptorProtocol`: encode/decode round trips, the spec
round trip the client relies on, an OpenAPI 3.0 document that validates, bad bodies refused with
a 400 (as :class:`tiffin.exceptions.BadInput` and through a real ASGI request), and, when the
descriptor has it, the tensor capability. Every failure message says what to change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tiffin.testing.skips import not_applicable

__all__ = ["IODescriptorContract"]


def _same(got: Any, expected: Any, where: str) -> None:
    """Equality that knows arrays, frames, images and files; ``AssertionError`` says where."""
    module = type(expected).__module__.split(".")[0]
    if module == "numpy" and hasattr(expected, "dtype"):
        import numpy as np

        assert isinstance(got, np.ndarray), f"{where}: got a {type(got).__name__}, not an array"
        np.testing.assert_array_equal(got, expected, err_msg=where)
        assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
        return
    if module == "pandas":
        import pandas as pd

        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=where)
        else:
            pd.testing.assert_series_equal(got, expected, check_dtype=False, obj=where)
        return
    if module == "PIL":
        assert (got.size, got.mode) == (expected.size, expected.mode), (
            f"{where}: image {got.size} {got.mode} != {expected.size} {expected.mode}"
        )
        assert got.tobytes() == expected.tobytes(), f"{where}: the pixels differ"
        return
    if hasattr(expected, "read") or hasattr(got, "read"):
        _same(_read(got), _read(expected), where)
        return
    if isinstance(expected, dict) and isinstance(got, dict):
        assert set(got) == set(expected), f"{where}: keys {sorted(got)} != {sorted(expected)}"
        for key in expected:
            _same(got[key], expected[key], f"{where}[{key!r}]")
        return
    assert got == expected, f"{where}: {got!r} != {expected!r}"


def _read(value: Any) -> Any:
    if hasattr(value, "read"):
        if hasattr(value, "seek"):
            value.seek(0)
        data = value.read()
        if hasattr(value, "seek"):
            value.seek(0)
        return data
    return value


class IODescriptorContract:
    """Subclass as ``Test<Something>`` and implement :meth:`descriptor` and :meth:`samples`."""

    def descriptor(self) -> Any:
        """A descriptor instance to test (configured as users would)."""
        raise NotImplementedError(
            "IODescriptorContract: implement descriptor() to return an instance of your descriptor"
        )

    def samples(self) -> list[Any]:
        """Native values the descriptor must send and read back unchanged (at least one)."""
        raise NotImplementedError(
            "IODescriptorContract: implement samples() to return native values, e.g. [[1, 2]]"
        )

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        """``(body, media type)`` pairs that ``decode`` must refuse with ``BadInput`` (a 400)."""
        return []

    def compare(self, got: Any, expected: Any, where: str) -> None:
        """Assert two native values are equal; override for lossy or special values."""
        _same(got, expected, where)

    # -- helpers -------------------------------------------------------------------------------

    def _name(self) -> str:
        return type(self.descriptor()).__name__

    def _encoded(self, descriptor: Any, sample: Any) -> tuple[bytes, str | None, str]:
        from tiffin.io._base import media_type_of

        got = descriptor.encode(sample)
        assert isinstance(got, tuple) and len(got) == 3, (
            f"{self._name()}.encode(value) must return (body: bytes, media_type: str, headers: "
            f"dict), got {type(got).__name__}"
        )
        body, media_type, headers = got
        assert isinstance(body, bytes), (
            f"{self._name()}.encode must return the body as bytes, got {type(body).__name__}"
        )
        assert isinstance(media_type, str) and media_type, (
            f"{self._name()}.encode must return a media type string (e.g. 'application/json')"
        )
        assert isinstance(headers, dict), f"{self._name()}.encode must return a headers dict"
        return body, media_type_of(media_type), media_type

    def _app(self, descriptor: Any) -> Any:
        import tiffin
        from tiffin._server._app import build_app

        svc = tiffin.Service("io-contract")
        if descriptor.input_kwargs:

            def echo(**parts: Any) -> Any:
                return parts
        else:

            def echo(value: Any) -> Any:
                return value

        svc.api(input=descriptor, output=descriptor, name="echo")(echo)
        return svc, build_app(svc)

    # -- the protocol --------------------------------------------------------------------------

    def test_implements_the_protocol(self) -> None:
        from tiffin.hookspecs import IODescriptorProtocol
        from tiffin.io import IODescriptor

        descriptor = self.descriptor()
        name = self._name()
        assert isinstance(descriptor, IODescriptor), (
            f"{name} must subclass tiffin.io.IODescriptor (it provides from_http, to_http, the "
            f"CLI and OpenAPI pieces on top of your decode/encode)"
        )
        assert isinstance(descriptor, IODescriptorProtocol), (
            f"{name} must implement decode, encode, openapi_schema and to_spec "
            f"(see tiffin.hookspecs.IODescriptorProtocol)"
        )
        media_types = descriptor.media_types
        assert isinstance(media_types, tuple) and media_types, (
            f"{name}.media_types must be a non-empty tuple of media types, the first the default"
        )
        assert all(isinstance(m, str) and "/" in m for m in media_types), (
            f"{name}.media_types must hold media types like 'application/json', got {media_types}"
        )
        samples = self.samples()
        assert samples, "samples() must return at least one value"

    def test_encode_then_decode_gives_the_value_back(self) -> None:
        descriptor = self.descriptor()
        for i, sample in enumerate(self.samples()):
            body, media_type, _ = self._encoded(descriptor, sample)
            assert descriptor.accepts(media_type), (
                f"{self._name()}.encode answered with {media_type!r}, which its own accepts() "
                f"refuses; add it to media_types (the client sends what encode writes)"
            )
            got = descriptor.decode(body, media_type, None)
            self.compare(
                got,
                sample,
                f"{self._name()}.decode(encode(samples()[{i}])) must equal the sample; fix decode "
                f"or encode so they are inverses",
            )

    def test_spec_round_trip_rebuilds_an_equal_descriptor(self) -> None:
        import tiffin.io

        descriptor = self.descriptor()
        name = self._name()
        spec = descriptor.to_spec()
        try:
            text = json.dumps(spec)
        except TypeError as exc:
            pytest.fail(
                f"{name}.to_spec() must be JSON-able (it is published in /docs.json): {exc}"
            )
        assert spec.get("type") == name, (
            f"{name}.to_spec()['type'] must be the class name {name!r} (how tiffin.io.from_spec "
            f"and the client find the class), got {spec.get('type')!r}"
        )
        try:
            rebuilt = tiffin.io.from_spec(json.loads(text))
        except Exception as exc:
            pytest.fail(
                f"tiffin.io.from_spec({name}.to_spec()) failed: {exc}. Register the class with the "
                f"register_io_descriptors hook, and make from_spec accept what to_spec writes"
            )
        assert type(rebuilt) is type(descriptor) and rebuilt.to_spec() == spec, (
            f"from_spec(to_spec()) must rebuild an equal {name}: got {rebuilt.to_spec()}"
        )
        for i, sample in enumerate(self.samples()):
            body, media_type, _ = self._encoded(descriptor, sample)
            self.compare(
                rebuilt.decode(body, media_type, None),
                sample,
                f"a {name} rebuilt from its spec (as the client does) must read samples()[{i}] "
                f"back; put every argument that changes the wire format into to_spec()['args']",
            )

    def test_openapi_document_validates(self) -> None:
        openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
        from tiffin._server._openapi import openapi_document

        descriptor = self.descriptor()
        descriptor.set_example(self.samples()[0])
        schema = descriptor.openapi_schema()
        assert isinstance(schema, dict), f"{self._name()}.openapi_schema() must return a dict"
        svc, _ = self._app(descriptor)
        doc = json.loads(json.dumps(openapi_document(svc), default=str))
        try:
            openapi_spec_validator.validate(doc)
        except Exception as exc:
            pytest.fail(
                f"/docs.json with a {self._name()} API is not valid OpenAPI 3.0: {exc}. "
                f"openapi_schema() must use OpenAPI 3.0's dialect (nullable, no $defs or const), "
                f"and the example must be JSON-able (override _openapi_example)"
            )

    def test_bad_input_is_a_400(self) -> None:
        from tiffin.exceptions import BadInput

        descriptor = self.descriptor()
        for body, media_type in self.bad_bodies():
            with pytest.raises(BadInput) as info:
                descriptor.decode(body, media_type, None)
            assert 400 <= info.value.status_code < 500 and str(info.value), (
                f"{self._name()}.decode({body[:40]!r}) must raise BadInput with a message "
                f"saying what was wrong"
            )

    def test_served_round_trip_and_bad_input(self) -> None:
        from tiffin.testing.asgi import ASGIClient

        descriptor = self.descriptor()
        _, app = self._app(descriptor)
        with ASGIClient(app) as client:
            for i, sample in enumerate(self.samples()):
                body, _, full_type = self._encoded(descriptor, sample)
                response = client.post("/echo", content=body, headers={"content-type": full_type})
                assert response.status_code == 200, (
                    f"an API taking and returning {self._name()} answered "
                    f"{response.status_code} to samples()[{i}]: {response.text[:300]}"
                )
                from tiffin.io._base import media_type_of

                answer = media_type_of(response.headers.get("content-type"))
                self.compare(
                    descriptor.decode(response.content, answer, None),
                    sample,
                    f"served samples()[{i}] came back different: from_http/to_http must agree "
                    f"with decode/encode",
                )
            for body, media_type in self.bad_bodies():
                headers = {"content-type": media_type} if media_type else {}
                response = client.post("/echo", content=body, headers=headers)
                assert 400 <= response.status_code < 500 and response.json().get("error"), (
                    f"a bad {self._name()} body {body[:40]!r} must be a 4xx with a JSON error; "
                    f"raise tiffin.exceptions.BadInput in decode (got {response.status_code})"
                )

    def test_tensors_round_trip_when_supported(self) -> None:
        from tiffin.hookspecs import SupportsTensors
        from tiffin.io import Tensor, TensorSpec
        from tiffin.io._tensors import DATATYPES

        descriptor = self.descriptor()
        methods = ("tensor_specs", "from_tensors", "to_tensors")
        present = [m for m in methods if callable(getattr(descriptor, m, None))]
        if not present:
            not_applicable(f"{self._name()} has no tensor capability (optional)")
        assert len(present) == 3, (
            f"{self._name()} has {', '.join(present)} but not all of {', '.join(methods)}: the "
            f"tensor capability needs all three"
        )
        assert isinstance(descriptor, SupportsTensors)
        for role in ("input", "output"):
            for spec in descriptor.tensor_specs(role):
                assert isinstance(spec, TensorSpec) and spec.datatype in DATATYPES, (
                    f"{self._name()}.tensor_specs({role!r}) must return TensorSpec with a V2 "
                    f"datatype ({', '.join(DATATYPES)}), got {spec!r}"
                )
        for i, sample in enumerate(self.samples()):
            tensors = descriptor.to_tensors(sample, "output")
            assert tensors and all(isinstance(t, Tensor) for t in tensors), (
                f"{self._name()}.to_tensors must return a list of tiffin.io.Tensor"
            )
            for t in tensors:
                assert tuple(t.data.shape) == tuple(t.shape) and t.datatype in DATATYPES, (
                    f"tensor {t.name!r}: data shape {t.data.shape} must equal shape {t.shape}, "
                    f"datatype one of {', '.join(DATATYPES)}"
                )
            self.compare(
                descriptor.from_tensors(tensors),
                sample,
                f"from_tensors(to_tensors(samples()[{i}])) must equal the sample",
            )
