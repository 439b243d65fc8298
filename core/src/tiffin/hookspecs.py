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

import attrs
import pluggy

if TYPE_CHECKING:
    import fsspec
    import typer

    from tiffin._batch import BatchJob, BatchResult
    from tiffin._model import Model
    from tiffin.containers import Payload

__all__ = [
    "BatchEngine",
    "DataContainer",
    "FrameworkAdapterProtocol",
    "IODescriptorProtocol",
    "RegistryAccess",
    "StorageBackend",
    "TransferStrategy",
    "UploadSession",
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
    """One way of moving a blob (one file, named by its sha256) between a client and a registry.

    Tiffin ships ``proxy`` (bytes stream through the registry); ``tiffin-presigned`` and
    ``tiffin-multipart`` add others. The whole protocol is in ``docs/registry-api.md``; in short:
    the client asks the registry for an *offer* (``POST /api/v1/blobs/{sha256}/upload`` or
    ``.../download``) listing the strategies it has installed, best first; the registry answers
    with the first one it also has whose registry side makes an offer; the client hands that
    offer to its own side of the same strategy. When a strategy cannot be used, the fallback is
    *typed*: the registry side returns ``None`` instead of an offer, or the client side raises
    :class:`tiffin.exceptions.TransferUnavailable`, and the client asks again without it.

    Required:

    - ``name``: a lowercase identifier; what ``--strategy NAME`` selects and what the registry
      advertises.
    - ``priority``: an int; the client lists its strategies highest first (``proxy`` is 0, so
      any plugin with a positive priority is preferred when both sides have it).

    Optional, client side (discovered with :func:`has_capability`; a strategy may be client-only
    or registry-only):

    - ``accepts(size) -> bool``: whether the client should use this strategy for a blob of
      ``size`` bytes (multipart declines small blobs). Default: yes.
    - ``client_upload(offer, path, size, http, progress) -> None``: send the local file ``path``
      (``size`` bytes, sha256 as offered) as the registry's ``offer`` (the dict its registry side
      returned) says. ``http`` is an ``httpx.Client`` whose ``base_url`` is the registry and
      which carries the registry's token: use it for registry URLs only and a plain client for
      anything else (a presigned S3 URL). ``progress(n_bytes)`` reports bytes moved since the
      last call. Success means the registry has verified the blob (its digest and size) and it
      exists; raise :class:`tiffin.exceptions.TransferUnavailable` to fall back, any other
      :class:`tiffin.exceptions.TiffinError` to fail the push.
    - ``client_download(offer, path, size, http, progress) -> str | None``: write the blob into
      ``path``. ``path`` may already hold the first bytes of an interrupted download: continue
      after them (an HTTP ``Range`` request) rather than start over. Return the sha256 of the
      whole file when computed on the way (saves core a second read), else ``None``; core
      verifies it either way and lands the file only when it matches.
      :mod:`tiffin.transfer` streams a file up and resumes a download for strategies that move
      a blob in one request.

    Optional, registry side (called by ``tiffin-registry`` with a :class:`RegistryAccess`):

    - ``registry_offer_upload(registry, session, base_url) -> dict | None``: the offer for one
      upload: a JSON-able dict the client side understands (URLs, part sizes, expiry). The
      registry has just recorded ``session`` (a :class:`UploadSession`: id, sha256, size,
      strategy, data); keep strategy state in ``registry.update_session(id, data)``. ``base_url``
      is the absolute URL under which this strategy's routes are mounted
      (``http://host:port/api/v1/transfer/<name>``), as the client reached the registry. Return
      ``None`` to decline (e.g. the storage lacks a capability); the registry tries the next.
    - ``registry_offer_download(registry, sha256, size, base_url) -> dict | None``: the same for
      reading an existing blob.
    - ``registry_abort(registry, session) -> None``: free what an abandoned upload of this
      strategy holds besides its staging object (part files, a storage-side multipart upload);
      ``tiffin registry gc`` calls it for open sessions idle longer than the grace period.
    - ``registry_routes(registry) -> list[starlette.routing.BaseRoute]``: routes the strategy
      serves, mounted under ``/api/v1/transfer/<name>/``. Check access with
      ``await registry.authorize(request, "read" | "write")``; raise
      :class:`tiffin.exceptions.TiffinError` subclasses for client mistakes (the registry turns
      them into JSON errors with their ``status_code``).
    """

    name: str
    priority: int


class UploadSession(Protocol):
    """An upload in progress, recorded in the registry's database (so ``gc`` spares its blob).

    ``id`` (str, URL-safe), ``sha256`` and ``size`` (what the client announced), ``strategy``
    (its name), ``state`` (``"open"``, ``"done"``, ``"aborted"``), ``data`` (a JSON-able dict
    the strategy owns), ``created_at`` and ``updated_at`` (aware UTC datetimes).
    """

    id: str
    sha256: str
    size: int
    strategy: str
    state: str
    data: dict[str, Any]


class RegistryAccess(Protocol):
    """What a registry hands a strategy's registry side: its storage, sessions, auth, signing.

    Implemented by ``tiffin-registry``; a strategy never touches the database or the storage
    layout except through these. Blocking methods are plain functions (call them from async
    routes with ``starlette.concurrency.run_in_threadpool``); ``receive`` and ``authorize`` are
    coroutines.

    Storage:

    - ``storage_url``: the root URL of the registry's storage (``/srv/registry``, ``s3://b/p``).
    - ``backend``: the :class:`StorageBackend` owning it (test optional capabilities with
      :func:`has_capability`: ``presign_put``, ``multipart_create``...); ``fs``: its fsspec
      filesystem.
    - ``blob_url(sha256) -> str`` and ``blob_path(sha256) -> str``: where a verified blob lives
      (a URL for the backend's capabilities, a path within ``fs``). Read only.
    - ``staging_url(session_id) -> str`` and ``staging_path(session_id) -> str``: where an
      upload writes its bytes before :meth:`finalize`; never read by anyone else.
    - ``has_blob(sha256) -> bool``; ``blob_size(sha256) -> int | None``;
      ``open_blob(sha256) -> binary file`` (seekable, for reads; NotFound when absent).
    - ``finalize(session_id) -> None``: read the staged object back, check its size and sha256
      against the session, then make the blob exist atomically (a rename on local disk, a copy on
      object stores) and close the session. A mismatch deletes the staged object and raises
      :class:`tiffin.exceptions.DigestMismatch`; nothing is stored.
    - ``async receive(session_id, chunks) -> None``: stream an async iterator of ``bytes`` into
      the staging object, hashing on the way, then the same checks and landing as ``finalize``
      without reading it back. Bytes that stop early or run long are refused (DigestMismatch).

    Upload sessions:

    - ``create_session(sha256, size, strategy, data=None) -> UploadSession`` (the registry
      creates one before ``registry_offer_upload``; a strategy may open more, e.g. per part);
      ``get_session(session_id) -> UploadSession`` (:class:`tiffin.exceptions.NotFound` when
      unknown or closed); ``update_session(session_id, data)`` replaces its ``data`` and marks it
      alive; ``abort_session(session_id)`` closes it and removes its staged object.

    Auth and signing:

    - ``async authorize(request, scope)``: raise :class:`tiffin.exceptions.Unauthorized` or
      :class:`tiffin.exceptions.Forbidden` unless the request's bearer token has ``scope``
      (``"read"`` or ``"write"``; anonymous registries allow all).
    - ``sign(message, expires_s) -> str`` and ``verify_signature(message, signature) -> bool``:
      HMAC-SHA256 with a secret every replica shares (kept in the database), for URLs the
      registry serves itself without a token (presigned URLs on local storage).
    """

    storage_url: str
    backend: StorageBackend


@hookspec
def register_transfer_strategies(register: Callable[[TransferStrategy], None]) -> None:
    """Register transfer strategies.

    :param register: call ``register(strategy)`` once per :class:`TransferStrategy`; a name
        registered twice is a warning and the first wins (the built-in ``proxy`` comes first).

    Called once per process when a client pushes or pulls, and when a registry starts (which
    offers, and mounts the routes of, every strategy with a registry side).
    """


# ---------------------------------------------------------------------------------------------
# IO descriptors
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class IODescriptorProtocol(Protocol):
    """What an IO descriptor is: how one API's request or response body becomes a value and back.

    Subclass :class:`tiffin.io.IODescriptor` (it implements everything below but ``decode``,
    ``encode``, ``openapi_schema`` and ``to_spec`` from those four) and register the class. The
    same methods serve the server (request in, response out), ``tiffin run``, and
    :class:`tiffin.client.Client`, which rebuilds each API's descriptors from ``/docs.json``
    (``x-tiffin-io``: the output of ``to_spec``) and calls ``encode`` on the input and ``decode``
    on the answer, so a third-party descriptor installed on both sides works from the client.
    Test one with :class:`tiffin.testing.IODescriptorContract`.

    Required:

    - ``media_types: tuple[str, ...]``: the media types ``decode`` accepts; the first is the
      default, read for a request without ``Content-Type``, and what ``encode`` should answer in.
    - ``decode(data: bytes, media_type: str | None, filename: str | None = None) -> Any``: a
      request body, a response body (on the client) or a multipart part to the native value;
      ``media_type`` is one of ``media_types`` or ``None`` (the default). Bad bytes raise
      :class:`tiffin.exceptions.BadInput` with one line saying what was wrong and what to send:
      the server answers it as a 400. Called on the serving hot path: keep it lean.
    - ``encode(value) -> tuple[bytes, str, dict[str, str]]``: a native value to ``(body,
      media type, extra headers)``; ``decode(*encode(v)[:2])`` gives back a value equal to ``v``.
      A value of the wrong kind raises :class:`tiffin.exceptions.TiffinError` (the API
      function's fault when it is returned by one: a 500).
    - ``openapi_schema() -> dict``: the JSON schema (OpenAPI 3.0 dialect) of the default media
      type's body; ``/docs.json`` must stay valid OpenAPI 3.0 with it.
    - ``to_spec() -> dict``: ``{"type": ClassName, "args": {...}}``, JSON-able; the classmethod
      ``from_spec(spec)`` builds an equal descriptor from it (stored in ``bento.yaml``, published
      in ``/docs.json``, used by the client).

    Provided by :class:`tiffin.io.IODescriptor` (override for more than one body format):
    ``from_http(request)`` / ``to_http(value)`` (the server's hot path, built on ``decode`` and
    ``encode``), ``from_cli(data, filename)`` / ``to_cli(value)``, ``accepts(media_type)``,
    ``media_type_for_file(filename)``, ``openapi_request_body()`` / ``openapi_responses()``,
    the classmethod ``from_sample(sample, **kwargs)`` and ``set_example(sample)``.
    ``input_kwargs = True`` makes the server call the API function with the decoded mapping as
    keyword arguments (Multipart).

    Optional capability, tensors (the Open Inference Protocol, KServe V2; see
    :mod:`tiffin.io` for :class:`~tiffin.io.Tensor` and :class:`~tiffin.io.TensorSpec`): an API
    whose input and output descriptors both have it is also the V2 model named after the API.

    - ``tensor_specs(role: str) -> list[TensorSpec]``: the tensors this descriptor reads (as an
      API's input, ``role="input"``) or writes (``role="output"``): name, V2 datatype, shape
      (``-1``: any size). Stated in the V2 model metadata; an empty list means "any".
    - ``from_tensors(tensors: list[Tensor]) -> Any``: decoded request tensors (numpy arrays,
      ``BYTES`` as object arrays of ``bytes``) to the value the API function takes; a tensor of
      the wrong name, datatype or shape raises :class:`~tiffin.exceptions.BadInput` (a 400).
    - ``to_tensors(value, role: str) -> list[Tensor]``: the API function's return value to
      response tensors.
    """

    media_types: tuple[str, ...]

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any: ...

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]: ...

    def openapi_schema(self) -> dict[str, Any]: ...

    def to_spec(self) -> dict[str, Any]: ...


