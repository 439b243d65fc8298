"""A bento as a Ray Serve application: tiffin's own ASGI app as the ingress deployment, one
deployment per runner, called through deployment handles.

- **Ingress** (:class:`TiffinIngress`): loads the service, replaces each runner's methods with
  :class:`HandleMethod` objects (``runner.predict.run(x)`` / ``await ...async_run(x)`` become a
  handle call), then serves :func:`tiffin._server._app.build_app` of it: the same routes, IO
  descriptors, ``/docs``, ``/metrics``, V2 routes and error bodies as ``tiffin serve``.
- **Runner deployments** (:class:`TiffinRunner`): each replica holds one in-process instance of
  the runnable and calls it through the runner's own methods, so tiffin's adaptive batching
  (``max_batch_size``, ``max_latency_ms``) groups the concurrent calls one replica receives, from
  every ingress replica. A replica takes up to ``max_ongoing_requests`` calls at once (by
  default the largest ``max_batch_size`` of its methods, so a batch can fill).
- **The bento** is packed once on the driver and put in Ray's object store; every replica gets
  the reference and unpacks it once per node (:mod:`tiffin_ray._shipping`).

A call whose runner replica dies raises Ray's actor error on the ingress: it becomes a 503
(:class:`tiffin.exceptions.ServiceUnavailable`), and Ray starts a new replica.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ray import serve

from tiffin.exceptions import InvalidArgument, ServiceUnavailable

__all__ = ["HandleMethod", "TiffinIngress", "TiffinRunner", "deployment"]

logger = logging.getLogger("tiffin.ray")

#: Ray Serve deployment options accepted in ``api_config`` / ``runner_config`` (passed through)
_OPTIONS = (
    "num_replicas",
    "autoscaling_config",
    "ray_actor_options",
    "max_ongoing_requests",
    "max_queued_requests",
    "user_config",
    "health_check_period_s",
    "health_check_timeout_s",
    "graceful_shutdown_wait_loop_s",
    "graceful_shutdown_timeout_s",
    "placement_group_bundles",
    "placement_group_strategy",
    "max_replicas_per_node",
    "logging_config",
    "request_router_config",
)


def _load(target: str, shipped: Any, key: str | None) -> Any:
    """The service: from the shipped bento (unpacked once per node) or ``target`` itself."""
    from tiffin.serving import resolve_target

    if shipped is not None:
        import ray

        from tiffin_ray._shipping import unpack

        data = ray.get(shipped) if isinstance(shipped, ray.ObjectRef) else shipped
        target = str(unpack(data, key or "bento"))
    return resolve_target(target)


class _Failed:
    """An exception raised by the runnable, carried back as a value (not a Ray task error, whose
    message would carry the replica's traceback into the API's error body)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@serve.deployment
class TiffinRunner:
    """One runner of the service: ``await handle.call.remote(method, args, kwargs)``."""

    def __init__(self, target: str, shipped: Any, key: str | None, runner_name: str) -> None:
        os.environ.pop("TIFFIN_RUNNER_WORKERS", None)  # one instance per replica: Ray scales
        svc = _load(target, shipped, key)
        runners = {r.name: r for r in svc.runners}
        self.runner = runners[runner_name]
        self.runner.workers = 0
        self.runner.init_local()

    async def ready(self) -> bool:
        return True

    async def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return await self.runner.methods[method].async_run(*args, **kwargs)
        except Exception as exc:
            return _Failed(exc)


def _unavailable(runner: str, exc: BaseException) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"runner {runner!r} is unavailable ({type(exc).__name__}); retry: Ray restarts its replicas"
    )


class HandleMethod:
    """``runner.<method>`` on the ingress: each call goes to the runner's deployment."""

    def __init__(self, runner: str, name: str, handle: Any, spec: Any) -> None:
        self.runner_name = runner
        self.name = name
        self.handle = handle
        # what core reads off a RunnerMethod (docs, manifests)
        self.batchable = spec.batchable
        self.batch_dim = spec.batch_dim
        self.config = spec.config
        self.max_batch_size = spec.max_batch_size
        self.max_latency_ms = spec.max_latency_ms
        self.to_spec = spec.to_spec

    def _answer(self, result: Any) -> Any:
        if isinstance(result, _Failed):
            raise result.exc
        return result

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        from ray.exceptions import RayError

        try:
            result = await self.handle.call.remote(self.name, args, kwargs)
        except RayError as exc:
            raise _unavailable(self.runner_name, exc) from None
        return self._answer(result)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        from ray.exceptions import RayError

        try:
            result = self.handle.call.remote(self.name, args, kwargs).result()
        except RayError as exc:
            raise _unavailable(self.runner_name, exc) from None
        return self._answer(result)


class _HandleExecutor:
    """Stands in for a runner's executor on the ingress: nothing runs here (``local = False``
    makes sync API functions run in the thread pool, where a blocking handle call is fine).
    Starting waits for the runner's deployment to answer, so ``/readyz`` says ready only once
    every runner can be called."""

    local = False
    concurrency = 1

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def start(self, methods: Any) -> None:
        await self.handle.ready.remote()

    async def stop(self) -> None:
        return None


