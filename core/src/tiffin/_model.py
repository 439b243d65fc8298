"""A stored model: its tag, its folder and its manifest (``model.yaml``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from tiffin._storage.manifest import FileEntry
from tiffin._storage.stored import StoredInfo, StoredVersion
from tiffin.exceptions import InvalidArgument

if TYPE_CHECKING:
    from tiffin._runner import Runner

__all__ = ["FileEntry", "Model", "ModelInfo", "ModelSignature"]

MANIFEST_NAME = "model.yaml"
CUSTOM_OBJECTS_NAME = "custom_objects.pkl"


def _batch_dim(value: Any) -> int | tuple[int, int]:
    if isinstance(value, bool) or not isinstance(value, int | list | tuple):
        raise InvalidArgument(
            f"batch_dim must be an int or a pair (input_dim, output_dim), got {value!r}"
        )
    if isinstance(value, list | tuple):
        if len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise InvalidArgument(
                f"batch_dim pair must be two ints (input_dim, output_dim), got {value!r}"
            )
        return (value[0], value[1])
    return value


@attrs.frozen
class ModelSignature:
    """How one method of a saved model is called: whether and along which dim it batches."""

    batchable: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    batch_dim: int | tuple[int, int] = attrs.field(default=0, converter=_batch_dim)
    input_spec: Any = None
    output_spec: Any = None

    @property
    def input_batch_dim(self) -> int:
        return self.batch_dim[0] if isinstance(self.batch_dim, tuple) else self.batch_dim

    @property
    def output_batch_dim(self) -> int:
        return self.batch_dim[1] if isinstance(self.batch_dim, tuple) else self.batch_dim

    @classmethod
    def convert(cls, method: str, value: ModelSignature | dict[str, Any] | None) -> ModelSignature:
        """Accept the user's ``{"batchable": True}`` dicts, with a clear error for typos."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise InvalidArgument(
                f"signature for {method!r} must be a dict like {{'batchable': True}}, got {value!r}"
            )
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InvalidArgument(
                f"signature for {method!r} has unknown keys {unknown}; allowed: {sorted(known)}"
            )
        batchable = value.get("batchable", False)
        if not isinstance(batchable, bool):
            raise InvalidArgument(
                f"signature for {method!r}: 'batchable' must be True or False, got {batchable!r}"
            )
        try:
            return cls(**value)
        except TypeError as exc:
            raise InvalidArgument(f"signature for {method!r} is invalid: {exc}") from None


def convert_signatures(signatures: dict[str, Any] | None) -> dict[str, ModelSignature]:
    if signatures is None:
        return {}
    if not isinstance(signatures, dict):
        raise InvalidArgument(
            f"signatures must be a dict of method name -> options, like "
            f"{{'predict': {{'batchable': True}}}}, got {signatures!r}"
        )
    out = {}
    for method, value in signatures.items():
        if not isinstance(method, str) or not method.isidentifier():
            raise InvalidArgument(f"signature name {method!r} must be a Python method name")
        out[method] = ModelSignature.convert(method, value)
    return out


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
        from tiffin import _plugins

        return _plugins.framework(self.info.framework).load(self, **kwargs)

    def to_runner(self, **runner_options: Any) -> Runner:
        """A runner serving this model's saved signatures (see :class:`tiffin.Runner`)."""
        from tiffin._runner import runner_for_model

        return runner_for_model(self, **runner_options)

    def __repr__(self) -> str:
        return f"Model(tag={str(self.tag)!r}, framework={self.info.framework!r}, path={str(self.path)!r})"
