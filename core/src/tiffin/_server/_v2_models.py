"""Which APIs of a service are Open Inference Protocol (KServe V2) models, and their metadata.

An API is a V2 model, named after the API, when its input and output descriptors both offer the
tensor capability (``tensor_specs``, ``from_tensors``, ``to_tensors``; see
:class:`tiffin.hookspecs.IODescriptorProtocol`) and it takes no keyword parts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tiffin._server._v2_codec import MODEL_VERSION
from tiffin.hookspecs import SupportsTensors

if TYPE_CHECKING:
    from tiffin._service import InferenceAPI, Service

__all__ = ["V2_PATHS", "metadata_of", "overlapping_routes", "tensor_apis"]

#: The protocol's paths (Starlette syntax); a user route matching one of them wins.
V2_PATHS = (
    "/v2",
    "/v2/health/live",
    "/v2/health/ready",
    "/v2/models/{name}",
    "/v2/models/{name}/ready",
    "/v2/models/{name}/infer",
    "/v2/models/{name}/versions/{version}",
    "/v2/models/{name}/versions/{version}/ready",
    "/v2/models/{name}/versions/{version}/infer",
)


def tensor_apis(svc: Service) -> dict[str, InferenceAPI]:
    """The APIs that are V2 models: both descriptors map to tensors, and no keyword parts."""
    found = {}
    for api in svc.apis.values():
        if api.input_kwargs:
            continue
        if isinstance(api.input, SupportsTensors) and isinstance(api.output, SupportsTensors):
            found[api.name] = api
    return found


def metadata_of(api: InferenceAPI) -> dict[str, Any]:
    return {
        "name": api.name,
        "versions": [MODEL_VERSION],
        "platform": "tiffin",
        "inputs": [s.metadata() for s in api.input.tensor_specs("input")],
        "outputs": [s.metadata() for s in api.output.tensor_specs("output")],
    }


def overlapping_routes(svc: Service) -> list[str]:
    """The user's API routes that a V2 path would also match (the user's route wins)."""
    patterns = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in V2_PATHS]
    return [
        "/" + api.route
        for api in svc.apis.values()
        if any(p.match("/" + api.route) for p in patterns)
    ]
