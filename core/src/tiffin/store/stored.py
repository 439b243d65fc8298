"""What a stored model and a stored bento share: a manifest with a tag, and a versioned folder.

Both stores hold versions of the same shape (``<kind>/<name>/<version>/`` plus a manifest), so
the value classes differ only in their manifest's fields and in what they can do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

from tiffin.store.manifest import FileEntry
from tiffin.store.tag import Tag

__all__ = ["StoredInfo", "StoredVersion"]


class StoredInfo:
    """Base of the attrs manifest classes (``ModelInfo``, ``BentoInfo``): what every manifest
    holds (``name``, ``version``, ``files``) and what the store needs of one."""

    name: str
    version: str
    files: tuple[FileEntry, ...]

    @property
    def tag(self) -> Tag:
        return Tag(self.name, self.version)

    def to_dict(self) -> dict[str, Any]:
        from tiffin._converter import converter  # not at import: cattrs is paid for on first use

        return converter.unstructure(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        from tiffin._converter import converter

        return converter.structure(data, cls)


InfoT = TypeVar("InfoT", bound=StoredInfo)


class StoredVersion(Generic[InfoT]):
    """A version in a store: ``tag``, ``path`` (its folder) and ``info`` (its manifest)."""

    def __init__(self, info: InfoT, path: Path) -> None:
        self.info = info
        self.path = Path(path)

    @property
    def tag(self) -> Tag:
        return self.info.tag

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.tag == self.tag and other.path == self.path  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.tag, self.path))
