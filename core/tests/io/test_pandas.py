from __future__ import annotations

import pandas as pd
import pytest

from tiffin.exceptions import TiffinError
from tiffin.io import PandasDataFrame, PandasSeries

ROWS = [{"a": 1, "b": 2.5}, {"a": 3, "b": 4.5}]


def test_records_round_trip(serve_io):
    seen = {}
    client = serve_io(PandasDataFrame(), func=lambda df: seen.setdefault("df", df))
    r = client.post("/", json=ROWS)
    assert r.status_code == 200 and r.json() == ROWS
    assert list(seen["df"].columns) == ["a", "b"] and len(seen["df"]) == 2


@pytest.mark.parametrize(
    ("orient", "payload"),
    [
        ("split", {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 2.5], [3, 4.5]]}),
        ("values", [[1, 2.5], [3, 4.5]]),
        ("columns", {"a": {"0": 1, "1": 3}, "b": {"0": 2.5, "1": 4.5}}),
        ("index", {"0": {"a": 1, "b": 2.5}, "1": {"a": 3, "b": 4.5}}),
    ],
)
def test_orients(serve_io, orient, payload):
    seen = {}
    d = PandasDataFrame(orient=orient, columns=["a", "b"] if orient == "values" else None)
    r = serve_io(d, func=lambda df: seen.setdefault("df", df)).post("/", json=payload)
    assert r.status_code == 200, r.text
    assert seen["df"]["a"].tolist() == [1, 3] and seen["df"]["b"].tolist() == [2.5, 4.5]


def test_csv_in_and_out(serve_io):
    client = serve_io(
        PandasDataFrame(), PandasDataFrame(default_format="csv"), func=lambda df: df * 2
    )
    r = client.post("/", content=b"a,b\n1,2\n3,4\n", headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines() == ["a,b", "2,4", "6,8"]


@pytest.mark.parametrize(
    ("descriptor", "body", "fragment"),
    [
        (PandasDataFrame(), b'{"a": 1}', "a list of row objects"),
        (PandasDataFrame(), b"[1, 2]", "a list of row objects"),
        (PandasDataFrame(orient="split"), b'{"columns": ["a"]}', "'data'"),
        (PandasDataFrame(columns=["a", "c"]), b'[{"a": 1}]', "lacks column(s) 'c'"),
        (
            PandasDataFrame(dtype={"a": "int64"}, enforce_dtype=True),
            b'[{"a": "x"}]',
            "cannot take dtype",
        ),
        (PandasDataFrame(shape=(-1, 3), enforce_shape=True), b'[{"a": 1}]', "expected (-1, 3)"),
        (PandasDataFrame(), b"[{", "not valid JSON"),
    ],
)
def test_bad_frames(serve_io, descriptor, body, fragment):
    r = serve_io(descriptor).post("/", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and fragment in r.json()["error"]


def test_wrong_content_type_and_output(serve_io):
    d = PandasDataFrame()
    r = serve_io(d).post("/", content=b"x", headers={"content-type": "image/png"})
    assert r.status_code == 415 and "application/json, text/csv" in r.json()["error"]
    with pytest.raises(TiffinError, match=r"expects a pandas\.DataFrame"):
        d.to_cli([1, 2])


def test_cli_csv_file_and_from_sample():
    d = PandasDataFrame.from_sample(pd.DataFrame(ROWS))
    df = d.from_cli(b"a,b\n1,2.5\n", "in.csv")
    assert df.to_dict(orient="records") == [{"a": 1, "b": 2.5}]
    assert d.to_cli(pd.DataFrame(ROWS)) == b'[{"a":1,"b":2.5},{"a":3,"b":4.5}]'
    content = d.openapi_request_body()["content"]
    assert content["application/json"]["example"] == ROWS
    assert content["text/csv"]["example"].splitlines()[0] == "a,b"
    assert d.to_spec()["args"]["columns"] == ["a", "b"]
    assert PandasDataFrame.from_spec(d.to_spec()).to_spec() == d.to_spec()


def test_series(serve_io):
    seen = {}
    r = serve_io(PandasSeries(dtype="float64"), func=lambda s: seen.setdefault("s", s) * 2).post(
        "/", json=[1, 2]
    )
    assert r.status_code == 200 and r.json() == [2.0, 4.0] and seen["s"].dtype == "float64"
    r = serve_io(PandasSeries()).post("/", json={"a": 1})
    assert r.status_code == 400 and "must be a JSON list" in r.json()["error"]


def test_pandas_missing_names_pip_install(monkeypatch):
    import sys

    from tiffin.io._optional import MissingDependency

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependency, match="pip install pandas"):
        PandasDataFrame()