def _wire(svc: Any, handles: dict[str, Any]) -> None:
    for runner in svc.runners:
        handle = handles[runner.name]
        for name, method in list(runner.methods.items()):
            proxy = HandleMethod(runner.name, name, handle, method)
            runner.methods[name] = proxy
            if runner.__dict__.get(name) is method:
                runner.__dict__[name] = proxy
        executor = _HandleExecutor(handle)
        # the server's startup (``runner.astart()``) starts this one instead of the runnable
        runner.__dict__["_make_executor"] = lambda executor=executor: executor


@serve.deployment
@serve.ingress()
class TiffinIngress:
    """tiffin's ASGI app for the service, its runners answered by the runner deployments (Ray
    Serve's ``serve.ingress()`` with ``__serve_build_asgi_app__``: the app is built in the
    replica, after the constructor has loaded the service)."""

    def __init__(self, target: str, shipped: Any, key: str | None, handles: dict[str, Any]) -> None:
        self.svc = _load(target, shipped, key)
        _wire(self.svc, handles)

    def __serve_build_asgi_app__(self) -> Any:
        # core has no public app builder: tiffin serve's own (private) one, so every route,
        # descriptor and error body is the same
        from tiffin.serving import build_app

        return build_app(self.svc)


def _deployment(cls: Any) -> Any:
    """A ``@serve.deployment`` class as what it is at run time (a Ray Serve Deployment)."""
    return cls


def _options(config: Any, what: str) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise InvalidArgument(
            f"{what} must be a dict of Ray Serve deployment options, got {config!r}"
        )
    unknown = sorted(set(config) - set(_OPTIONS))
    if unknown:
        raise InvalidArgument(
            f"{what}: {', '.join(unknown)} is not a Ray Serve deployment option tiffin passes "
            f"through; use: {', '.join(_OPTIONS)}"
        )
    return dict(config)


def deployment(
    target: str,
    api_config: dict[str, Any] | None = None,
    runner_config: dict[str, dict[str, Any]] | None = None,
    *,
    working_dir: str | None = None,
    name: str | None = None,
    _runner_defaults: dict[str, Any] | None = None,
) -> Any:
    """The Ray Serve application for ``target`` (a bento tag or folder, or a service).

    :param api_config: Ray Serve deployment options of the ingress (tiffin's HTTP app), e.g.
        ``{"num_replicas": 2}``.
    :param runner_config: per runner name, its deployment's options, e.g.
        ``{"iris_clf": {"num_replicas": "auto", "autoscaling_config": {...}}}``.
    :param working_dir: where a service file or module target is found (default: here).
    :param name: the ingress deployment's name (default: the service's name).

    ``serve.run(tiffin_ray.deployment("iris_classifier:latest"))`` deploys it. Call this where
    Ray is initialised (or about to be): a bento is put in the object store once.
    """
    import ray

    from tiffin.serving import bento_of_target, resolve_target

    base = str(working_dir or os.getcwd())
    ingress_options = _options(api_config, "api_config")
    runner_options = runner_config or {}
    if not isinstance(runner_options, dict):
        raise InvalidArgument(
            f"runner_config must be a dict keyed by runner name, got {runner_config!r}"
        )
    bento = bento_of_target(target, base)
    svc = resolve_target(str(bento.path) if bento is not None else target, base)
    names = [r.name for r in svc.runners]
    unknown = sorted(set(runner_options) - set(names))
    if unknown:
        raise InvalidArgument(
            f"runner_config names {', '.join(unknown)}, which the service does not have; its "
            f"runners are: {', '.join(names) or 'none'}"
        )
    checked = {  # every option checked before Ray is touched
        n: _options(runner_options.get(n), f"runner_config[{n!r}]") for n in names
    }
    shipped: Any = None
    key: str | None = None
    where = target if bento is None else str(bento.path)
    if bento is not None:
        from tiffin_ray._shipping import pack

        if not ray.is_initialized():
            ray.init()
        data, key = pack(bento.path)
        shipped = ray.put(data)  # once, into the object store; each node unpacks it once
    elif not os.path.isabs(where) and os.path.exists(os.path.join(base, where.partition(":")[0])):
        where = os.path.join(base, where)
    handles: dict[str, Any] = {}
    for runner in svc.runners:
        options = dict(_runner_defaults or {})
        options.update(checked[runner.name])
        options.setdefault(
            "max_ongoing_requests", max(m.max_batch_size for m in runner.methods.values())
        )
        handles[runner.name] = (
            _deployment(TiffinRunner)
            .options(name=f"runner-{runner.name}", **options)
            .bind(where, shipped, key, runner.name)
        )
    return (
        _deployment(TiffinIngress)
        .options(name=name or svc.name, **ingress_options)
        .bind(where, shipped, key, handles)
    )
