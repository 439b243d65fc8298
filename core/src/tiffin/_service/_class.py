"""Services as classes: ``@tiffin.service``, ``@tiffin.api`` and ``tiffin.depends``.

``@tiffin.service`` turns a class into a :class:`ClassService`, a :class:`tiffin.Service`
whose APIs are the class's ``@tiffin.api`` methods. Everything that serves, runs, builds or
scores a ``tiffin.Service`` therefore takes a class service as it is. One instance of the class
is made per process, when the server starts (or on first use in plain Python); each API calls
its method on it with the request's fields as keyword arguments. A batchable API's method is
served by an in-process :class:`tiffin.Runner` of its own, so concurrent calls are batched by
the same adaptive dispatcher as a runner's (same metrics, same 503 past ``max_latency_ms``).
The ``@tiffin.api`` marks live in :mod:`._api`, the ``traffic=`` gate in :mod:`._traffic`.
"""

from __future__ import annotations

import inspect
import mimetypes
import pathlib
import threading
import typing
from collections.abc import Callable
from typing import Any, overload

from tiffin._runner import Runnable, Runner
from tiffin._service._api import API_ATTR, APIConfig, api
from tiffin._service._bento_model import BentoModel
from tiffin._service._context import Context
from tiffin._service._service import Service
from tiffin._service._traffic import Gate, check_traffic
from tiffin.exceptions import InvalidArgument
from tiffin.io._annotations import arguments_descriptor, field_for, output_descriptor
from tiffin.io._file import NamedBytesIO
from tiffin.store.tag import validate_name

__all__ = ["APIConfig", "ClassService", "Dependency", "api", "depends", "service"]


class Dependency:
    """``pre = tiffin.depends(Preprocess)``: the other service, called in this process.

    On an instance, the attribute is the other service's instance (made once per process), so
    ``self.pre.method(x)`` is a method call; ``self.pre.to_async.method(x)`` awaits it in a
    thread, and ``self.pre.to_sync`` is the instance itself (BentoML's spelling).
    """

    def __init__(self, on: ClassService) -> None:
        if not isinstance(on, ClassService):
            raise InvalidArgument(f"tiffin.depends() takes a @tiffin.service class, got {on!r}")
        self.on = on
        self.attr: str | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return _Local(self.on.get_instance())

    def __repr__(self) -> str:
        return f"tiffin.depends({self.on.inner.__name__})"


class _Local:
    """A dependency's instance, plus ``to_async`` / ``to_sync`` as BentoML's handles have."""

    __slots__ = ("_instance",)

    def __init__(self, instance: Any) -> None:
        self._instance = instance

    def __getattr__(self, name: str) -> Any:
        return getattr(self._instance, name)

    @property
    def to_sync(self) -> Any:
        return self._instance

    @property
    def to_async(self) -> Any:
        return _AsyncView(self._instance)


class _AsyncView:
    __slots__ = ("_instance",)

    def __init__(self, instance: Any) -> None:
        self._instance = instance

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._instance, name)
        if inspect.iscoroutinefunction(method):
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            # starlette (heavy) loads on the first awaited call, not when tiffin is imported
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(method, *args, **kwargs)

        return call


def depends(on: Any) -> Any:
    """Compose services: ``pre = tiffin.depends(Preprocess)`` in a ``@tiffin.service`` class."""
    return Dependency(on)


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # an annotation naming something not importable: use what is written
        return dict(getattr(func, "__annotations__", {}))


def _is_context(annotation: Any) -> bool:
    return annotation is Context or (
        isinstance(annotation, str) and annotation.split(".")[-1] == "Context"
    )


