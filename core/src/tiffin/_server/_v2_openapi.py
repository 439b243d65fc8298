"""The Open Inference Protocol (KServe V2) routes as OpenAPI 3.0 path items, for ``/docs.json``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tiffin._server._v2_models import tensor_apis
from tiffin.io._tensors import DATATYPES

if TYPE_CHECKING:
    from tiffin._service import Service

__all__ = ["openapi_paths"]

_TENSOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": list(DATATYPES)},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "parameters": {"type": "object"},
        "data": {"type": "array", "items": {}},
    },
    "required": ["name", "datatype", "shape"],
}
_TENSOR_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
    },
}
_REQUEST = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "parameters": {"type": "object"},
        "inputs": {"type": "array", "items": _TENSOR},
        "outputs": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["inputs"],
}
_RESPONSE = {
    "type": "object",
    "properties": {
        "model_name": {"type": "string"},
        "model_version": {"type": "string"},
        "id": {"type": "string"},
        "outputs": {"type": "array", "items": _TENSOR},
    },
}


def openapi_paths(svc: Service) -> dict[str, Any]:
    """The V2 routes as OpenAPI 3.0 path items (tag ``Open Inference Protocol``)."""
    models = tensor_apis(svc)
    tag = ["Open Inference Protocol"]
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    name = [
        {
            "name": "name",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": list(models) or [""]},
            "description": "The model: an API whose input and output map to tensors.",
        }
    ]

    def get(
        summary: str, schema: dict[str, Any], params: list[Any] | None = None
    ) -> dict[str, Any]:
        op: dict[str, Any] = {
            "summary": summary,
            "tags": tag,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                },
                "404": {"description": "No such model.", **error},
            },
        }
        if params:
            op["parameters"] = params
        return {"get": op}

    obj = {"type": "object"}
    infer = {
        "post": {
            "summary": "Run the model (JSON tensors, or the binary tensor data extension)",
            "description": (
                "With the binary extension, the body is the JSON header followed by the raw "
                "tensors, and the header Inference-Header-Content-Length gives the JSON length."
            ),
            "tags": tag,
            "parameters": name,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _REQUEST},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "responses": {
                "200": {
                    "description": "The output tensors.",
                    "content": {
                        "application/json": {"schema": _RESPONSE},
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                "400": {
                    "description": "The request was not acceptable; the body says why.",
                    **error,
                },
                "404": {"description": "No such model.", **error},
                "500": {"description": "The API raised; the body names an error id.", **error},
            },
        }
    }
    metadata = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "string"}},
            "platform": {"type": "string"},
            "inputs": {"type": "array", "items": _TENSOR_META},
            "outputs": {"type": "array", "items": _TENSOR_META},
        },
    }
    return {
        "/v2": get("Server metadata", obj),
        "/v2/health/live": get("Server liveness", obj),
        "/v2/health/ready": get("Server readiness", obj),
        "/v2/models/{name}": get("Model metadata", metadata, name),
        "/v2/models/{name}/ready": get("Model readiness", obj, name),
        "/v2/models/{name}/infer": infer,
    }
