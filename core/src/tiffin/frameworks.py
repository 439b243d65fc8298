"""The base class of every framework adapter: a plugin writes only what its framework needs.

A framework plugin subclasses :class:`FrameworkAdapter` and implements three methods
(``framework_version``, ``save``, ``load``). The base class turns them into the user-facing
``tiffin.<name>.save_model / load_model / get`` and the runnable behind ``Model.to_runner()``,
so every framework validates, stores and reports errors the same way. The contract it
satisfies is :class:`tiffin.hookspecs.FrameworkAdapterProtocol`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from tiffin.exceptions import InvalidArgument, PluginError

if TYPE_CHECKING:
    from tiffin._model import Model
    from tiffin._runner import Runnable
    from tiffin.store.tag import Tag

R = TypeVar("R", bound="Runnable")

__all__ = [
    "FrameworkAdapter",
    "SupportsSignatureTarget",
    "add_signature_methods",
    "cpu_threads",
]


@runtime_checkable
class SupportsSignatureTarget(Protocol):
    """Optional adapter capability: what is saved is not what is called.

    Most frameworks save the object whose methods the signatures name (an estimator has
    ``predict``). Some save a description that only becomes callable once loaded: an ONNX
    graph (``onnx.ModelProto``) runs in an ``onnxruntime.InferenceSession``; a SavedModel
    runs once restored. An adapter for such a format implements ``signature_target``, and then:

    - ``save_model`` checks the signatures on ``signature_target(load(saved))`` (it loads
      what it just saved, before committing) instead of on the object it was given;
    - the default runnable calls the signatures on ``signature_target(load(model))``;
    - :class:`tiffin.testing.FrameworkContract` predicts on it too.
    """

    def signature_target(self, loaded: Any) -> Any:
        """The object whose methods the saved signatures name, given what ``load`` returned."""
        ...


class FrameworkAdapter(abc.ABC):
    """Saves and loads one framework's models; ``tiffin.<name>`` is an instance of a subclass.

    Class attributes:

    - ``name``: the plugin's name (``"sklearn"``): the entry-point name, ``tiffin.<name>`` and
      every saved model's ``info.framework``.
    - ``distribution``: the package that provides it (``"tiffin-sklearn"``), for messages.
    - ``supports_cpu_multi_threading``: whether one loaded model may be called from several
      threads at once (the runner then serves it in-process).
    """

    name: ClassVar[str]
    distribution: ClassVar[str] = ""
    supports_cpu_multi_threading: ClassVar[bool] = True
    #: keyword arguments of ``save_model`` specific to this framework, handed to :meth:`save`
    #: in its ``options`` (never recorded unless ``save`` returns them)
    save_options: ClassVar[frozenset[str]] = frozenset()

    # -- what a plugin implements --------------------------------------------------------------

    @abc.abstractmethod
    def framework_version(self) -> str:
        """The installed framework's version, recorded in every manifest."""

    @abc.abstractmethod
    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        """Write ``model``'s files into the existing folder ``path``.

        Return options to record in the manifest (read back by :meth:`load` from
        ``model.info.options``), or ``None``.
        """

    @abc.abstractmethod
    def load(self, model: Model, **kwargs: Any) -> Any:
        """Rebuild the framework object from the stored ``model`` (``model.path``)."""

    # -- what a plugin may override ------------------------------------------------------------

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        """The signatures saved when the user gives none."""
        return {"predict": {"batchable": False}}

    def input_shape(self, model: Any) -> tuple[int, ...] | None:
        """The shape the model's methods take as first argument, ``-1`` for any size, if known.

        Recorded in each saved signature that names none, and checked by the runner: a call
        whose first argument has another shape is a 400, not a framework error. The default:
        unknown (``None``), nothing checked.
        """
        return None

    def accepts(self, obj: Any) -> bool:
        """Whether this adapter can save ``obj``; the default accepts anything."""
        return True

    def runtime_requirements(self, model: Model) -> list[str]:
        """Distributions the saved ``model`` needs at load time besides the framework itself.

        A bento's requirements include them (pinned to the installed version when locked):
        scikit-learn for a model saved through a framework's scikit-learn API, for example.
        The default: none.
        """
        return []

    def runnable(self, model: Model) -> type[Runnable]:
        """The :class:`tiffin.Runnable` behind ``model.to_runner()``: one method per signature.

        Its ``__init__`` loads the model with :meth:`load` (keyword arguments go to ``load``)
        into ``self._loaded`` (through ``signature_target`` for an adapter that has it, see
        :class:`SupportsSignatureTarget`); each method calls that object's method of the same
        name.
        """
        from tiffin._runner import Runnable

        adapter = self

        def __init__(runnable: Any, **load_kwargs: Any) -> None:
            Runnable.__init__(runnable)
            runnable._loaded = adapter.callable_model(adapter.load(model, **load_kwargs))

        def _call(runnable: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return getattr(runnable._loaded, method)(*args, **kwargs)

        namespace: dict[str, Any] = {
            "__init__": __init__,
            "_call": _call,
            "__doc__": f"Serves the {adapter.name} model {model.tag}.",
            "SUPPORTED_RESOURCES": ("cpu",),
            "SUPPORTS_CPU_MULTI_THREADING": adapter.supports_cpu_multi_threading,
        }
        class_name = "".join(part.capitalize() for part in _words(adapter.name)) + "Runnable"
        return add_signature_methods(type(class_name, (Runnable,), namespace), model)

    # -- what users call: tiffin.<name>.save_model / load_model / get ---------------------------

    def save_model(
        self,
        name: str,
        model: Any,
        *,
        signatures: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
        metadata: dict[str, Any] | None = None,
        custom_objects: dict[str, Any] | None = None,
        **save_options: Any,
    ) -> Model:
        """Save ``model`` into the local model store as a new version of ``name``.

        ``signatures`` maps method names to ``{"batchable": bool, "batch_dim": int}``; each
        must be a method of ``model`` (of what it loads back as, for an adapter with
        :class:`SupportsSignatureTarget`). ``save_options`` are the adapter's own keyword
        arguments (see its ``save_options``). Nothing is stored when anything fails.
        """
        import attrs

        from tiffin import models
        from tiffin._signature import convert_signatures
        from tiffin.store.tag import validate_name

        validate_name(name.partition(":")[0] if isinstance(name, str) else name, what="model name")
        unknown = sorted(set(save_options) - self.save_options)
        if unknown:
            allowed = ", ".join(sorted(self.save_options)) or "none"
            raise InvalidArgument(
                f"tiffin.{self.name}.save_model got unexpected keyword arguments {unknown}; "
                f"its own options are: {allowed}"
            )
        if model is None:
            raise InvalidArgument(f"tiffin.{self.name}.save_model({name!r}, model): model is None")
        if not self.accepts(model):
            raise InvalidArgument(
                f"tiffin.{self.name} cannot save a {_type_name(model)}; "
                f"{_suggest_adapter(model, exclude=self.name)}"
            )
        if signatures is None:
            signatures = self.default_signatures(model)
        converted = convert_signatures(signatures)
        if not converted:
            raise InvalidArgument(
                f"signatures is empty: name at least one method of the {_type_name(model)}, "
                f"like {{'predict': {{'batchable': False}}}}"
            )
        called_later = isinstance(self, SupportsSignatureTarget)
        if not called_later:
            _check_signature_methods(model, converted)
        shape = self.input_shape(model)
        if shape is not None:
            converted = {
                method: sig if sig.input_shape is not None else attrs.evolve(sig, input_shape=shape)
                for method, sig in converted.items()
            }

        version = self.framework_version()
        if not isinstance(version, str) or not version:
            raise PluginError(
                f"the {self.name!r} framework adapter{self._from()} broke the contract: "
                f"framework_version() returned {version!r}, not a version string"
            )
        with models.create(
            name,
            labels=labels,
            metadata=metadata,
            signatures=converted,
            custom_objects=custom_objects,
            framework=self.name,
            framework_version=version,
        ) as stored:
            extra = self.save(model, Path(stored.path), {**stored.info.options, **save_options})
            if extra is not None and not isinstance(extra, Mapping):
                raise PluginError(
                    f"the {self.name!r} framework adapter{self._from()} broke the contract: "
                    f"save() returned a {type(extra).__name__}, not a dict of options or None; "
                    f"nothing was stored"
                )
            if extra:
                stored.info = attrs.evolve(stored.info, options={**stored.info.options, **extra})
            if called_later:  # what is saved is not what is called: check what loads back
                _check_signature_methods(self.callable_model(self.load(stored)), converted)
        return stored  # create() pointed it at the committed version

    def _from(self) -> str:
        return f" (from {self.distribution})" if self.distribution else ""

    def get(self, tag: str | Tag) -> Model:
        """The stored model ``tag``, which must have been saved by this framework."""
        from tiffin import models

        return self._check_framework(models.get(tag))

    def load_model(self, tag_or_model: str | Tag | Model, **kwargs: Any) -> Any:
        """The framework object saved as ``tag_or_model``; ``kwargs`` go to the adapter."""
        from tiffin._model import Model

        if isinstance(tag_or_model, Model):
            model = self._check_framework(tag_or_model)
        else:
            model = self.get(tag_or_model)
        return self.load(model, **kwargs)

    def callable_model(self, loaded: Any) -> Any:
        """The object the saved signatures are called on, given what :meth:`load` returned:
        ``loaded`` itself, or ``signature_target(loaded)`` for an adapter that has that
        capability (:class:`SupportsSignatureTarget`)."""
        if isinstance(self, SupportsSignatureTarget):
            return self.signature_target(loaded)
        return loaded

    def _check_framework(self, model: Model) -> Model:
        other = model.info.framework
        if other != self.name:
            from tiffin._plugins import CUSTOM_FRAMEWORK

            hint = (
                "it was saved with tiffin.models.create: use tiffin.models.get and read its files "
                "from model.path"
                if other == CUSTOM_FRAMEWORK
                else f"use tiffin.{other}.load_model / tiffin.{other}.get, or tiffin.models.get"
            )
            raise InvalidArgument(
                f"model {model.tag} was saved by the {other!r} framework, not {self.name!r}; {hint}"
            )
        return model

    def __repr__(self) -> str:
        dist = f" from {self.distribution}" if self.distribution else ""
        return f"<tiffin framework adapter {self.name!r}{dist}>"


def add_signature_methods(runnable: type[R], model: Model) -> type[R]:
    """Give ``runnable`` one runner method per signature saved with ``model``; return it.

    For an adapter whose runnable is its own :class:`tiffin.Runnable` subclass (devices,
    threads, conversions) rather than the default of :meth:`FrameworkAdapter.runnable`. Each
    method carries every field of its saved signature (``batchable``, ``batch_dim``,
    ``input_spec``, ``output_spec``, ``input_shape``: a call of the wrong shape is a 400) and
    calls ``self._call(method_name, args, kwargs)``, which ``runnable`` defines.
    """
    for method_name, signature in model.info.signatures.items():
        runnable.add_method(
            _forward(method_name),
            method_name,
            batchable=signature.batchable,
            batch_dim=signature.batch_dim,
            input_spec=signature.input_spec,
            output_spec=signature.output_spec,
            input_shape=signature.input_shape,
        )
    return runnable


def _check_signature_methods(target: Any, signatures: Mapping[str, Any]) -> None:
    for method in signatures:
        if not callable(getattr(target, method, None)):
            available = _public_methods(target)
            raise InvalidArgument(
                f"signature {method!r}: the {_type_name(target)} has no method {method!r}; "
                f"name one of its methods ({', '.join(available) or 'none found'})"
            )


def _forward(method_name: str) -> Any:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._call(method_name, args, kwargs)

    call.__name__ = call.__qualname__ = method_name
    return call


def _words(name: str) -> list[str]:
    return [w for w in name.replace("-", "_").replace(".", "_").split("_") if w]


def _type_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _public_methods(obj: Any) -> list[str]:
    names = []
    for attr in dir(obj):
        if attr.startswith("_"):
            continue
        try:
            if callable(getattr(obj, attr)):
                names.append(attr)
        except Exception:  # properties that raise when unfitted, for example
            continue
    return names[:20]


def _suggest_adapter(obj: Any, *, exclude: str) -> str:
    from tiffin import _plugins

    for name, adapter in sorted(_plugins.frameworks().items()):
        accepts = getattr(type(adapter), "accepts", None)
        if name == exclude or not callable(accepts) or accepts is FrameworkAdapter.accepts:
            continue  # the default accepts anything: no evidence for a suggestion
        try:
            if accepts(adapter, obj):
                return f"use tiffin.{name}.save_model"
        except Exception:
            continue
    return "no installed framework adapter accepts it (see `tiffin plugins`)"


def cpu_threads(resources: Mapping[str, Any] | None) -> int | None:
    """Threads a framework should use for a runner given ``{"cpu": n}``: ``ceil(n)``, at least
    1; ``None`` when no CPU count was asked for (the framework's own default then)."""
    import math

    cpu = (resources or {}).get("cpu")
    if cpu is None:
        return None
    try:
        return max(1, math.ceil(float(cpu)))
    except (TypeError, ValueError):
        raise InvalidArgument(f"resources['cpu'] must be a number of cores, got {cpu!r}") from None
