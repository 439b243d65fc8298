"""The OpenAPI 3 document served at ``/docs.json``, built from the IO descriptors."""

from __future__ import annotations

from typing import Any

from tiffin._service import Service
from tiffin._version import __version__

__all__ = ["openapi_document"]

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "What was wrong, for people."},
        "kind": {"type": "string", "description": "A stable name for the kind of error."},
        "error_id": {
            "type": "string",
            "description": "For a 500: the id to look for in the server log.",
        },
    },
    "required": ["error", "kind"],
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _responses(descriptor: Any) -> dict[str, Any]:
    """The descriptor's responses: a whole map (``{"200": ...}``), one response object, or a content map."""
    got = (
        descriptor.openapi_responses()
        if callable(getattr(descriptor, "openapi_responses", None))
        else None
    )
    if not got:
        return {"200": {"description": "Success"}}
    if all(str(k).isdigit() or str(k) == "default" for k in got):  # a responses map
        return {str(k): v for k, v in got.items()}
    if "content" in got or "description" in got:  # one response object
        return {"200": {"description": "Success", **got}}
    return {"200": {"description": "Success", "content": got}}  # a content map


_UNKNOWN = object()


def example_of(schema: Any, depth: int = 0) -> Any:
    """A value that fits ``schema`` (a JSON schema, OpenAPI 3.0 dialect), for the request body
    example of a descriptor that has none; ``_UNKNOWN`` when the schema does not tell enough."""
    if not isinstance(schema, dict) or depth > 8:
        return _UNKNOWN
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key) or ():
            value = example_of(option, depth + 1)
            if value is not _UNKNOWN:
                return value
    kind = schema.get("type")
    if kind == "array":
        item = example_of(schema.get("items"), depth + 1)
        if item is _UNKNOWN:
            return _UNKNOWN
        return [item] * max(1, int(schema.get("minItems") or 1))
    if kind == "object":
        props = schema.get("properties")
        if not isinstance(props, dict):
            return _UNKNOWN if not schema.get("additionalProperties") else {}
        out = {}
        for name, sub in props.items():
            value = example_of(sub, depth + 1)
            if value is _UNKNOWN:
                return _UNKNOWN
            out[name] = value
        return out
    return {"number": 0.0, "integer": 0, "boolean": False, "string": "string"}.get(
        kind if isinstance(kind, str) else "", _UNKNOWN
    )


def _with_examples(body: dict[str, Any]) -> dict[str, Any]:
    """Each JSON media type without an example gets one built from its schema, so the docs'
    "try it out" starts from a body the descriptor accepts."""
    content = body.get("content")
    if not isinstance(content, dict):
        return body
    for media_type, media in content.items():
        if not isinstance(media, dict) or "example" in media or "examples" in media:
            continue
        if "json" not in media_type:
            continue
        value = example_of(media.get("schema"))
        if value is not _UNKNOWN:
            media["example"] = value
    return body


def _request_body(descriptor: Any) -> dict[str, Any]:
    got = (
        descriptor.openapi_request_body()
        if callable(getattr(descriptor, "openapi_request_body", None))
        else None
    )
    if not got:
        return {"required": True, "content": {"application/octet-stream": {"schema": {}}}}
    if "content" not in got:  # a bare content map
        got = {"content": got}
    return _with_examples({"required": True, **got})


def _descriptor_spec(descriptor: Any) -> Any:
    to_spec = getattr(descriptor, "to_spec", None)
    return to_spec() if callable(to_spec) else None


def openapi_document(svc: Service) -> dict[str, Any]:
    """OpenAPI 3.0 for ``svc``: one ``POST`` per API plus the server's own endpoints."""
    paths: dict[str, Any] = {}
    for api in svc.apis.values():
        responses = _responses(api.output)
        responses.setdefault("400", _error("The input was not acceptable; the body says why."))
        responses.setdefault("500", _error("The API raised; the body names an error id."))
        responses.setdefault("503", _error("The server cannot take the request now; retry later."))
        operation: dict[str, Any] = {
            "operationId": api.name,
            "summary": (api.doc or api.name).strip().splitlines()[0],
            "tags": ["APIs"],
            "requestBody": _request_body(api.input),
            "responses": responses,
            "x-tiffin-io": {
                "input": type(api.input).__name__,
                "output": type(api.output).__name__,
                "input_spec": _descriptor_spec(api.input),
                "output_spec": _descriptor_spec(api.output),
            },
        }
        if api.doc:
            operation["description"] = api.doc
        paths["/" + api.route] = {"post": operation}

    def probe(summary: str, ok: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        responses: dict[str, Any] = {
            "200": {"description": ok, "content": {"text/plain": {"schema": {"type": "string"}}}}
        }
        responses.update(extra or {})
        return {"get": {"summary": summary, "tags": ["Infrastructure"], "responses": responses}}

    paths["/healthz"] = probe("Health probe", "The server is up.")
    paths["/livez"] = probe("Liveness probe", "The server is alive.")
    paths["/readyz"] = probe(
        "Readiness probe",
        "Startup hooks ran and runners are up.",
        {
            "503": {
                "description": "Not ready yet.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    paths["/metrics"] = probe("Prometheus metrics", "Metrics in the Prometheus text format.")
    from tiffin._server._v2 import openapi_paths

    for path, item in openapi_paths(svc).items():
        paths.setdefault(path, item)  # a user's route wins
    return {
        "openapi": "3.0.3",
        "info": {
            "title": svc.name,
            "version": __version__,
            "description": f"The {svc.name} service, served by tiffin {__version__}.",
        },
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR_SCHEMA}},
        "tags": [
            {"name": "APIs", "description": "The service's APIs."},
            {"name": "Infrastructure", "description": "Probes and metrics."},
            {
                "name": "Open Inference Protocol",
                "description": "KServe V2: every API whose input and output map to tensors.",
            },
        ],
    }
