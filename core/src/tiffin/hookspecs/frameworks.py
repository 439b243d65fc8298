"""Framework adapters: ``register_frameworks`` and what an adapter must do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tiffin.hookspecs._markers import hookspec

__all__ = [
    "FrameworkAdapterProtocol",
    "StoredModel",
    "StoredModelInfo",
    "SupportsAcceptsModel",
    "SupportsDefaultSignatures",
    "SupportsFrameworkBatching",
    "SupportsRunnable",
    "register_frameworks",
]


@runtime_checkable
class StoredModelInfo(Protocol):
    """The manifest fields an adapter reads from a stored model (``model.info``)."""

    name: str
    version: str
    framework: str
    options: dict[str, Any]
    metadata: dict[str, Any]


@runtime_checkable
class StoredModel(Protocol):
    """What an adapter's ``load`` receives: a model in the store (a :class:`tiffin.Model`).

    ``path`` is its folder (the files ``save`` wrote); ``info.options`` the dict ``save``
    returned; ``tag`` its ``name:version``.
    """

    @property
    def path(self) -> Path: ...

    @property
    def info(self) -> Any: ...

    @property
    def tag(self) -> Any: ...


@runtime_checkable
class FrameworkAdapterProtocol(Protocol):
    """Saves and loads one ML framework's models; ``tiffin.<name>`` resolves to it.

    Subclass :class:`tiffin.frameworks.FrameworkAdapter`, which implements this protocol's
    user-facing half (``save_model``, ``load_model``, ``get``) on top of the four members below,
    so a plugin writes only what is specific to its framework.

    Required:

    - ``name``: the plugin's name (``"sklearn"``); it is the model's ``info.framework`` and the
      attribute ``tiffin.<name>``.
    - ``framework_version()``: the installed framework's version, recorded in each manifest.
    - ``save(model, path, options)``: write the model's files into the existing directory
      ``path``; return a dict of options to record in the manifest (or ``None``), for example
      the wrapper class, so ``load`` can rebuild the same kind of object.
    - ``load(model, **kwargs)``: rebuild the framework object from a :class:`StoredModel`
      (``model.path``, ``model.info.options``); ``kwargs`` are the user's extra arguments to
      ``load_model`` (``device_id="cuda:0"``).

    Optional capabilities, each a small protocol checked with ``isinstance``:
    :class:`SupportsDefaultSignatures`, :class:`SupportsAcceptsModel`,
    :class:`SupportsRunnable`, :class:`SupportsFrameworkBatching`.
    """

    name: str

    def framework_version(self) -> str: ...

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None: ...

    def load(self, model: StoredModel, **kwargs: Any) -> Any: ...


@runtime_checkable
class SupportsDefaultSignatures(Protocol):
    """``default_signatures(model)``: the signatures used when the user gives none
    (``{"predict": {"batchable": False}}``)."""

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]: ...


@runtime_checkable
class SupportsAcceptsModel(Protocol):
    """``accepts(obj)``: whether this adapter knows how to save ``obj``."""

    def accepts(self, obj: Any) -> bool: ...


@runtime_checkable
class SupportsRunnable(Protocol):
    """``runnable(model)``: the :class:`tiffin.Runnable` class behind ``Model.to_runner()``."""

    def runnable(self, model: StoredModel) -> type: ...


@runtime_checkable
class SupportsFrameworkBatching(Protocol):
    """How to concatenate and split this framework's own values along ``batch_dim`` when no
    registered data container knows their type."""

    def batch(self, values: Sequence[Any], batch_dim: int) -> tuple[Any, list[int]]: ...

    def split(self, batch: Any, sizes: Sequence[int], batch_dim: int) -> list[Any]: ...


@hookspec
def register_frameworks(register: Callable[[FrameworkAdapterProtocol], None]) -> None:
    """Register framework adapters.

    :param register: call ``register(adapter)`` once per adapter (an instance of a
        :class:`tiffin.frameworks.FrameworkAdapter` subclass, which satisfies
        :class:`FrameworkAdapterProtocol`).
        Core refuses, with a warning (an error under ``TIFFIN_STRICT_PLUGINS=1``), a class
        instead of an instance, an adapter that lacks a required member, whose ``name`` is not a
        lowercase identifier or is a name tiffin itself uses (``models``, ``io``, ...), or whose
        name another plugin already registered (the warning names both plugins; the first
        registered is kept).

    Called once per process, the first time anything asks for a framework (``tiffin.sklearn``,
    loading a model, ``tiffin plugins``). All implementations are called; order carries no
    meaning.
    """
