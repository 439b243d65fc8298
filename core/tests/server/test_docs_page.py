"""``/docs`` is Swagger UI served by the server itself (no CDN), on ``/docs.json``, whose
request bodies carry examples built from the IO descriptors."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import BaseModel

import tiffin
from tiffin._server._app import build_app
from tiffin._server._openapi import example_of, openapi_document
from tiffin.io import JSON, NumpyNdarray, Text
from tiffin.testing.asgi import ASGIClient


class Flower(BaseModel):
    sepal_length: float
    count: int
    name: str


@pytest.fixture
def svc():
    svc = tiffin.Service("docs_demo")

    @svc.api(
        input=NumpyNdarray(dtype=np.float32, shape=(-1, 4), enforce_shape=True),
        output=NumpyNdarray(),
    )
    def classify(x):
        return x.sum(axis=1)

    @svc.api(input=JSON(pydantic_model=Flower), output=JSON())
    def flower(f):
        return f.model_dump()

    @svc.api(input=NumpyNdarray.from_sample(np.array([[1.0, 2.0]])), output=NumpyNdarray())
    def sampled(x):
        return x

    @svc.api(input=Text(), output=Text())
    def shout(t):
        return t.upper()

    return svc


def test_docs_is_swagger_ui_from_this_server(svc) -> None:
    with ASGIClient(build_app(svc)) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "<title>docs_demo · tiffin</title>" in page.text
        assert "http://" not in page.text and "https://" not in page.text  # no CDN
        for name, kind in [
            ("swagger-ui-bundle.js", "application/javascript"),
            ("swagger-ui.css", "text/css"),
            ("tiffin-docs.js", "application/javascript"),
        ]:
            assert f"/docs/static/{name}" in page.text
            response = client.get(f"/docs/static/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-type"].startswith(kind)
        assert b"SwaggerUIBundle" in client.get("/docs/static/swagger-ui-bundle.js").content
        assert 'url: "/docs.json"' in client.get("/docs/static/tiffin-docs.js").text
        missing = client.get("/docs/static/../../etc/passwd")
        assert missing.status_code == 404
        assert client.get("/docs/static/index.html").json()["kind"] == "not_found"


def test_request_bodies_carry_examples_built_from_the_descriptors(svc) -> None:
    paths = openapi_document(svc)["paths"]

    def example(route: str) -> object:
        content = paths[route]["post"]["requestBody"]["content"]
        return content["application/json"].get("example")

    assert example("/classify") == [[0.0, 0.0, 0.0, 0.0]]
    assert example("/flower") == {"sepal_length": 0.0, "count": 0, "name": "string"}
    assert example("/sampled") == [[1.0, 2.0]]  # a sample given by the user wins


@pytest.mark.parametrize(
    ("schema", "example"),
    [
        ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [0, 0]),
        ({"anyOf": [{"type": "array", "items": {}}, {"type": "number"}]}, 0.0),
        ({"type": "string", "enum": ["a", "b"]}, "a"),
        (
            {"type": "object", "properties": {"x": {"type": "boolean", "default": True}}},
            {"x": True},
        ),
    ],
)
def test_example_of_a_schema(schema, example) -> None:
    assert example_of(schema) == example
