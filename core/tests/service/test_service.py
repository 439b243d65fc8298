"""tiffin.Service, its APIs and hooks, used in-process as a notebook user would."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest

import tiffin
from tiffin.exceptions import InvalidArgument

_spec = importlib.util.spec_from_file_location(
    "standin_io", Path(__file__).with_name("standin_io.py")
)
standin_io = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin_io)
Echo = standin_io.Echo


class FakeRunner:
    def __init__(self, name: str) -> None:
        self.name = name
        self.models: list[object] = []
        self.started = False

    def init_local(self) -> None:
        self.started = True

    def to_spec(self) -> dict[str, object]:
        return {"name": self.name, "fake": True}


def test_service_name_is_validated_like_a_tag() -> None:
    with pytest.raises(InvalidArgument, match="lowercase"):
        tiffin.Service("Iris Classifier")
    assert tiffin.Service("iris_classifier").name == "iris_classifier"


def test_function_name_is_the_default_route_and_name() -> None:
    svc = tiffin.Service("demo")

    @svc.api(input=Echo(), output=Echo())
    def classify(x):
        return x

    api = svc.apis["classify"]
    assert api.route == "classify"
    assert api.func is classify
    assert classify([1]) == [1]  # the decorator returns the function unchanged


def test_custom_name_route_and_doc() -> None:
    svc = tiffin.Service("demo")

    @svc.api(
        input=Echo(), output=Echo(), name="predict", route="/v1/models/predict/", doc="Predicts."
    )
    def whatever(x):
        """Ignored: doc= wins."""
        return x

    assert list(svc.apis) == ["predict"]
    assert svc.apis["predict"].route == "v1/models/predict"
    assert svc.apis["predict"].doc == "Predicts."


@pytest.mark.parametrize(
    "route", ["healthz", "livez", "readyz", "metrics", "docs", "docs.json", "/metrics"]
)
def test_reserved_routes_are_refused(route: str) -> None:
    svc = tiffin.Service("demo")
    with pytest.raises(InvalidArgument, match="reserved"):
        svc.api(input=Echo(), output=Echo(), name="x", route=route)(lambda x: x)


def test_a_function_named_like_a_reserved_route_is_refused() -> None:
    svc = tiffin.Service("demo")
    with pytest.raises(InvalidArgument, match="'/metrics' is reserved"):

        @svc.api(input=Echo(), output=Echo())
        def metrics(x):
            return x


def test_duplicate_names_and_routes_are_refused() -> None:
    svc = tiffin.Service("demo")
    svc.api(input=Echo(), output=Echo(), name="a")(lambda x: x)
    with pytest.raises(InvalidArgument, match="already has an API named 'a'"):
        svc.api(input=Echo(), output=Echo(), name="a")(lambda x: x)
    with pytest.raises(InvalidArgument, match="already used by API 'a'"):
        svc.api(input=Echo(), output=Echo(), name="b", route="a")(lambda x: x)


def test_an_object_that_is_not_a_descriptor_is_refused() -> None:
    svc = tiffin.Service("demo")
    with pytest.raises(InvalidArgument, match="must be an IO descriptor"):
        svc.api(input="json", output=Echo(), name="x")(lambda x: x)


def test_context_parameter_is_found_by_annotation_or_name() -> None:
    svc = tiffin.Service("demo")

    @svc.api(input=Echo(), output=Echo())
    def by_name(x, ctx):
        return x

    @svc.api(input=Echo(), output=Echo())
    def by_annotation(x, context: tiffin.Context):
        return x

    @svc.api(input=Echo(), output=Echo())
    async def without(x):
        return x

    assert svc.apis["by_name"].ctx_param == "ctx"
    assert svc.apis["by_annotation"].ctx_param == "context"
    assert svc.apis["without"].ctx_param is None
    assert svc.apis["without"].is_async and not svc.apis["by_name"].is_async


def test_two_runners_with_one_name_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="two runners named 'r'"):
        tiffin.Service("demo", runners=[FakeRunner("r"), FakeRunner("r")])


def test_func_works_after_init_local_and_spec_is_json() -> None:
    runner = FakeRunner("double")
    svc = tiffin.Service("demo", runners=[runner])

    @svc.api(input=Echo(), output=Echo())
    def classify(x):
        assert runner.started
        return [v * 2 for v in x]

    for r in svc.runners:
        r.init_local()
    assert svc.apis["classify"].func([1, 2]) == [2, 4]
    assert svc.runners == [runner]
    spec = json.loads(json.dumps(svc.to_spec()))
    assert spec == {
        "name": "demo",
        "apis": [
            {
                "name": "classify",
                "route": "/classify",
                "doc": None,
                "input": {"type": "Echo", "args": {}},
                "output": {"type": "Echo", "args": {}},
            }
        ],
        "runners": [{"name": "double", "fake": True}],
    }


def test_hooks_register_in_order_and_lifecycle_contexts_have_no_request() -> None:
    svc = tiffin.Service("demo")
    seen: list[str] = []

    @svc.on_startup
    def first(ctx: tiffin.Context) -> None:
        ctx.state["db"] = "connected"
        seen.append("first")

    @svc.on_startup
    async def second(ctx: tiffin.Context) -> None:
        seen.append(f"second {ctx.state['db']}")
        with pytest.raises(InvalidArgument, match=r"ctx\.request is not available"):
            _ = ctx.request.headers

    @svc.on_deployment
    def deploy() -> None:
        seen.append("deployment")

    assert svc.startup_hooks == [first, second]
    svc.run_deployment_hooks()
    asyncio.run(svc.arun_hooks(svc.startup_hooks, tiffin.Context()))
    assert seen == ["deployment", "first", "second connected"]


def test_cookie_takes_the_guides_arguments() -> None:
    cookie = tiffin.Cookie(
        key="key",
        value="value",
        max_age=None,
        expires=None,
        path="/predict",
        domain=None,
        secure=True,
        httponly=True,
        samesite="None",
    )
    assert cookie.path == "/predict" and cookie.secure and cookie.httponly
    ctx = tiffin.Context()
    ctx.response.status_code = 202
    ctx.response.headers.append("X-Custom-Header", "value")
    ctx.response.headers.append("X-Custom-Header", "again")
    ctx.response.cookies = [cookie]
    assert ctx.response.headers.getlist("x-custom-header") == ["value", "again"]
