"""Every descriptor's OpenAPI pieces, assembled into one document, validate as OpenAPI 3.0."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
import pydantic
import pytest
from openapi_spec_validator import validate

from tiffin.io import (
    JSON,
    File,
    Image,
    Multipart,
    NumpyNdarray,
    PandasDataFrame,
    PandasSeries,
    Text,
)


class Inner(pydantic.BaseModel):
    v: int = pydantic.Field(gt=0)


class Order(pydantic.BaseModel):
    name: str | None = None
    items: list[Inner]
    kind: str = "a"


@attrs.frozen
class Point:
    x: int
    tags: list[str]
    parent: Point | None = None


DESCRIPTORS = {
    "numpy": NumpyNdarray(),
    "numpy_sample": NumpyNdarray.from_sample(
        np.zeros((1, 4), dtype=np.float32), enforce_shape=True
    ),
    "numpy_int": NumpyNdarray(dtype="int64", shape=(-1,), enforce_shape=True),
    "frame": PandasDataFrame.from_sample(pd.DataFrame([{"a": 1, "b": "x"}])),
    "frame_split": PandasDataFrame(orient="split"),
    "frame_csv": PandasDataFrame(default_format="csv"),
    "series": PandasSeries.from_sample(pd.Series([1.0, 2.0])),
    "json": JSON.from_sample({"any": [1, 2]}),
    "pydantic": JSON.from_sample(Order(items=[Inner(v=1)])),
    "attrs": JSON(pydantic_model=Point),
    "text": Text.from_sample("hi"),
    "file": File(mime_type="application/pdf"),
    "image": Image(),
    "multipart": Multipart.from_sample(
        {"arr": np.array([1.0]), "note": "x"}, arr=NumpyNdarray(), note=Text(), image=Image()
    ),
    "multipart_examples": Multipart.from_sample(
        {"arr": np.array([1.0]), "note": "x"}, arr=NumpyNdarray(), note=Text()
    ),
}


def document(descriptors: dict) -> dict:
    paths = {}
    for name, d in descriptors.items():
        paths[f"/{name}"] = {
            "post": {
                "operationId": name,
                "requestBody": d.openapi_request_body(),
                "responses": {"200": {"description": "OK", "content": d.openapi_responses()}},
            }
        }
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths}


def test_all_descriptors_make_a_valid_openapi_30_document():
    validate(document(DESCRIPTORS))


@pytest.mark.parametrize("name", sorted(DESCRIPTORS))
def test_each_descriptor_alone_is_valid(name):
    validate(document({name: DESCRIPTORS[name]}))


def test_pydantic_schema_is_inlined_and_nullable():
    schema = DESCRIPTORS["pydantic"].openapi_schema()
    assert "$defs" not in str(schema) and "$ref" not in str(schema)
    assert schema["properties"]["name"]["nullable"] is True
    assert schema["properties"]["items"]["items"]["properties"]["v"]["type"] == "integer"
    example = DESCRIPTORS["pydantic"].openapi_request_body()["content"]["application/json"][
        "example"
    ]
    assert example == {"name": None, "items": [{"v": 1}], "kind": "a"}


def test_attrs_schema_from_field_types():
    schema = DESCRIPTORS["attrs"].openapi_schema()
    assert schema["required"] == ["x", "tags"]
    assert schema["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert schema["properties"]["parent"] == {"type": "object", "nullable": True}


def test_examples_appear_where_samples_were_given():
    content = DESCRIPTORS["numpy_sample"].openapi_request_body()["content"]
    assert content["application/json"]["example"] == [[0.0, 0.0, 0.0, 0.0]]
    assert set(content) == {
        "application/json",
        "application/x-npy",
        "application/octet-stream",
        "text/csv",
    }
    assert DESCRIPTORS["multipart_examples"].openapi_request_body()["content"][
        "multipart/form-data"
    ]["example"] == {
        "arr": [1.0],
        "note": "x",
    }
    assert (
        "example" not in DESCRIPTORS["numpy"].openapi_request_body()["content"]["application/json"]
    )
