from __future__ import annotations

import dataclasses

import attrs
import numpy as np
import pydantic
import pytest

from tiffin.exceptions import BadInput, TiffinError
from tiffin.io import JSON, Text

JSON_HEADERS = {"content-type": "application/json"}


class IrisFeatures(pydantic.BaseModel):
    sepal_len: float
    sepal_width: float
    petal_len: float = 0.0


@attrs.frozen
class Point:
    x: int
    y: int
    label: str | None = None


@dataclasses.dataclass
class Box:
    width: float
    tags: list[str] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("value", [{"a": [1, 2, {"b": None}]}, [1, "x"], 3.5, "text", None, True])
def test_any_json_value_round_trips(serve_io, value):
    import orjson

    r = serve_io(JSON()).post("/", content=orjson.dumps(value), headers=JSON_HEADERS)
    assert r.status_code == 200 and r.json() == value


def test_pydantic_model_validates_and_names_the_field(serve_io):
    seen = {}
    client = serve_io(
        JSON(pydantic_model=IrisFeatures), JSON(), func=lambda m: seen.setdefault("m", m)
    )
    r = client.post("/", json={"sepal_len": 5.1, "sepal_width": 3.5})
    assert r.status_code == 200
    assert isinstance(seen["m"], IrisFeatures) and seen["m"].sepal_len == 5.1
    assert r.json() == {"sepal_len": 5.1, "sepal_width": 3.5, "petal_len": 0.0}
    r = client.post("/", json={"sepal_len": "long"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert "sepal_len" in error and "sepal_width" in error and "IrisFeatures" in error


def test_attrs_class_is_structured_and_errors_name_the_field(serve_io):
    seen = {}
    client = serve_io(JSON(pydantic_model=Point), JSON(), func=lambda p: seen.setdefault("p", p))
    r = client.post("/", json={"x": 1, "y": 2})
    assert r.status_code == 200 and seen["p"] == Point(1, 2)
    assert r.json() == {"x": 1, "y": 2, "label": None}
    r = client.post("/", json={"x": "one", "y": 2})
    assert r.status_code == 400 and "x" in r.json()["error"] and "Point" in r.json()["error"]
    r = client.post("/", json={"x": 1})
    assert r.status_code == 400 and "y" in r.json()["error"]
    r = client.post("/", json=[1, 2])
    assert r.status_code == 400 and "must be an object" in r.json()["error"]


def test_dataclass_model(serve_io):
    seen = {}
    client = serve_io(JSON(pydantic_model=Box), func=lambda b: seen.setdefault("b", b))
    r = client.post("/", json={"width": 2.5, "tags": ["a"]})
    assert (
        r.status_code == 200
        and seen["b"] == Box(2.5, ["a"])
        and r.json() == {"width": 2.5, "tags": ["a"]}
    )


def test_output_encodes_numpy_models_attrs_and_dataclasses():
    d = JSON()
    value = {
        "arr": np.arange(3),
        "scalar": np.float32(1.5),
        "model": IrisFeatures(sepal_len=1, sepal_width=2),
        "point": Point(1, 2, "a"),
        "box": Box(1.0),
        "tuple": (1, 2),
        "t": np.arange(4).reshape(2, 2).T,
    }
    import orjson

    assert orjson.loads(d.to_cli(value)) == {
        "arr": [0, 1, 2],
        "scalar": 1.5,
        "model": {"sepal_len": 1.0, "sepal_width": 2.0, "petal_len": 0.0},
        "point": {"x": 1, "y": 2, "label": "a"},
        "box": {"width": 1.0, "tags": []},
        "tuple": [1, 2],
        "t": [[0, 2], [1, 3]],
    }


def test_unencodable_output_is_a_clear_500():
    with pytest.raises(TiffinError, match="JSON-encodable") as info:
        JSON().to_cli({"f": object()})
    assert info.value.status_code == 500


def test_bad_json_and_wrong_content_type(serve_io):
    client = serve_io(JSON())
    r = client.post("/", content=b"{nope", headers=JSON_HEADERS)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    r = client.post("/", content=b"{}", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["error"]


def test_json_cli_and_from_sample():
    d = JSON.from_sample(IrisFeatures(sepal_len=1, sepal_width=2))
    assert d.from_cli(b'{"sepal_len": 1, "sepal_width": 2}', None) == IrisFeatures(
        sepal_len=1, sepal_width=2
    )
    with pytest.raises(BadInput, match="sepal_width"):
        d.from_cli(b'{"sepal_len": 1}', None)
    media = d.openapi_request_body()["content"]["application/json"]
    assert media["example"] == {"sepal_len": 1.0, "sepal_width": 2.0, "petal_len": 0.0}
    assert set(media["schema"]["properties"]) == {"sepal_len", "sepal_width", "petal_len"}
    assert JSON.from_spec(d.to_spec())._model is IrisFeatures
    assert JSON().to_cli({"a": 1}) == b'{"a":1}'


def test_text_round_trip_and_invalid_utf8(serve_io):
    client = serve_io(Text(), func=str.upper)
    r = client.post(
        "/", content="héllo".encode(), headers={"content-type": "text/plain; charset=utf-8"}
    )
    assert (
        r.status_code == 200
        and r.text == "HÉLLO"
        and r.headers["content-type"].startswith("text/plain")
    )
    r = client.post("/", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert r.status_code == 400 and "not valid UTF-8" in r.json()["error"]
    r = client.post("/", content=b"x", headers={"content-type": "application/json"})
    assert r.status_code == 415 and "text/plain" in r.json()["error"]


def test_text_cli_and_wrong_output():
    d = Text.from_sample("hello")
    assert d.from_cli("héllo".encode(), None) == "héllo"
    assert d.to_cli("ok") == b"ok"
    assert d.openapi_request_body()["content"]["text/plain"]["example"] == "hello"
    with pytest.raises(TiffinError, match="expects a str"):
        d.to_cli(b"bytes")