@hookspec
def register_io_descriptors(register: Callable[[type], None]) -> None:
    """Register IO descriptor classes (subclasses of :class:`tiffin.io.IODescriptor`).

    Each class implements :class:`IODescriptorProtocol`.

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


# ---------------------------------------------------------------------------------------------
# Batch engines
# ---------------------------------------------------------------------------------------------


@runtime_checkable
class BatchEngine(Protocol):
    """Runs one ``tiffin batch`` job: scores a dataset through an API, writes the predictions.

    Required:

    - ``name``: what ``tiffin batch --engine NAME`` selects (``"local"`` is built in,
      ``"ray"`` comes from ``tiffin-ray``).
    - ``run(job) -> BatchResult``: run the :class:`tiffin.batch.BatchJob` ``job`` to the end
      and return a :class:`tiffin.batch.BatchResult`; raise
      :class:`tiffin.exceptions.TiffinError` with one readable line for anything the user can
      fix. The job hands the engine everything it needs to give the local engine's answers:
      ``job.sources()`` (the input files and their format), ``job.scorer()`` (a picklable
      object that loads the service once per process with ``open()`` and scores one Arrow
      batch with ``score(batch)``, exactly as the server would), ``job.bento()`` (the bento the
      target names, or ``None`` for a service file or module) and ``job.open_sink()`` (the
      output, written atomically and in order).
    """

    name: str

    def run(self, job: BatchJob) -> BatchResult: ...


@hookspec
def register_batch_engines(register: Callable[[BatchEngine], None]) -> None:
    """Register batch engines for ``tiffin batch --engine NAME``.

    :param register: call ``register(engine)`` once per :class:`BatchEngine`. A name registered
        twice is a warning naming both plugins; the first registered (the built-in ``local``
        engine first) wins.

    Called once per process, the first time ``tiffin batch`` (or :func:`tiffin.batch.run`)
    looks an engine up.
    """


# ---------------------------------------------------------------------------------------------
# Remotes
# ---------------------------------------------------------------------------------------------
#
# A *remote* is a place, named by a URL, that holds versions of models and bentos away from
# this machine: the tiffin registry (``http://``, ``https://``, built into core) or an OCI
# registry (``oci://``, from ``tiffin-oci``). Push, pull, ``--remote`` listings, auto-pull and
# ``BentoModel`` all reach a remote through this hook; nothing else in tiffin knows which kind
# of remote it talks to. The values below are what core and a remote hand each other; they are
# public and stable (``tiffin.store`` re-exports them).

#: The two kinds of stored thing, spelled once: a model and a bento.
KINDS: tuple[str, ...] = ("model", "bento")


@attrs.frozen
class TransferOptions:
    """How one copy (push, pull, export, import) runs; one value for every door onto it.

    - ``force``: replace a version the destination already has (push: a different manifest;
      pull: download again even when stored locally).
    - ``threads``: files (blobs) moved at once, a positive int.
    - ``strategy``: force one transfer strategy by name (``"proxy"``, ``"multipart"``...);
      ``None`` lets the client and the remote choose. A remote without strategies ignores it.
    - ``progress``: ``progress(done_bytes, total_bytes)``, called from any thread as bytes move.
    - ``with_models``: bentos only: also move (push) or store (pull) the models it carries.
    - ``bare``: push the manifest only (no file contents); the remote records the version as
      bare and a pull of it says what is missing.
    """

    force: bool = False
    threads: int = 10
    strategy: str | None = None
    progress: Callable[[int, int], None] | None = None
    with_models: bool = True
    bare: bool = False


@attrs.define
class TransferSummary:
    """What one copy did; a remote fills in the counters of the versions it moved.

    ``action`` is ``"push"``, ``"pull"``, ``"export"`` or ``"import"``; ``tags`` the exact
    ``name:version`` moved (a bento's models included); ``files`` the files they list;
    ``files_sent``/``bytes_sent`` what crossed to the destination this time;
    ``files_skipped``/``bytes_skipped`` what the destination had already (or was copied from
    the local store); ``bytes_resumed`` what an interrupted earlier transfer had already moved;
    ``seconds`` wall time; ``unchanged`` versions that were already there identically (no-op);
    ``strategies`` blobs moved per strategy name; ``bare`` versions pushed without contents
    (core fills it).
    """

    action: str
    tags: list[str] = attrs.Factory(list)
    files: int = 0
    files_sent: int = 0
    files_skipped: int = 0
    bytes_sent: int = 0
    bytes_skipped: int = 0
    bytes_resumed: int = 0
    seconds: float = 0.0
    unchanged: list[str] = attrs.Factory(list)
    strategies: dict[str, int] = attrs.Factory(dict)
    bare: list[str] = attrs.Factory(list)


@attrs.frozen
class RemoteVersion:
    """One version as a remote holds it (what ``list_versions`` and ``get_version`` return).

    ``kind`` is ``"model"`` or ``"bento"``; ``manifest`` the exact bytes of its ``model.yaml`` /
    ``bento.yaml`` (the file list with sizes and sha256s; core verifies every file against it);
    ``size`` the total bytes of its files; ``created_at`` an ISO 8601 string or ``None``;
    ``labels`` as the remote shows them now; ``bare`` whether only the manifest was pushed;
    ``details`` other plain fields the remote shows about it (``framework``, ``service``...).
    Listings may leave ``manifest`` empty (``b""``); ``get_version`` always fills it.
    """

    kind: str
    name: str
    version: str
    manifest: bytes = b""
    size: int = 0
    created_at: str | None = None
    labels: dict[str, str] = attrs.Factory(dict)
    bare: bool = False
    details: dict[str, Any] = attrs.Factory(dict)

    @property
    def tag(self) -> str:
        """``name:version``."""
        return f"{self.name}:{self.version}"


@runtime_checkable
class StoredFile(Protocol):
    """One file of a version, as listed in its manifest: ``path`` (posix, relative to the
    version folder), ``size`` and ``sha256`` (hex)."""

    @property
    def path(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str: ...


@runtime_checkable
class RemoteStore(Protocol):
    """A remote opened for one URL: list, get, push, pull and delete versions of a kind.

    ``kind`` is always one of :data:`KINDS`; a ``tag`` is ``"name"``, ``"name:latest"``,
    ``"name:version"`` or a unique version prefix. Errors are :class:`tiffin.exceptions.TiffinError`
    subclasses with one readable line: :class:`~tiffin.exceptions.NotFound` for an unknown name
    or version, :class:`~tiffin.exceptions.Conflict` for a different version already there,
    :class:`~tiffin.exceptions.RegistryUnreachable` when nothing answers,
    :class:`~tiffin.exceptions.Unauthorized` / :class:`~tiffin.exceptions.Forbidden`.
    Never put a token in a message.

    - ``url``: the remote's URL as given (no credentials in it).
    - ``list_versions(kind, name=None, labels=None) -> list[RemoteVersion]``: every version
      (of ``name``, carrying every ``labels`` pair), newest first.
    - ``get_version(kind, tag) -> RemoteVersion``: the version ``tag`` names (``latest`` is the
      newest).
    - ``push_version(kind, folder, manifest, files, options, summary) -> None``: make the
      remote hold the version whose files are under ``folder`` and whose exact manifest bytes are
      ``manifest`` (``files`` is its file list): send only what the remote lacks, then commit the
      version last, so it is visible whole or not at all. The same manifest already there adds
      the tag to ``summary.unchanged``; a different one is a ``Conflict`` unless
      ``options.force``. With ``options.bare`` send no file contents. Add what moved to
      ``summary`` (``files_sent``, ``bytes_sent``, ``files_skipped``, ``bytes_skipped``,
      ``bytes_resumed``, ``strategies``).
    - ``pull_version(version, folder, files, options, summary) -> None``: write every one of
      ``files`` of ``version`` (from ``get_version``) under ``folder`` (an empty staging folder
      core commits afterwards; core writes the manifest itself). A file whose sha256 or size
      does not match must not be left there. Core hashes each file again before it commits,
      unless the store declares ``verifies_digests = True`` (it checked every file's size and
      sha256 itself, as the tiffin registry's client does).
      Update ``summary`` as for a push (``bytes_sent``: bytes received).
    - ``delete_version(kind, tag) -> None``.
    - ``close() -> None``: release connections.

    Optional (checked with :func:`has_capability`): ``set_labels(kind, tag, to_set, to_remove)
    -> RemoteVersion`` changes a version's labels after a push (``tiffin models label
    --remote``); ``verifies_digests = True`` (see ``pull_version``).
    """

    url: str

    def list_versions(
        self, kind: str, name: str | None = None, labels: dict[str, str] | None = None
    ) -> list[RemoteVersion]: ...

    def get_version(self, kind: str, tag: str) -> RemoteVersion: ...

    def push_version(
        self,
        kind: str,
        folder: Path,
        manifest: bytes,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None: ...

    def pull_version(
        self,
        version: RemoteVersion,
        folder: Path,
        files: Sequence[StoredFile],
        options: TransferOptions,
        summary: TransferSummary,
    ) -> None: ...

    def delete_version(self, kind: str, tag: str) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Remote(Protocol):
    """Opens remote stores for the URL schemes it serves.

    - ``schemes``: lowercase URL schemes (``("oci",)``; core's tiffin registry client serves
      ``("http", "https")``).
    - ``open(url, token) -> RemoteStore``: a store for ``url``; ``token`` is the credential the
      user configured for it (``TIFFIN_REGISTRY_TOKEN`` or ``tiffin registry login``), or
      ``None``. Opening must not touch the network; the first call does.
    """

    schemes: tuple[str, ...]

    def open(self, url: str, token: str | None) -> RemoteStore: ...


@hookspec
def register_remotes(register: Callable[[Remote], None]) -> None:
    """Register remotes: which URL schemes push, pull, ``--remote`` and auto-pull can reach.

    :param register: call ``register(remote)`` once per :class:`Remote`. A scheme claimed twice
        is a warning naming both plugins; the first registered (core's ``http``/``https``
        first) wins.

    Called once per process, the first time a remote URL is opened (push, pull, a ``--remote``
    listing, auto-pull). The URL comes from ``TIFFIN_REGISTRY_URL`` or ``tiffin registry login``.
    """


__all__ += [
    "KINDS",
    "Remote",
    "RemoteStore",
    "RemoteVersion",
    "StoredFile",
    "TransferOptions",
    "TransferSummary",
]
