"""A stored bento: its tag, its folder and its manifest (``bento.yaml``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from tiffin.store import FileEntry, StoredInfo, StoredVersion, Tag

__all__ = ["MANIFEST_NAME", "Bento", "BentoInfo", "BentoModel"]

MANIFEST_NAME = "bento.yaml"
SRC_DIR = "src"
MODELS_DIR = "models"
REQUIREMENTS = "env/python/requirements.txt"
DOCKERFILE = "env/docker/Dockerfile"
OPENAPI = "apis/openapi.json"


@attrs.frozen
class BentoModel:
    """A model the bento carries, in ``models/<name>/<version>/`` of the bento folder."""

    tag: str
    framework: str

    @property
    def path(self) -> str:
        tag = Tag.parse(self.tag)
        return f"{MODELS_DIR}/{tag.name}/{tag.version}"


@attrs.frozen
class BentoInfo(StoredInfo):
    """The manifest of a bento, as written in ``bento.yaml``."""

    name: str
    version: str
    service: str
    created_at: datetime
    python_version: str
    tiffin_version: str
    description: str | None = None
    labels: dict[str, str] = attrs.Factory(dict)
    apis: tuple[dict[str, Any], ...] = ()
    runners: tuple[dict[str, Any], ...] = ()
    models: tuple[BentoModel, ...] = ()
    python: dict[str, Any] = attrs.Factory(dict)
    docker: dict[str, Any] = attrs.Factory(dict)
    #: ``envs:`` of the build config, ``{"name": ..., "value": ...}`` each, in order
    envs: tuple[dict[str, str], ...] = ()
    files: tuple[FileEntry, ...] = ()


class Bento(StoredVersion[BentoInfo]):
    """A bento in the store: ``tag``, ``path`` (its folder) and ``info`` (its manifest)."""

    def __repr__(self) -> str:
        return f"Bento(tag={str(self.tag)!r}, path={str(self.path)!r})"
