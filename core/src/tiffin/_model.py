"""A stored model: its tag, its folder and its manifest (``model.yaml``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from tiffin import _plugins
from tiffin._signature import ModelSignature
from tiffin.store import (
    FileEntry,
    Kind,
    Store,
    StoreChain,
    StoredInfo,
    StoredVersion,
    register_kind,
)

if TYPE_CHECKING:
    from tiffin._runner import Runner

__all__ = [
    "MODEL",
    "FileEntry",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "model_store",
    "model_stores",
]

MANIFEST_NAME = "model.yaml"
CUSTOM_OBJECTS_NAME = "custom_objects.pkl"


@attrs.frozen
class ModelInfo(StoredInfo):
    """The manifest of a stored model, as written in ``model.yaml``."""

    name: str
    version: str
    framework: str
    framework_version: str
    python_version: str
    tiffin_version: str
    created_at: datetime
    labels: dict[str, str] = attrs.Factory(dict)
    metadata: dict[str, Any] = attrs.Factory(dict)
    options: dict[str, Any] = attrs.Factory(dict)
    signatures: dict[str, ModelSignature] = attrs.Factory(dict)
    files: tuple[FileEntry, ...] = ()


class Model(StoredVersion[ModelInfo]):
    """A model in the store: ``tag``, ``path`` (its folder) and ``info`` (its manifest)."""

    @property
    def custom_objects(self) -> dict[str, Any]:
        """The ``custom_objects`` given at save time (unpickled on first access)."""
        cached = self.__dict__.get("_custom_objects")
        if cached is None:
            file = self.path / CUSTOM_OBJECTS_NAME
            if file.exists():
                import pickle

                with file.open("rb") as f:
                    cached = pickle.load(f)
            else:
                cached = {}
            self.__dict__["_custom_objects"] = cached
        return cached

    def load_model(self, **kwargs: Any) -> Any:
        """The framework object, rebuilt by the adapter that saved it."""
        return _plugins.framework(self.info.framework).load(self, **kwargs)

    def to_runner(self, **runner_options: Any) -> Runner:
        """A runner serving this model's saved signatures (see :class:`tiffin.Runner`)."""
        from tiffin._runner import runner_for_model  # runners' machinery loads when one is made

        return runner_for_model(self, **runner_options)

    def __repr__(self) -> str:
        return f"Model(tag={str(self.tag)!r}, framework={self.info.framework!r}, path={str(self.path)!r})"


#: Models as a kind of stored thing: ``$TIFFIN_HOME/models/<name>/<version>/model.yaml``.
MODEL: Kind = register_kind(
    Kind(
        "model",
        manifest_name=MANIFEST_NAME,
        load_info=ModelInfo.from_dict,
        dump_info=ModelInfo.to_dict,
        make_item=Model,
        sibling="bento",
    )
)


def model_store() -> Store[ModelInfo, Model]:
    """The local model store (its root follows ``$TIFFIN_HOME`` at every use)."""
    return MODEL.store


def model_stores() -> StoreChain[ModelInfo, Model]:
    """The stores model look-ups search: a loaded bento's own models first, the local store,
    then (in ``tiffin serve``/``batch``) auto-pull."""
    return MODEL.chain
