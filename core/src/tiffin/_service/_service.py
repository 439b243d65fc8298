"""A service: named APIs with typed inputs and outputs, the runners they call, lifecycle hooks.

Everything here is plain Python; the HTTP server (:mod:`tiffin._server`) and ``tiffin run``
turn it into a web app or a one-shot call.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

from tiffin._service._context import Context
from tiffin.exceptions import InvalidArgument
from tiffin.store.tag import validate_name

__all__ = ["RESERVED_ROUTES", "InferenceAPI", "Service"]

RESERVED_ROUTES = frozenset({"healthz", "livez", "readyz", "metrics", "docs", "docs.json"})
_API_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROUTE_RE = re.compile(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$")
_IO_METHODS = ("from_http", "to_http", "from_cli", "to_cli")


def _ctx_parameter(func: Callable[..., Any]) -> str | None:
    """The name of ``func``'s context parameter: annotated ``tiffin.Context`` or named ``ctx``."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return None
    for name, param in params.items():
        ann = param.annotation
        if ann is Context or (isinstance(ann, str) and ann.split(".")[-1] == "Context"):
            return name
    return "ctx" if "ctx" in params else None


def _check_descriptor(what: str, api: str, descriptor: object) -> None:
    missing = [m for m in _IO_METHODS if not callable(getattr(descriptor, m, None))]
    if missing:
        raise InvalidArgument(
            f"API {api!r}: {what}= must be an IO descriptor such as tiffin.io.JSON(), "
            f"got {descriptor!r} (it lacks {', '.join(missing)})"
        )


class InferenceAPI:
    """One API of a service: ``func`` called with the decoded input; ``route`` is its URL path."""

    def __init__(
        self,
        *,
        name: str,
        func: Callable[..., Any],
        input: Any,
        output: Any,
        route: str,
        doc: str | None,
    ) -> None:
        self.name = name
        self.func = func
        self.input = input
        self.output = output
        self.route = route
        self.doc = doc
        self.is_async = inspect.iscoroutinefunction(func)
        self.ctx_param = _ctx_parameter(func)
        self.input_kwargs = bool(getattr(input, "input_kwargs", False))

    def __repr__(self) -> str:
        return f"InferenceAPI(name={self.name!r}, route={self.route!r})"

    def call_args(self, value: Any, ctx: Context | None) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments ``func`` is called with for ``value``."""
        kwargs: dict[str, Any] = dict(value) if self.input_kwargs else {}
        args: tuple[Any, ...] = () if self.input_kwargs else (value,)
        if self.ctx_param is not None:
            kwargs[self.ctx_param] = ctx if ctx is not None else Context()
        return args, kwargs

    def to_spec(self) -> dict[str, Any]:
        def spec(descriptor: Any) -> Any:
            to_spec = getattr(descriptor, "to_spec", None)
            return to_spec() if callable(to_spec) else {"type": type(descriptor).__name__}

        return {
            "name": self.name,
            "route": "/" + self.route,
            "doc": self.doc,
            "input": spec(self.input),
            "output": spec(self.output),
        }


class Service:
    """``tiffin.Service("iris_classifier", runners=[runner])``, then ``@svc.api(...)``."""

    def __init__(self, name: str, runners: Sequence[Any] | None = None) -> None:
        self.name = validate_name(name, what="service name")
        self.runners: list[Any] = list(runners or [])
        seen: set[str] = set()
        for runner in self.runners:
            runner_name = getattr(runner, "name", None)
            if runner_name is None:
                raise InvalidArgument(f"service {name!r}: {runner!r} is not a tiffin.Runner")
            if runner_name in seen:
                raise InvalidArgument(
                    f"service {name!r} has two runners named {runner_name!r}; give each a unique name="
                )
            seen.add(runner_name)
        self.apis: dict[str, InferenceAPI] = {}
        self.startup_hooks: list[Callable[..., Any]] = []
        self.shutdown_hooks: list[Callable[..., Any]] = []
        self.deployment_hooks: list[Callable[..., Any]] = []

    def __repr__(self) -> str:
        return f"Service(name={self.name!r}, apis={list(self.apis)}, runners={[r.name for r in self.runners]})"

    def api(
        self,
        *,
        input: Any,
        output: Any,
        name: str | None = None,
        route: str | None = None,
        doc: str | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an API: ``POST /<route>`` decodes ``input``, calls the function, encodes ``output``."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            api_name = name or getattr(func, "__name__", "")
            if not _API_NAME_RE.match(api_name):
                raise InvalidArgument(
                    f"API name {api_name!r} is not valid: use letters, digits and '_', not starting with a digit"
                )
            if api_name in self.apis:
                raise InvalidArgument(
                    f"service {self.name!r} already has an API named {api_name!r}; pass name= to rename one"
                )
            api_route = (route if route is not None else api_name).strip().strip("/")
            if not _ROUTE_RE.match(api_route):
                raise InvalidArgument(
                    f"API {api_name!r}: route {route!r} is not valid: use letters, digits, '.', '_', '-', '~' and '/'"
                )
            if api_route in RESERVED_ROUTES:
                raise InvalidArgument(
                    f"API {api_name!r}: route '/{api_route}' is reserved by the server "
                    f"({', '.join('/' + r for r in sorted(RESERVED_ROUTES))}); pass route= or name= to choose another"
                )
            for other in self.apis.values():
                if other.route == api_route:
                    raise InvalidArgument(
                        f"API {api_name!r}: route '/{api_route}' is already used by API {other.name!r}"
                    )
            _check_descriptor("input", api_name, input)
            _check_descriptor("output", api_name, output)
            self.apis[api_name] = InferenceAPI(
                name=api_name,
                func=func,
                input=input,
                output=output,
                route=api_route,
                doc=doc if doc is not None else inspect.getdoc(func),
            )
            return func

        return decorator

    def on_startup(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``func(ctx)`` (sync or async) in every worker before it takes requests."""
        self.startup_hooks.append(func)
        return func

    def on_shutdown(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``func(ctx)`` (sync or async) in every worker after its last request."""
        self.shutdown_hooks.append(func)
        return func

    def on_deployment(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Run ``func()`` once per ``tiffin serve``, before any worker starts."""
        self.deployment_hooks.append(func)
        return func

    def to_spec(self) -> dict[str, Any]:
        """A JSON-able description: name, APIs (routes, input and output specs), runners."""

        def runner_spec(runner: Any) -> Any:
            to_spec = getattr(runner, "to_spec", None)
            return to_spec() if callable(to_spec) else {"name": runner.name}

        return {
            "name": self.name,
            "apis": [api.to_spec() for api in self.apis.values()],
            "runners": [runner_spec(r) for r in self.runners],
        }

    # -- lifecycle, shared by the server and ``tiffin run`` ------------------------------------

    def run_deployment_hooks(self) -> None:
        import asyncio

        for hook in self.deployment_hooks:
            result = hook()
            if inspect.isawaitable(result):
                asyncio.run(_await(result))

    async def arun_hooks(self, hooks: Sequence[Callable[..., Any]], ctx: Context) -> None:
        """Run lifecycle hooks in order; sync ones in a thread so the loop stays free."""
        from starlette.concurrency import run_in_threadpool

        for hook in hooks:
            takes_ctx = _takes_argument(hook)
            if inspect.iscoroutinefunction(hook):
                await (hook(ctx) if takes_ctx else hook())
            else:
                result = (
                    await run_in_threadpool(hook, ctx)
                    if takes_ctx
                    else await run_in_threadpool(hook)
                )
                if inspect.isawaitable(result):
                    await result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _takes_argument(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )
