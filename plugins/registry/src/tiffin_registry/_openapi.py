"""The OpenAPI 3.1 document of ``/api/v1/`` (served at ``/api/v1/openapi.json``).

Written by hand next to the routes it describes (``_api``), and checked against them by a test
that walks every route.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(_ref("Error"), "Malformed request (what was wrong is in `error`)"),
    "401": _json(_ref("Error"), "No token, or an unknown one"),
    "403": _json(_ref("Error"), "The token's scope does not allow this"),
}
_KIND = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["models", "bentos"]},
}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_VERSION = {
    "name": "version",
    "in": "path",
    "required": True,
    "description": "A version, a unique prefix of one, or `latest`",
    "schema": {"type": "string"},
}
_SHA = {
    "name": "sha256",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}
_PAGE = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {
        "name": "cursor",
        "in": "query",
        "schema": {"type": "string"},
        "description": "The `next` value of the previous page",
    },
]
_LABEL = {
    "name": "label",
    "in": "query",
    "schema": {"type": "array", "items": {"type": "string"}},
    "description": "key=value; repeat to require several",
    "explode": True,
}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **_ERRORS}, **extra}


@cache
def openapi_document() -> dict[str, Any]:
    from tiffin_registry import __version__

    strategies_body: dict[str, Any] = {
        "type": "object",
        "required": ["strategies"],
        "properties": {
            "strategies": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The client's strategies, best first",
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tiffin registry",
            "version": __version__,
            "description": "Push and pull models and bentos. See docs/registry-api.md.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "kind"],
                    "properties": {
                        "error": {"type": "string"},
                        "kind": {"type": "string"},
                        "missing": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Version": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "tag": {"type": "string"},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "size": {"type": "integer"},
                        "file_count": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "pushed_at": {"type": "string", "format": "date-time"},
                    },
                },
                "VersionDetail": {
                    "allOf": [
                        _ref("Version"),
                        {
                            "type": "object",
                            "properties": {
                                "manifest": {"type": "string"},
                                "files": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "path": {"type": "string"},
                                            "size": {"type": "integer"},
                                            "sha256": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    ]
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"type": "object"}},
                        "next": {"type": ["string", "null"]},
                    },
                },
                "Offer": {
                    "type": "object",
                    "properties": {
                        "sha256": {"type": "string"},
                        "size": {"type": "integer"},
                        "exists": {"type": "boolean"},
                        "strategy": {"type": ["string", "null"]},
                        "session": {"type": "string"},
                        "offer": {"type": "object"},
                        "offered": {"type": "array", "items": {"type": "string"}},
                        "declined": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/": {"get": _op("What this server is", {"200": _json({"type": "object"})})},
            "/transfer": {
                "get": _op(
                    "Transfer strategies this registry offers", {"200": _json({"type": "object"})}
                )
            },
            "/blobs/check": {
                "post": _op(
                    "Which blobs the registry lacks",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "missing": {"type": "array", "items": {"type": "string"}}
                                },
                            }
                        )
                    },
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "blobs": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "sha256": {"type": "string"},
                                                    "size": {"type": "integer"},
                                                },
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                )
            },
            "/blobs/{sha256}/upload": {
                "post": _op(
                    "Ask for an upload offer (the first of the client's strategies the registry has)",
                    {"200": _json(_ref("Offer"))},
                    parameters=[_SHA],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    **strategies_body,
                                    "required": ["strategies", "size"],
                                    "properties": {
                                        **strategies_body["properties"],
                                        "size": {"type": "integer"},
                                    },
                                }
                            }
                        },
                    },
                )
            },
            "/blobs/{sha256}/download": {
                "post": _op(
                    "Ask for a download offer",
                    {"200": _json(_ref("Offer")), "404": _json(_ref("Error"), "No such blob")},
                    parameters=[_SHA],
                    requestBody={
                        "required": True,
                        "content": {"application/json": {"schema": strategies_body}},
                    },
                )
            },
            "/{kind}": {
                "get": _op(
                    "Repositories with at least one version",
                    {"200": _json(_ref("Page"))},
                    parameters=[_KIND, *_PAGE],
                )
            },
            "/{kind}/versions": {
                "get": _op(
                    "All versions, newest first",
                    {"200": _json(_ref("Page"))},
                    parameters=[_KIND, _LABEL, *_PAGE],
                )
            },
            "/{kind}/{name}/versions": {
                "get": _op(
                    "A repository's versions, newest first",
                    {"200": _json(_ref("Page")), "404": _json(_ref("Error"))},
                    parameters=[_KIND, _NAME, _LABEL, *_PAGE],
                )
            },
            "/{kind}/{name}/versions/{version}": {
                "parameters": [_KIND, _NAME, _VERSION],
                "get": _op(
                    "One version with its manifest and files",
                    {"200": _json(_ref("VersionDetail")), "404": _json(_ref("Error"))},
                ),
                "put": _op(
                    "Commit a version whose blobs are all uploaded (the manifest YAML as body)",
                    {
                        "200": _json(_ref("Version"), "Identical version already there"),
                        "201": _json(_ref("Version"), "Created"),
                        "409": _json(_ref("Error"), "Exists with other contents"),
                        "413": _json(_ref("Error"), "Manifest too large"),
                    },
                    parameters=[{"name": "force", "in": "query", "schema": {"type": "boolean"}}],
                    requestBody={
                        "required": True,
                        "content": {"application/yaml": {"schema": {"type": "string"}}},
                    },
                ),
                "delete": _op(
                    "Delete a version",
                    {"200": _json({"type": "object"}), "404": _json(_ref("Error"))},
                ),
            },
        },
    }
