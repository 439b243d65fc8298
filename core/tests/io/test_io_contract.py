"""Every built-in IO descriptor passes the contract third-party descriptors are held to."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image as PILImage

from tiffin.io import JSON, File, Image, Multipart, NumpyNdarray, PandasDataFrame, Text
from tiffin.testing import IODescriptorContract


class TestNumpyNdarrayContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return NumpyNdarray(dtype="float32", shape=(-1, 2), enforce_shape=True)

    def samples(self) -> list[Any]:
        # not an empty (0, 2) array: JSON writes it as [], which has no second axis
        return [np.array([[1.5, 2.0], [3.0, -4.25]], dtype=np.float32)]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b"[1, 2, 3]", "application/json"), (b"{", "application/json"), (b"x", None)]


class TestNumpyNdarrayIntsContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return NumpyNdarray(dtype="int64")

    def samples(self) -> list[Any]:
        return [np.arange(6, dtype=np.int64).reshape(2, 3)]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b'["a"]', "application/json")]


class TestPandasDataFrameContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return PandasDataFrame(columns=["a", "b"], dtype={"a": "float64", "b": "int64"})

    def samples(self) -> list[Any]:
        return [pd.DataFrame({"a": [1.5, 2.5], "b": [3, 4]})]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b'[{"c": 1}]', "application/json"), (b"nope", "application/json")]


class TestJSONContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return JSON()

    def samples(self) -> list[Any]:
        return [{"a": [1, 2.5, None], "b": "x"}, [1, 2], "text", None]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b"{not json", "application/json")]


class TestTextContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return Text()

    def samples(self) -> list[Any]:
        return ["hello, world", "", "日本語"]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b"\xff\xfe\xfa", "text/plain")]


class TestFileContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return File()

    def samples(self) -> list[Any]:
        return [b"\x00\x01binary", io.BytesIO(b"from a file")]


class TestImageContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return Image(mime_type="image/png")

    def samples(self) -> list[Any]:
        image = PILImage.new("RGB", (3, 2), (10, 20, 30))
        image.putpixel((1, 1), (200, 0, 5))
        return [image]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        return [(b"not an image", "image/png"), (b"", "image/png")]


class TestMultipartContract(IODescriptorContract):
    def descriptor(self) -> Any:
        return Multipart(name=Text(), arr=NumpyNdarray(dtype="float64"))

    def samples(self) -> list[Any]:
        return [{"name": "n", "arr": np.array([1.0, 2.0])}]

    def bad_bodies(self) -> list[tuple[bytes, str | None]]:
        body = b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n'
        return [(body, "multipart/form-data; boundary=b")]
