"""``curl --data`` without ``-H content-type: application/json`` sends
``application/x-www-form-urlencoded``: JSON-first descriptors read such a body as JSON (as
BentoML does); other mismatching types stay a 415."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from tiffin.io import JSON, Multipart, NumpyNdarray, PandasDataFrame, PandasSeries, Text

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("descriptor", "body", "expected"),
    [
        (NumpyNdarray(), b"[[5.9, 3, 5.1, 1.8]]", [[5.9, 3.0, 5.1, 1.8]]),
        (JSON(), b'{"a": [1, 2]}', {"a": [1, 2]}),
        (PandasDataFrame(), b'[{"a": 1, "b": 2}]', [{"a": 1, "b": 2}]),
        (PandasSeries(), b"[1, 2, 3]", [1, 2, 3]),
    ],
)
def test_form_urlencoded_body_is_read_as_json(serve_io, descriptor, body, expected):
    r = serve_io(descriptor).post("/", content=body, headers=FORM)
    assert r.status_code == 200, r.text
    assert r.json() == expected


def test_form_urlencoded_with_a_charset_is_read_as_json_too(serve_io):
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    r = serve_io(NumpyNdarray()).post("/", content=b"[1, 2]", headers=headers)
    assert r.status_code == 200 and r.json() == [1, 2]


def test_form_urlencoded_body_that_is_not_json_is_a_400_not_a_415(serve_io):
    r = serve_io(NumpyNdarray()).post("/", content=b"x=1&y=2", headers=FORM)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


def test_csv_first_dataframe_reads_a_form_body_as_csv(serve_io):
    r = serve_io(PandasDataFrame(default_format="csv")).post(
        "/", content=b"a,b\n1,2\n", headers=FORM
    )
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == ["a,b", "1,2"]


@pytest.mark.parametrize(
    ("descriptor", "content_type"),
    [
        (NumpyNdarray(), "text/plain"),
        (NumpyNdarray(), "application/xml"),
        (JSON(), "text/csv"),
        (PandasDataFrame(), "application/x-npy"),
    ],
)
def test_other_mismatching_types_stay_415(serve_io, descriptor, content_type):
    r = serve_io(descriptor).post("/", content=b"[1]", headers={"content-type": content_type})
    assert r.status_code == 415, r.text
    assert "application/json" in r.json()["error"]


@pytest.mark.parametrize("descriptor", [Text(), Multipart(x=NumpyNdarray())])
def test_descriptors_that_are_not_json_first_still_refuse_a_form(serve_io, descriptor):
    r = serve_io(descriptor).post("/", content=b"[1]", headers=FORM)
    assert r.status_code == 415, r.text


SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

svc = tiffin.Service("form-demo")


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def double(x):
    return x * 2
"""


def test_a_real_server_answers_curls_default_content_type(tmp_path: Path, serve) -> None:
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = serve("service.py:svc", cwd=tmp_path)
    # exactly what `curl --data "[[1, 2.5]]" URL` sends
    r = httpx.post(f"{server.url}/double", content=b"[[1, 2.5]]", headers=FORM, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == [[2.0, 5.0]]
    r = httpx.post(f"{server.url}/double", content=b"[1]", headers={"content-type": "text/html"})
    assert r.status_code == 415
