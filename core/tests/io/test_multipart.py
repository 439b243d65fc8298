from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from tiffin.exceptions import BadInput, InvalidArgument, TiffinError
from tiffin.io import JSON, File, Image, Multipart, NumpyNdarray, Text


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (2, 2)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_parts_as_fields_or_files_reach_the_function_as_kwargs(serve_io):
    seen = {}

    def func(arr, note, meta):
        seen.update(arr=arr, note=note, meta=meta)
        return {"arr": arr * 2, "note": note.upper()}

    d = Multipart(arr=NumpyNdarray(), note=Text(), meta=JSON())
    out = Multipart(arr=NumpyNdarray(), note=Text())
    client = serve_io(d, out, func=func)
    # every part a plain field
    r = client.post(
        "/", data={"arr": "[1, 2]", "note": "hi", "meta": '{"k": 1}'}, files={"x": ("x", b"")}
    )
    assert r.status_code == 200, r.text
    assert seen["arr"].tolist() == [1, 2] and seen["note"] == "hi" and seen["meta"] == {"k": 1}
    assert r.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="arr"' in r.content and b"[2,4]" in r.content and b"HI" in r.content
    # every part a file
    files = {
        "arr": ("arr.json", b"[[3]]", "application/json"),
        "note": ("note.txt", b"yo", "text/plain"),
        "meta": ("meta.json", b"[1]", "application/octet-stream"),
    }
    r = client.post("/", files=files)
    assert r.status_code == 200, r.text
    assert seen["arr"].tolist() == [[3]] and seen["note"] == "yo" and seen["meta"] == [1]


def test_response_is_a_multipart_body_starlette_parses_back():
    import asyncio

    from starlette.requests import Request

    d = Multipart(arr=NumpyNdarray(), note=Text())
    response = asyncio.run(d.to_http({"arr": np.array([1.5]), "note": "x"}))
    assert response.body == d.to_cli({"arr": np.array([1.5]), "note": "x"})

    async def receive():
        return {"type": "http.request", "body": response.body, "more_body": False}

    headers = [(b"content-type", response.headers["content-type"].encode())]
    request = Request({"type": "http", "method": "POST", "headers": headers}, receive)
    assert asyncio.run(d.from_http(request))["arr"].tolist() == [1.5]
    request = Request({"type": "http", "method": "POST", "headers": headers}, receive)
    assert asyncio.run(d.from_http(request))["note"] == "x"


def test_image_and_file_parts(serve_io):
    seen = {}

    def func(image, blob):
        seen.update(image=image, blob=blob.read(), name=blob.name)
        return {"image": image, "blob": b"ok"}

    d = Multipart(image=Image(), blob=File())
    r = serve_io(d, func=func).post(
        "/",
        files={
            "image": ("a.png", png_bytes(), "image/png"),
            "blob": ("b.bin", b"\x00\x01", "application/x-foo"),
        },
    )
    assert r.status_code == 200, r.text
    assert seen["image"].size == (2, 2) and seen["blob"] == b"\x00\x01" and seen["name"] == "b.bin"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"data": {"note": "hi"}, "files": {"z": ("z", b"")}}, "lacks the part(s) 'arr'"),
        (
            {"data": {"arr": '{"a": 1}', "note": "hi"}, "files": {"z": ("z", b"")}},
            "part 'arr': NumpyNdarray input must be",
        ),
        (
            {"files": {"arr": ("a", b"[1]", "image/png"), "note": ("n", b"x", "text/plain")}},
            "part 'arr' has Content-Type 'image/png'",
        ),
        (
            {"content": b"[1]", "headers": {"content-type": "application/json"}},
            "multipart/form-data",
        ),
        (
            {"content": b"garbage", "headers": {"content-type": "multipart/form-data"}},
            "not a valid multipart/form-data body",
        ),
    ],
)
def test_bad_multipart_inputs_name_the_part(serve_io, kwargs, fragment):
    called = []
    client = serve_io(
        Multipart(arr=NumpyNdarray(), note=Text()), func=lambda **kw: called.append(kw)
    )
    r = client.post("/", **kwargs)
    assert r.status_code in (400, 415) and fragment in r.json()["error"], r.text
    assert called == []


def test_cli_input_is_a_json_object_of_parts(tmp_path):
    image = tmp_path / "cat.png"
    image.write_bytes(png_bytes())
    d = Multipart(arr=NumpyNdarray(), note=Text(), image=Image())
    values = d.from_cli(
        b'{"arr": [1, 2], "note": "hello", "image": "@%s"}' % str(image).encode(), None
    )
    assert (
        values["arr"].tolist() == [1, 2]
        and values["note"] == "hello"
        and values["image"].size == (2, 2)
    )
    with pytest.raises(BadInput, match="lacks the part"):
        d.from_cli(b'{"arr": [1]}', None)
    with pytest.raises(BadInput, match="part 'image': cannot read"):
        d.from_cli(b'{"arr": [1], "note": "x", "image": "@/nonexistent.png"}', None)


def test_construction_and_output_mistakes():
    with pytest.raises(InvalidArgument, match="IO descriptor instance"):
        Multipart(a=NumpyNdarray)
    with pytest.raises(InvalidArgument, match="at least one part"):
        Multipart()
    d = Multipart(a=Text())
    assert d.input_kwargs is True
    with pytest.raises(TiffinError, match="lacks a"):
        d.to_cli({})
    spec = Multipart(a=Text(), b=NumpyNdarray(dtype="float32")).to_spec()
    assert spec["args"]["b"]["args"]["dtype"] == "<f4"
    assert Multipart.from_spec(spec).to_spec() == spec
