"""A stored bento: its tag, its folder and its manifest (``bento.yaml``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from tiffin._converter import converter
from tiffin._manifest import FileEntry
from tiffin._tag import Tag

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
class BentoInfo:
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
    files: tuple[FileEntry, ...] = ()

    @property
    def tag(self) -> Tag:
        return Tag(self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        return converter.unstructure(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BentoInfo:
        return converter.structure(data, cls)


class Bento:
    """A bento in the store: ``tag``, ``path`` (its folder) and ``info`` (its manifest)."""

    def __init__(self, info: BentoInfo, path: Path) -> None:
        self.info = info
        self.path = Path(path)

    @property
    def tag(self) -> Tag:
        return self.info.tag

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bento) and other.tag == self.tag and other.path == self.path

    def __hash__(self) -> int:
        return hash((self.tag, self.path))

    def __repr__(self) -> str:
        return f"Bento(tag={str(self.tag)!r}, path={str(self.path)!r})"
