"""The model store: save, find, list, delete, export and import models.

::

    with tiffin.models.create("sentiment", labels={"stage": "candidate"}) as m:
        write_files_into(m.path)        # a staging folder: nothing is visible yet
    m.tag, m.path                       # now the committed version
    tiffin.models.get("sentiment:latest")

Models live in ``$TIFFIN_HOME/models/<name>/<version>/`` with a ``model.yaml`` manifest listing
every file with its size and sha256; a version appears only once complete (see :class:`tiffin.store.Store`).
"""

from __future__ import annotations

import builtins
import contextlib
import os
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs

from tiffin._model import CUSTOM_OBJECTS_NAME, MANIFEST_NAME, MODEL, Model, ModelInfo
from tiffin._signature import convert_signatures
from tiffin._version import __version__
from tiffin.exceptions import AlreadyStored, Conflict, InvalidArgument
from tiffin.store import (
    LOCAL,
    Archive,
    Progress,
    Remote,
    RemoteVersion,
    Store,
    StoreChain,
    Tag,
    TransferOptions,
    TransferSummary,
    copy,
    new_version,
    open_remote,
    validate_name,
)

__all__ = [
    "Model",
    "ModelInfo",
    "create",
    "delete",
    "export_model",
    "get",
    "get_remote",
    "import_model",
    "list",
    "list_remote",
    "pull",
    "push",
]

_store: Store[ModelInfo, Model] = MODEL.store
_stores: StoreChain[ModelInfo, Model] = MODEL.chain


def store() -> Store[ModelInfo, Model]:
    """The local model store (its root follows ``$TIFFIN_HOME`` at every use)."""
    return _store


def stores() -> StoreChain[ModelInfo, Model]:
    """The stores :func:`get` searches: a loaded bento's own models first, then :func:`store`."""
    return _stores


# -- validation -------------------------------------------------------------------------------


def _check_labels(labels: object) -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise InvalidArgument(
            f"labels must be a dict of str to str, like {{'stage': 'prod'}}, got {labels!r}"
        )
    for key, value in labels.items():
        if not isinstance(key, str) or not key:
            raise InvalidArgument(f"label keys must be non-empty strings, got {key!r}")
        if not isinstance(value, str):
            raise InvalidArgument(
                f"label {key!r} must have a string value, got {type(value).__name__} {value!r}; "
                f"write it as a string (e.g. {str(value)!r})"
            )
    return dict(labels)


def _plain(value: Any, where: str) -> Any:
    """``value`` as YAML-safe plain data; numpy scalars become Python numbers."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    for plain in (bool, int, float, str):  # subclasses (numpy.float64 is a float) become plain
        if isinstance(value, plain):
            return plain(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgument(
                    f"{where} keys must be strings, got {key!r} ({type(key).__name__})"
                )
            out[key] = _plain(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, builtins.list | tuple):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item) and getattr(value, "ndim", 1) == 0:
        return _plain(item(), where)
    raise InvalidArgument(
        f"{where} holds a {type(value).__module__}.{type(value).__qualname__} ({value!r}); only plain "
        f"data can be stored: str, int, float, bool, None, lists and dicts with string keys"
    )


def _check_plain_dict(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} must be a dict with string keys, got {value!r}")
    return _plain(value, what)


def _normalize(info: ModelInfo, name: str, version: str) -> ModelInfo:
    if not isinstance(info, ModelInfo):
        raise InvalidArgument(f"model.info must stay a ModelInfo (use attrs.evolve), got {info!r}")
    if info.name != name or info.version != version:
        raise InvalidArgument(
            f"a model's name and version cannot change while it is being created "
            f"(was {name}:{version}, now {info.name}:{info.version})"
        )
    return attrs.evolve(
        info,
        labels=_check_labels(info.labels),
        metadata=_check_plain_dict(info.metadata, "metadata"),
        options=_check_plain_dict(info.options, "options"),
        signatures=convert_signatures(info.signatures),
    )


def _already(name: str, version: str) -> AlreadyStored:
    return AlreadyStored(
        f"model {name}:{version} is already stored; choose another version, or delete that one "
        f"first",
        kind="model",
        tag=f"{name}:{version}",
    )


# -- the public API ---------------------------------------------------------------------------


@contextlib.contextmanager
def create(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    metadata: dict[str, Any] | None = None,
    signatures: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    custom_objects: dict[str, Any] | None = None,
    framework: str = "custom",
    framework_version: str = "",
) -> Iterator[Model]:
    """Create a new model version; write its files into ``model.path`` inside the block.

    ``name`` is a model name (a fresh, time-ordered version is generated) or ``name:version``
    with a version of your choosing (``"sentiment:v1_approved"``); a version already stored is
    :class:`tiffin.exceptions.AlreadyStored`. Either way ``name:latest`` is the newest by
    creation time.

    On normal exit the version is committed with ``model.yaml`` built from ``model.info`` as it
    stands then (code in the block may replace it with ``attrs.evolve``), and ``model.path`` and
    ``model.info`` point at the stored version. On an exception nothing is kept.
    """
    if not isinstance(name, str):
        validate_name(name, what="model name")  # the one-line error for a non-string
    chosen = Tag.parse(name) if ":" in name else None
    if chosen is not None and chosen.version is None:
        raise InvalidArgument(
            f"{name!r} names the latest version; give a new version (name:v2) or just the name"
        )
    name = validate_name(chosen.name if chosen else name, what="model name")
    if chosen is not None and _store.exists(name, chosen.version or ""):
        raise _already(name, chosen.version or "")
    if not isinstance(framework, str) or not framework:
        raise InvalidArgument(f"framework must be a non-empty string, got {framework!r}")
    validate_name(framework, what="framework name")  # a plugin's name: tiffin.<framework>
    if custom_objects is not None and not (
        isinstance(custom_objects, dict) and all(isinstance(k, str) for k in custom_objects)
    ):
        raise InvalidArgument(
            f"custom_objects must be a dict with string keys, got {custom_objects!r}"
        )
    version = chosen.version if chosen is not None and chosen.version else new_version()
    info = ModelInfo(
        name=name,
        version=version,
        framework=framework,
        framework_version=str(framework_version or ""),
        python_version=platform.python_version(),
        tiffin_version=__version__,
        created_at=datetime.now(UTC),
        labels=_check_labels(labels),
        metadata=_check_plain_dict(metadata, "metadata"),
        options=_check_plain_dict(options, "options"),
        signatures=convert_signatures(signatures),
    )
    with _store.staging(name) as staging_dir:
        model = Model(info, staging_dir)
        if custom_objects:
            import pickle

            try:
                with open(staging_dir / CUSTOM_OBJECTS_NAME, "wb") as f:
                    pickle.dump(custom_objects, f, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                raise InvalidArgument(f"custom_objects cannot be pickled: {exc}") from None
        yield model
        if (staging_dir / MANIFEST_NAME).exists():  # commit would overwrite it without a word
            raise InvalidArgument(
                f"a file named {MANIFEST_NAME} was written into the model's folder, but that name "
                f"is reserved for tiffin's manifest; rename your file"
            )
        final_info = _normalize(model.info, name, version)
        try:
            committed = _store.commit(staging_dir, final_info, keep_version=chosen is not None)
        except Conflict:
            raise _already(name, version) from None
        model.info = committed.info
        model.path = committed.path
        model.__dict__.pop("_custom_objects", None)


def get(tag: str | Tag) -> Model:
    """The model ``tag`` names: ``name``, ``name:latest``, ``name:version`` or a unique prefix.

    A loaded bento's own models are searched first (see :func:`stores`), then the local store;
    in ``tiffin serve``/``tiffin batch`` with a registry configured, a missing model is pulled.
    """
    return _stores.get(tag)


def list(name: str | None = None, labels: dict[str, str] | None = None) -> builtins.list[Model]:
    """Stored models, newest first; only ``name``'s versions and/or those with every label given."""
    return _store.list(name, _check_labels(labels))


