"""Services: ``tiffin.Service``, its APIs, ``tiffin.Context`` and ``tiffin.Cookie``."""

from __future__ import annotations

from tiffin._service._class import ClassService, api, depends, service
from tiffin._service._context import Context, Cookie
from tiffin._service._service import InferenceAPI, Service

__all__ = [
    "ClassService",
    "Context",
    "Cookie",
    "InferenceAPI",
    "Service",
    "api",
    "depends",
    "service",
]
