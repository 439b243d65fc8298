from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from tiffin.exceptions import BadInput, TiffinError
from tiffin.io import File, Image


def png_bytes(size=(4, 3), mode="RGB", color=(255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_file_raw_body(serve_io):
    seen = {}

    def func(f):
        seen["f"] = f
        return f.read()[::-1]

    client = serve_io(File(), File(mime_type="application/pdf"), func=func)
    r = client.post("/", content=b"abc\x00", headers={"content-type": "application/octet-stream"})
    assert r.status_code == 200 and r.content == b"\x00cba"
    assert r.headers["content-type"] == "application/pdf"
    assert seen["f"].name is None


def test_file_as_multipart_keeps_its_name(serve_io):
    seen = {}

    def func(f):
        seen["name"], seen["type"] = f.name, f.content_type
        return f

    client = serve_io(File(), func=func)
    r = client.post("/", files={"file": ("report.csv", b"a,b\n1,2\n", "text/csv")})
    assert r.status_code == 200 and r.content == b"a,b\n1,2\n"
    assert seen == {"name": "report.csv", "type": "text/csv"}


def test_file_multipart_without_a_file_is_400(serve_io):
    r = serve_io(File()).post("/", data={"field": "x"}, files={})
    # a form without files: httpx sends urlencoded here, which File takes as raw bytes
    assert r.status_code == 200
    r = serve_io(File()).post(
        "/",
        content=b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--x--\r\n',
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code == 400 and "holds no file part" in r.json()["error"]


def test_file_wrong_output_and_cli():
    d = File()
    f = d.from_cli(b"data", "notes.txt")
    assert f.read() == b"data" and f.name == "notes.txt" and f.content_type == "text/plain"
    assert d.to_cli(io.BytesIO(b"xyz")) == b"xyz"
    with pytest.raises(TiffinError, match="bytes or a binary file-like object"):
        d.to_cli("/etc/passwd")


def test_image_png_in_jpeg_out(serve_io):
    seen = {}

    def func(img):
        seen["img"] = img
        return img.rotate(90, expand=True)

    client = serve_io(Image(), func=func)
    r = client.post("/", content=png_bytes(), headers={"content-type": "image/png"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert seen["img"].mode == "RGB" and seen["img"].size == (4, 3)
    out = PILImage.open(io.BytesIO(r.content))
    assert out.format == "JPEG" and out.size == (3, 4)


def test_image_as_multipart_file_and_mode_conversion(serve_io):
    seen = {}
    client = serve_io(
        Image(pil_mode="L", mime_type="image/png"), func=lambda i: seen.setdefault("i", i)
    )
    r = client.post("/", files={"image": ("cat.png", png_bytes(), "image/png")})
    assert r.status_code == 200 and seen["i"].mode == "L"
    assert PILImage.open(io.BytesIO(r.content)).format == "PNG"


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        (b"not an image", "image/png", "not a readable image"),
        (b"", "image/png", "is empty"),
        (png_bytes(), "application/json", "image/jpeg"),
    ],
)
def test_image_bad_input(serve_io, body, content_type, fragment):
    r = serve_io(Image()).post("/", content=body, headers={"content-type": content_type})
    assert r.status_code in (400, 415) and fragment in r.json()["error"]


def test_image_disallowed_format_and_bomb(serve_io):
    r = serve_io(Image(allowed_mime_types=["image/jpeg"])).post(
        "/", content=png_bytes(), headers={"content-type": "application/octet-stream"}
    )
    assert r.status_code == 400 and "image/png" in r.json()["error"]
    r = serve_io(Image(max_pixels=100)).post(
        "/", content=png_bytes((20, 20)), headers={"content-type": "image/png"}
    )
    assert r.status_code == 400 and "20x20 pixels, more than the 100 allowed" in r.json()["error"]


def test_image_pillow_bomb_limit_is_400(monkeypatch):
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 50)
    with pytest.raises(BadInput, match="too large to decode safely"):
        Image().from_cli(png_bytes((10, 10)), "a.png")


def test_image_outputs_numpy_arrays_and_refuses_others():
    d = Image(mime_type="image/png")
    body = d.to_cli(np.zeros((2, 5, 3), dtype=np.uint8))
    assert PILImage.open(io.BytesIO(body)).size == (5, 2)
    with pytest.raises(TiffinError, match=r"PIL.Image.Image or a numpy array"):
        d.to_cli(b"raw")
    sample = PILImage.open(io.BytesIO(png_bytes()))
    assert Image.from_sample(sample).to_spec()["args"]["mime_type"] == "image/png"


def test_image_pilmode_and_pil_mode_are_one_option():
    from tiffin.exceptions import InvalidArgument

    assert Image(pilmode="L").to_spec()["args"]["pil_mode"] == "L"
    assert Image(pil_mode="L", pilmode="L").to_spec()["args"]["pil_mode"] == "L"
    assert Image(pilmode=None).to_spec()["args"]["pil_mode"] is None
    with pytest.raises(InvalidArgument, match="same option"):
        Image(pil_mode="L", pilmode="RGBA")
