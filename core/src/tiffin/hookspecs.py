"""The plugin contract: every hook tiffin calls, and what the objects they register must do.

This module is the whole contract for plugin authors. A plugin is a module (named by an entry
point in the group ``tiffin``) whose functions are marked with :data:`tiffin.hookimpl` and named
after the hooks below. Every hook hands the plugin a ``register`` callback: the plugin calls it
once per object it provides, and core validates the object, refuses duplicate names with a
clear message, and records which plugin provided what. A hook's signature never changes: new
abilities are new *optional methods* on the registered objects, which core discovers at run
time with :func:`tiffin.hookspecs.has_capability`.

Built-in behaviour (local storage, the built-in IO descriptors, the numpy/list/pandas data
containers) is registered through these same hooks by modules in :mod:`tiffin.builtin`.

A minimal framework plugin::

    # tiffin_lightgbm/__init__.py  (entry point: [project.entry-points.tiffin] lightgbm = "tiffin_lightgbm")
    import tiffin

    @tiffin.hookimpl
    def register_frameworks(register):
        from tiffin_lightgbm._adapter import LightGBMAdapter   # must not import lightgbm itself
        register(LightGBMAdapter())

Entry-point modules must stay light: importing one must not import the framework itself
(torch, xgboost, sklearn); do that inside the adapter's methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pluggy

if TYPE_CHECKING:
    import fsspec
    import typer

    from tiffin._model import Model
    from tiffin.containers import Payload

__all__ = [
    "DataContainer",
    "FrameworkAdapterProtocol",
    "StorageBackend",
    "TransferStrategy",
    "has_capability",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "tiffin"
ENTRY_POINT_GROUP = "tiffin"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's hook implementations: ``@tiffin.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


def has_capability(obj: object, name: str) -> bool:
    """Whether a registered object offers the optional method ``name`` (a callable attribute)."""
    return callable(getattr(obj, name, None))


# ---------------------------------------------------------------------------------------------
# Framework adapters
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class FrameworkAdapterProtocol(Protocol):
    """Saves and loads one ML framework's models; ``tiffin.<name>`` resolves to it.

    Subclass :class:`tiffin.frameworks.FrameworkAdapter`, which implements this protocol's
    user-facing half (``save_model``, ``load_model``, ``get``) on top of the four methods below,
    so a plugin writes only what is specific to its framework.

    Required:

    - ``name``: the plugin's name (``"sklearn"``); it is the model's ``info.framework`` and the
      attribute ``tiffin.<name>``.
    - ``framework_version()``: the installed framework's version, recorded in each manifest.
    - ``save(model, path, options)``: write the model's files into the existing directory
      ``path``; return a dict of options to record in the manifest (or ``None``), for example
      the wrapper class, so ``load`` can rebuild the same kind of object.
    - ``load(model, **kwargs)``: rebuild the framework object from a stored
      :class:`tiffin.Model` (``model.path``, ``model.info.options``); ``kwargs`` are the user's
      extra arguments to ``load_model`` (``device_id="cuda:0"``).

    Optional (discovered with :func:`has_capability`):

    - ``default_signatures(model) -> dict[str, dict]``: the signatures used when the user gives
      none, e.g. ``{"predict": {"batchable": False}}``.
    - ``accepts(obj) -> bool``: whether this adapter knows how to save ``obj``.
    - ``runnable(model) -> type[tiffin.Runnable]``: the runnable class behind
      ``Model.to_runner()``, one method per saved signature.
    - ``batch(values, batch_dim) -> (batch, sizes)`` and ``split(batch, sizes, batch_dim)``:
      how to concatenate and split this framework's own values along ``batch_dim`` when no
      registered :class:`DataContainer` knows their type.
    """

    name: str

    def framework_version(self) -> str: ...

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None: ...

    def load(self, model: Model, **kwargs: Any) -> Any: ...


@hookspec
def register_frameworks(register: Callable[[FrameworkAdapterProtocol], None]) -> None:
    """Register framework adapters.

    :param register: call ``register(adapter)`` once per adapter (an instance of a
        :class:`tiffin.frameworks.FrameworkAdapter` subclass, which satisfies
        :class:`FrameworkAdapterProtocol`).
        Core refuses, with a warning (an error under ``TIFFIN_STRICT_PLUGINS=1``), an adapter
        that lacks a required method, whose ``name`` is not a lowercase identifier or is a name
        tiffin itself uses (``models``, ``io``, ...), or whose name another plugin already
        registered (the warning names both plugins; the first registered is kept).

    Called once per process, the first time anything asks for a framework (``tiffin.sklearn``,
    loading a model, ``tiffin plugins``). All implementations are called; order carries no
    meaning.
    """


# ---------------------------------------------------------------------------------------------
# Data containers
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class DataContainer(Protocol):
    """Batches, splits and serialises values of some types (numpy arrays, frames, tensors, lists).

    Required:

    - ``name``: a short unique name (``"numpy"``), also written into payload metadata.
    - ``type_names``: fully qualified names of the types handled (``"numpy.ndarray"``,
      ``"torch.Tensor"``); core matches them against ``type(value).__mro__`` without importing
      anything, so a container for torch costs nothing when torch is never used.
    - ``batch(values, batch_dim) -> (batch, sizes)``: concatenate along ``batch_dim``; ``sizes``
      are the number of rows each value contributed, in order.
    - ``split(batch, sizes, batch_dim) -> list``: the inverse: one value per size, in order.
    - ``to_payload(value) -> Payload`` and ``from_payload(payload) -> value``: a round trip
      through bytes for runner worker processes; ``from_payload(to_payload(v))`` equals ``v``.

    Optional:

    - ``batch_size(value, batch_dim) -> int``: rows along ``batch_dim`` (default: ``len``).
    - ``compatible(a, b, batch_dim) -> bool``: whether two values may share a batch (same
      trailing shape and dtype); the dispatcher never mixes incompatible values.
    """

    name: str
    type_names: tuple[str, ...]

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]: ...

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]: ...

    def to_payload(self, value: Any) -> Payload: ...

    def from_payload(self, payload: Payload) -> Any: ...


@hookspec
def register_data_containers(register: Callable[[DataContainer], None]) -> None:
    """Register data containers.

    :param register: call ``register(container)`` once per :class:`DataContainer`. A type name
        claimed by two containers is a warning, and the first registered (built-ins first) wins.

    Called once per process, the first time a runner batches, splits or ships a value.
    """


# ---------------------------------------------------------------------------------------------
# Storage backends
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class StorageBackend(Protocol):
    """Maps URL schemes to fsspec filesystems, with optional object-store abilities.

    Required:

    - ``schemes``: the URL schemes served (``("s3", "s3a")``; the built-in local backend serves
      ``"file"`` and plain paths).
    - ``filesystem(url) -> (fs, path)``: an ``fsspec.AbstractFileSystem`` and the path within it.

    Optional capabilities, used by the stores and the registry when present (all take a URL and
    raise :class:`tiffin.exceptions.TiffinError` subclasses on user-fixable failures):

    - ``presign_get(url, expires_s) -> str`` and ``presign_put(url, expires_s) -> str``: signed
      URLs a client may use directly, without credentials.
    - multipart upload: ``multipart_create(url) -> upload_id``;
      ``multipart_part_url(url, upload_id, part_number, expires_s) -> str`` (a presigned PUT)
      and/or ``multipart_upload_part(url, upload_id, part_number, data) -> etag``;
      ``multipart_list_parts(url, upload_id) -> list[dict]`` (``part_number``, ``etag``,
      ``size``); ``multipart_complete(url, upload_id, parts)`` with ``parts`` a list of
      ``(part_number, etag)``; ``multipart_abort(url, upload_id)``.
    - ``read_range(url, start, end) -> bytes``: bytes ``[start, end)`` without reading the rest.
    - ``write_atomic(url, data, if_absent=False) -> bool``: write all of ``data`` or nothing;
      with ``if_absent`` write only when nothing is there yet and return whether it wrote
      (how manifests are committed last, and how two writers never both win).
    """

    schemes: tuple[str, ...]

    def filesystem(self, url: str) -> tuple[fsspec.AbstractFileSystem, str]: ...


@hookspec
def register_storage_backends(register: Callable[[StorageBackend], None]) -> None:
    """Register storage backends.

    :param register: call ``register(backend)`` once per :class:`StorageBackend`. A scheme
        claimed twice is a warning naming both plugins; the first registered wins.

    Called once per process, the first time a URL is opened (export, import, registry storage).
    A URL whose scheme no backend claims falls back to fsspec's own implementations.
    """


# ---------------------------------------------------------------------------------------------
# Transfer strategies
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class TransferStrategy(Protocol):
    """One way of moving a blob between a client and a registry (proxy, presigned, multipart).

    Required:

    - ``name``: what ``--strategy NAME`` selects and what the registry advertises.
    - ``priority``: an int; among the strategies both sides have, the client uses the highest
      one that accepts the blob.

    Optional (a strategy may be client-only or registry-only):

    - ``client_upload(offer, source, size, http, progress)`` and
      ``client_download(offer, destination, http, progress)``: move one blob given the registry's
      ``offer`` (a JSON dict this strategy's registry side produced); ``http`` is an
      ``httpx.Client`` already authenticated; ``progress(n_bytes)`` reports progress.
    - ``accepts(size) -> bool``: whether the client would use this strategy for a blob this big.
    - ``registry_offer_upload(storage, digest, size, base_url) -> dict`` and
      ``registry_offer_download(storage, digest, size, base_url) -> dict``: the offers.
    - ``registry_routes(storage) -> list[starlette.routing.BaseRoute]``: extra registry routes
      the strategy needs (mounted under ``/v1/transfer/<name>/``).
    """

    name: str
    priority: int


@hookspec
def register_transfer_strategies(register: Callable[[TransferStrategy], None]) -> None:
    """Register transfer strategies.

    :param register: call ``register(strategy)`` once per :class:`TransferStrategy`; a name
        registered twice is a warning and the first wins.

    Called once per process when a client pushes or pulls, and when a registry starts.
    """


# ---------------------------------------------------------------------------------------------
# IO descriptors
# ---------------------------------------------------------------------------------------------


@hookspec
def register_io_descriptors(register: Callable[[type], None]) -> None:
    """Register IO descriptor classes (subclasses of :class:`tiffin.io.IODescriptor`).

    :param register: call ``register(cls)``; the class becomes available as
        ``tiffin.io.<cls.__name__>``. A class name registered twice is a warning; the first wins.

    Called once per process, the first time ``tiffin.io`` is asked for a name it does not define
    itself, and when the server builds its OpenAPI document.
    """


# ---------------------------------------------------------------------------------------------
# CLI commands
# ---------------------------------------------------------------------------------------------


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add commands or command groups to the ``tiffin`` CLI.

    :param app: the root Typer app; call ``app.command()(fn)`` or ``app.add_typer(sub, name=)``.
        Keep the entry-point module light: import heavy libraries inside the command functions,
        so ``tiffin --help`` stays fast.

    Called once when the CLI starts, after the built-in commands are added. A command name that
    is already taken is a warning and the plugin's command is not added.
    """