class ClassService(Service):
    """A ``@tiffin.service`` class as a :class:`tiffin.Service`.

    ``svc()`` makes an instance of the class (as BentoML's services do); ``svc.inner`` is the
    class; attributes the service does not have come from the class.
    """

    def __init__(
        self,
        inner: type,
        *,
        name: str | None = None,
        resources: dict[str, Any] | None = None,
        traffic: dict[str, Any] | None = None,
        workers: int | None = None,
        **config: Any,
    ) -> None:
        if name is None:
            name = inner.__name__.lower()
            try:
                validate_name(name, what="service name")
            except InvalidArgument:
                raise InvalidArgument(
                    f"the class name {inner.__name__!r} does not make a valid service name; pass "
                    f"@tiffin.service(name=...) (lowercase letters, digits, '-', '.' and '_')"
                ) from None
        super().__init__(name)
        self.inner = inner
        if resources is not None and not isinstance(resources, dict):
            raise InvalidArgument(f"service {name!r}: resources= must be a dict, got {resources!r}")
        self.resources: dict[str, Any] = dict(resources or {})
        self.traffic = check_traffic(traffic, name)
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise InvalidArgument(
                f"service {name!r}: workers= must be a positive integer, got {workers!r}"
            )
        self.workers = workers
        self.config = dict(config)
        self._instance: Any = None
        self._lock = threading.RLock()
        self.dependencies: dict[str, ClassService] = {}
        self.bento_models: list[Any] = []
        self._gate: Gate | None = None
        if (
            self.traffic.get("timeout") is not None
            or self.traffic.get("max_concurrency") is not None
        ):
            self._gate = Gate(
                name, self.traffic.get("timeout"), self.traffic.get("max_concurrency")
            )
        self._scan()
        self.on_deployment(self._resolve_models)
        self.on_startup(self._startup)

    # -- the class -------------------------------------------------------------------------------

    def _scan(self) -> None:
        seen: set[str] = set()
        for klass in self.inner.__mro__:
            for attr, value in vars(klass).items():
                if attr in seen:
                    continue
                seen.add(attr)
                if isinstance(value, Dependency):
                    self.dependencies[attr] = value.on
                elif isinstance(value, BentoModel):
                    self.bento_models.append(value)
        for attr in sorted(seen, key=_definition_order(self.inner)):
            func = getattr(self.inner, attr, None)
            config = getattr(func, API_ATTR, None)
            if isinstance(config, APIConfig) and callable(func):
                self._add_api(attr, func, config)

    def _add_api(self, attr: str, func: Callable[..., Any], config: APIConfig) -> None:
        hints = _hints(func)
        params = list(inspect.signature(func).parameters.values())[1:]  # drop ``self``
        fields = {}
        ctx_name: str | None = None
        for param in params:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise InvalidArgument(
                    f"API {attr!r} of {self.inner.__name__}: *{param.name} parameters cannot come "
                    f"from a request; name each parameter"
                )
            annotation = hints.get(param.name, param.annotation)
            if _is_context(annotation):
                ctx_name = param.name
                continue
            try:
                fields[param.name] = field_for(param.name, annotation, param.default)
            except InvalidArgument as exc:
                raise InvalidArgument(f"API {attr!r} of {self.inner.__name__}: {exc}") from None
        input_descriptor = arguments_descriptor(fields)
        output = output_descriptor(func, hints.get("return", inspect.Signature.empty))
        keyed = not input_descriptor.input_kwargs
        key = next(iter(fields)) if keyed else None
        is_async = inspect.iscoroutinefunction(func)
        to_path = type(output).__name__ == "File"
        api_name = config.name or attr

        if config.batchable:
            if not fields:
                raise InvalidArgument(
                    f"API {attr!r} of {self.inner.__name__}: a batchable API needs a parameter "
                    f"to batch"
                )
            method = self._batch_runner(attr, config).methods[attr]
            call: Callable[..., Any]
            if keyed:

                def call(value: Any) -> Any:
                    return method.run(value)

            else:

                def call(**kwargs: Any) -> Any:
                    return method.run(**kwargs)

            call.__signature__ = _signature(keyed, None)  # type: ignore[attr-defined]
            ctx_name = None
        else:
            get = self.get_instance

            if is_async:
                if keyed:

                    async def call(value: Any, **kwargs: Any) -> Any:
                        kwargs[key] = value  # type: ignore[index]
                        return _path_out(await getattr(get(), attr)(**kwargs), to_path)

                else:

                    async def call(**kwargs: Any) -> Any:
                        return _path_out(await getattr(get(), attr)(**kwargs), to_path)

            elif keyed:

                def call(value: Any, **kwargs: Any) -> Any:
                    kwargs[key] = value  # type: ignore[index]
                    return _path_out(getattr(get(), attr)(**kwargs), to_path)

            else:

                def call(**kwargs: Any) -> Any:
                    return _path_out(getattr(get(), attr)(**kwargs), to_path)

            call.__signature__ = _signature(keyed, ctx_name)  # type: ignore[attr-defined]
        if self._gate is not None:
            call = self._gate.wrap(call, inspect.iscoroutinefunction(call), api_name)
        call.__name__ = attr
        call.__qualname__ = f"{self.inner.__qualname__}.{attr}"
        call.__doc__ = func.__doc__
        self.api(
            input=input_descriptor,
            output=output,
            name=api_name,
            route=config.route,
            doc=config.doc,
        )(call)

    def _batch_runner(self, attr: str, config: APIConfig) -> Any:
        get = self.get_instance

        def __init__(runnable: Any) -> None:
            runnable.call = getattr(get(), attr)

        def batch(runnable: Any, *args: Any, **kwargs: Any) -> Any:
            return runnable.call(*args, **kwargs)

        runnable = type(
            f"{self.inner.__name__}_{attr}",
            (Runnable,),
            {
                "SUPPORTED_RESOURCES": ("cpu",),
                "SUPPORTS_CPU_MULTI_THREADING": True,  # in this process: it calls the instance
                "__init__": __init__,
                "__module__": __name__,
                attr: Runnable.method(batch, batchable=True, batch_dim=config.batch_dim),
            },
        )
        runner = Runner(
            runnable,
            name=f"{self.name}.{attr}".lower(),
            max_batch_size=config.max_batch_size,
            max_latency_ms=config.max_latency_ms,
        )
        self.runners.append(runner)
        return runner

    # -- the instance ----------------------------------------------------------------------------

    def get_instance(self) -> Any:
        """The class's instance in this process, made on first use (thread-safe)."""
        instance = self._instance
        if instance is not None:
            return instance
        with self._lock:
            if self._instance is None:
                for dependency in self.dependencies.values():
                    dependency.get_instance()
                self._instance = self.inner()
            return self._instance

    def _resolve_models(self) -> None:
        """Before any worker starts (``tiffin serve``, ``tiffin run``): find or pull every model
        the service and its dependencies name, once, so a missing one is one clear error."""
        for reference in self.all_bento_models():
            reference.resolve()

    def _startup(self) -> None:
        self.get_instance()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """A new instance of the class (BentoML's ``Service.__call__``)."""
        return self.inner(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        inner = self.__dict__.get("inner")
        if inner is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(inner, name)

    def __repr__(self) -> str:
        return f"ClassService({self.inner.__qualname__}, apis={list(self.apis)})"

    # -- what a bento records --------------------------------------------------------------------

    def all_bento_models(self) -> list[Any]:
        """Its ``BentoModel`` attributes and its dependencies', each once."""
        found: dict[str, Any] = {}
        for model in self.bento_models:
            found.setdefault(str(model.tag), model)
        for dependency in self.dependencies.values():
            for model in dependency.all_bento_models():
                found.setdefault(str(model.tag), model)
        return list(found.values())

    def to_spec(self) -> dict[str, Any]:
        spec = super().to_spec()
        spec["class"] = f"{self.inner.__module__}.{self.inner.__qualname__}"
        spec["resources"] = dict(self.resources)
        spec["traffic"] = dict(self.traffic)
        spec["workers"] = self.workers
        spec["dependencies"] = sorted(d.name for d in self.dependencies.values())
        return spec


def _definition_order(cls: type) -> Callable[[str], tuple[int, int]]:
    order: dict[str, tuple[int, int]] = {}
    for depth, klass in enumerate(reversed(cls.__mro__)):
        for index, attr in enumerate(vars(klass)):
            order.setdefault(attr, (depth, index))
    return lambda attr: order.get(attr, (0, 0))


def _signature(keyed: bool, ctx_name: str | None) -> inspect.Signature:
    params = []
    if keyed:
        params.append(inspect.Parameter("value", inspect.Parameter.POSITIONAL_ONLY))
    if ctx_name is not None:
        params.append(
            inspect.Parameter(ctx_name, inspect.Parameter.KEYWORD_ONLY, annotation=Context)
        )
    if not keyed:
        params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _path_out(result: Any, to_path: bool) -> Any:
    """A ``Path`` a file API returned, as the file's bytes with its name and media type."""
    if to_path and isinstance(result, pathlib.PurePath):
        path = pathlib.Path(result)
        return NamedBytesIO(path.read_bytes(), path.name, mimetypes.guess_type(path.name)[0])
    return result


@overload
def service(inner: type, /) -> ClassService: ...
@overload
def service(
    inner: None = None,
    /,
    *,
    name: str | None = None,
    resources: dict[str, Any] | None = None,
    traffic: dict[str, Any] | None = None,
    workers: int | None = None,
    **config: Any,
) -> Callable[[type], ClassService]: ...
def service(
    inner: type | None = None,
    /,
    *,
    name: str | None = None,
    resources: dict[str, Any] | None = None,
    traffic: dict[str, Any] | None = None,
    workers: int | None = None,
    **config: Any,
) -> Any:
    """Make a class a service: ``@tiffin.service`` or ``@tiffin.service(resources=...,
    traffic={"timeout": 10, "max_concurrency": 64}, workers=1)``.

    :param name: the service's (and its bentos') name; the class name in lowercase by default.
    :param resources: what one replica needs (``{"cpu": "1", "memory": "2Gi"}``): recorded in
        the bento and used for the Kubernetes manifests' requests.
    :param traffic: ``timeout`` (seconds: a call running longer answers 504) and
        ``max_concurrency`` (requests served at once per worker: more answer 503).
    :param workers: API worker processes ``tiffin serve`` starts (``--workers`` wins).
    """

    def make(cls: type) -> ClassService:
        if not isinstance(cls, type):
            raise InvalidArgument(f"@tiffin.service decorates a class, got {cls!r}")
        return ClassService(
            cls, name=name, resources=resources, traffic=traffic, workers=workers, **config
        )

    return make if inner is None else make(inner)