def delete(tag: str | Tag) -> None:
    """Delete one model version (``name:latest`` deletes the newest)."""
    _store.delete(tag)


def export_model(
    tag: str | Tag,
    url: str | os.PathLike[str],
    *,
    compression: str | None = None,
    progress: Progress | None = None,
) -> str:
    """Write the model as a tar archive (manifest first) to ``url`` (a path or any fsspec URL).

    :param compression: ``None`` (plain tar, fast), ``"gz"`` or ``"xz"``.
    :param progress: ``progress(done_bytes, total_bytes)``, called as bytes are written.
    :return: the URL written.
    """
    done = copy(MODEL, tag, LOCAL, Archive(url, compression), TransferOptions(progress=progress))
    assert done.url is not None
    return done.url


def import_model(url: str | os.PathLike[str], *, progress: Progress | None = None) -> Model:
    """Import a model archive made by :func:`export_model`, verifying every file's sha256.

    Unsafe or damaged archives are refused with :class:`tiffin.exceptions.InvalidArchive` and
    nothing is written. If the same version is already stored identically, that one is returned;
    if it differs, :class:`tiffin.exceptions.AlreadyStored`.
    """
    return copy(MODEL, None, Archive(url), LOCAL, TransferOptions(progress=progress)).item


def push(
    tag: str | Tag,
    *,
    force: bool = False,
    bare: bool = False,
    threads: int = 10,
    strategy: str | None = None,
    progress: Progress | None = None,
) -> TransferSummary:
    """Push a model to the configured registry; only files it lacks are sent.

    A version the registry already has is left alone unless ``force``. ``strategy`` forces a
    transfer strategy (``"proxy"``, ``"presigned"``, ``"multipart"``); ``threads`` files move
    at once; ``bare=True`` sends the manifest only. Returns a
    :class:`tiffin.store.TransferSummary` (``bytes_sent``, ``bytes_skipped``, ``unchanged``...).
    """
    options = TransferOptions(
        force=force, threads=threads, strategy=strategy, progress=progress, bare=bare
    )
    return copy(MODEL, tag, LOCAL, Remote(), options).summary


def pull(
    tag: str | Tag,
    *,
    force: bool = False,
    strategy: str | None = None,
    threads: int = 10,
    progress: Progress | None = None,
) -> Model:
    """Pull a model from the configured registry into the local store, verifying every file.

    An exact tag already stored is returned without asking the registry (``force=True``
    downloads it again); ``latest`` and version prefixes resolve on the registry.
    """
    options = TransferOptions(force=force, threads=threads, strategy=strategy, progress=progress)
    return copy(MODEL, tag, Remote(), LOCAL, options).item


def list_remote(
    name: str | None = None, labels: dict[str, str] | None = None
) -> builtins.list[RemoteVersion]:
    """Models on the configured registry, newest first, as :class:`tiffin.store.RemoteVersion`
    (``tag``, ``labels``, ``size``, ``created_at``...)."""
    with contextlib.closing(open_remote()) as remote:
        return remote.list_versions("model", name, labels)


def get_remote(tag: str | Tag) -> RemoteVersion:
    """The configured registry's record of a model (``latest`` resolves there), manifest included."""
    with contextlib.closing(open_remote()) as remote:
        return remote.get_version("model", str(Tag.parse(tag)))
