"""Class-style services (``@tiffin.service``, ``@tiffin.api``, ``tiffin.depends``,
``tiffin.models.BentoModel``), served in-process through the real ASGI app with its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import numpy as np
import pydantic
import pytest

import tiffin
from tiffin.exceptions import InvalidArgument, NotFound


class _Session:
    """A sync face on the app, its lifespan running on a loop in a thread of its own."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.run(self._lifespan.__aenter__())
        transport = httpx.ASGITransport(app=self.app)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://test", timeout=30)

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.post(url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.get(url, **kwargs))

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self._lifespan.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextlib.contextmanager
def session(svc: Any) -> Iterator[_Session]:
    from tiffin._server._app import build_app

    s = _Session(build_app(svc))
    try:
        yield s
    finally:
        s.close()


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


@tiffin.service
class Echo:
    """Echo values back."""

    def __init__(self) -> None:
        import tempfile

        self.calls = 0
        self.batch_sizes: list[int] = []
        self.tmp = tempfile.mkdtemp(prefix="tiffin-echo-")

    @tiffin.api
    def total(self, input_series: np.ndarray) -> np.ndarray:
        """Row sums."""
        self.calls += 1
        return input_series.sum(axis=1)

    @tiffin.api(batchable=True, batch_dim=0, max_batch_size=64, max_latency_ms=5000)
    def double(self, input_series: Annotated[np.ndarray, {"dtype": "float32"}]) -> np.ndarray:
        self.batch_sizes.append(len(input_series))
        return input_series * 2

    @tiffin.api
    async def greet(self, name: str, times: int = 1) -> str:
        return "hi " + " ".join([name] * times)

    @tiffin.api(route="points/move")
    def move(self, point: Point, by: int) -> Point:
        return Point(x=point.x + by, y=point.y + by)

    @tiffin.api
    def count(self, n: int):  # a generator: streamed
        for i in range(n):
            yield f"{i},"

    @tiffin.api
    def whoami(self, ctx: tiffin.Context) -> dict:
        ctx.response.headers["x-seen"] = ctx.request.headers.get("x-user", "")
        return {"user": ctx.request.headers.get("x-user")}

    @tiffin.api
    def size(self, upload: Path) -> int:
        return upload.stat().st_size

    @tiffin.api
    def report(self, text: str) -> Path:
        out = Path(self.tmp) / "report.txt"
        out.write_text(text.upper())
        return out


def test_decorators_bare_and_with_arguments() -> None:
    assert isinstance(Echo, tiffin.Service)
    assert Echo.name == "echo"
    assert list(Echo.apis) == [
        "total",
        "double",
        "greet",
        "move",
        "count",
        "whoami",
        "size",
        "report",
    ]
    assert Echo.apis["move"].route == "points/move"
    assert Echo.apis["total"].doc == "Row sums."

    @tiffin.service(name="tuned", resources={"cpu": "2"}, traffic={"timeout": 3}, workers=2)
    class Tuned:
        @tiffin.api()
        def ping(self) -> str:
            return "pong"

    spec = Tuned.to_spec()
    assert (spec["resources"], spec["traffic"], spec["workers"]) == (
        {"cpu": "2"},
        {"timeout": 3},
        2,
    )
    assert Tuned.name == "tuned" and Tuned.inner.__name__ == "Tuned"
    assert Tuned().ping() == "pong"  # calling the service makes an instance, as in BentoML


def test_batchable_api_gets_a_runner_of_its_own() -> None:
    (runner,) = Echo.runners
    assert runner.name == "echo.double"
    method = runner.methods["double"]
    assert method.batchable and method.max_batch_size == 64 and method.max_latency_ms == 5000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"traffic": {"timeot": 1}}, "unknown key"),
        ({"traffic": {"max_concurrency": 0}}, "max_concurrency"),
        ({"workers": 0}, "workers="),
        ({"resources": "1cpu"}, "resources="),
    ],
)
def test_bad_service_options_say_what_is_wrong(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):

        @tiffin.service(**kwargs)
        class Bad:
            pass


def test_an_annotation_that_cannot_come_from_a_request_is_named() -> None:
    with pytest.raises(InvalidArgument, match=r"parameter 'when'.*cannot read"):

        @tiffin.service
        class Bad:
            @tiffin.api
            def f(self, when: threading.Thread) -> str:
                return ""


def test_batchable_api_must_be_sync() -> None:
    with pytest.raises(InvalidArgument, match="batchable API must be a plain"):

        class Bad:
            @tiffin.api(batchable=True)
            async def f(self, x: np.ndarray) -> np.ndarray:
                return x


def test_apis_over_http() -> None:
    with session(Echo) as s:
        r = s.post("/total", json={"input_series": [[1, 2], [3, 4]]})
        assert (r.status_code, r.json()) == (200, [3, 7])
        r = s.post("/total", json=[[1, 2]])  # one parameter: its value may come bare
        assert (r.status_code, r.json()) == (200, [3])
        r = s.post("/greet", json={"name": "ann", "times": 2})
        assert (r.status_code, r.text) == (200, "hi ann ann")
        r = s.post("/points/move", json={"point": {"x": 1}, "by": 2})
        assert r.json() == {"x": 3, "y": 2}
        r = s.post("/count", json={"n": 3})
        assert (r.status_code, r.text) == (200, "0,1,2,")
        r = s.post("/whoami", json={}, headers={"x-user": "bo"})
        assert (r.json(), r.headers["x-seen"]) == ({"user": "bo"}, "bo")
        r = s.post("/size", files={"upload": ("a.bin", b"12345", "application/octet-stream")})
        assert (r.status_code, r.json()) == (200, 5)
        r = s.post("/report", json={"text": "ok"})  # a Path returned: the file's bytes
        assert (r.status_code, r.content) == (200, b"OK")
        assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("/total", {"input": [[1]]}, "missing field 'input_series'"),
        ("/total", {"input_series": [[1]], "x": 1}, "unknown field(s) 'x'"),
        ("/total", {"input_series": "abc"}, "field 'input_series'"),
        ("/greet", {"name": 5}, "field 'name' must be str"),
        ("/greet", {"name": "a", "extra": 1}, "unknown field"),
        ("/greet", {}, "missing field 'name'"),
        ("/points/move", {"point": {"x": "no"}, "by": 1}, "field 'point'"),
        ("/size", {"upload": "x"}, "field 'upload' is a file"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(route: str, body: Any, message: str) -> None:
    with session(Echo) as s:
        r = s.post(route, json=body)
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]


def test_concurrent_calls_of_a_batchable_api_share_batches() -> None:
    with session(Echo) as s:

        async def many() -> list[httpx.Response]:
            calls = [s.client.post("/double", json={"input_series": [[i, i]]}) for i in range(24)]
            return await asyncio.gather(*calls)

        answers = s.run(many())
        instance = Echo.get_instance()
    assert [a.json() for a in answers] == [[[2.0 * i, 2.0 * i]] for i in range(24)]
    assert sum(instance.batch_sizes) == 24
    assert max(instance.batch_sizes) > 1  # some calls shared a batch


def test_tensor_api_is_a_v2_model_and_schema_json_describes_routes() -> None:
    with session(Echo) as s:
        r = s.post(
            "/v2/models/total/infer",
            json={
                "inputs": [{"name": "input", "datatype": "FP64", "shape": [1, 2], "data": [1, 2]}]
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["outputs"][0]["data"] == [3.0]
        schema = s.get("/schema.json").json()
        docs = s.get("/docs.json").json()
    routes = {route["name"]: route for route in schema["routes"]}
    assert routes["total"]["input"]["properties"]["input_series"]["type"] == "tensor"
    assert routes["double"]["input"]["properties"]["input_series"]["dtype"] == "float32"
    assert routes["greet"]["input"]["required"] == ["name"]
    assert routes["count"]["output"]["is_stream"] is True
    body = docs["paths"]["/greet"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"] == {
        "name": {"type": "string"},
        "times": {"type": "integer"},
    }


def test_traffic_timeout_is_a_504_and_max_concurrency_a_503() -> None:
    gate = threading.Event()

    @tiffin.service(traffic={"timeout": 0.3, "max_concurrency": 1})
    class Slow:
        @tiffin.api
        async def wait(self, seconds: float) -> str:
            await asyncio.sleep(seconds)
            return "done"

        @tiffin.api
        def block(self) -> str:
            gate.wait(5)
            return "free"

    with session(Slow) as s:
        r = s.post("/wait", json={"seconds": 2})
        assert r.status_code == 504 and "timeout" in r.json()["error"]
        assert s.post("/wait", json={"seconds": 0}).text == "done"

        async def two() -> list[httpx.Response]:
            first = asyncio.ensure_future(s.client.post("/wait", json={"seconds": 0.2}))
            await asyncio.sleep(0.05)
            second = await s.client.post("/wait", json={"seconds": 0})
            return [await first, second]

        first, second = s.run(two())
    gate.set()
    assert first.status_code == 200
    assert second.status_code == 503 and "max_concurrency" in second.json()["error"]


@tiffin.service
class Preprocess:
    def __init__(self) -> None:
        self.offset = 10

    @tiffin.api
    def shift(self, values: list) -> list:
        return [v + self.offset for v in values]


@tiffin.service
class Pipeline:
    pre = tiffin.depends(Preprocess)

    @tiffin.api
    def run(self, values: list) -> list:
        return [v * 2 for v in self.pre.shift(values)]

    @tiffin.api
    async def run_async(self, values: list) -> list:
        return await self.pre.to_async.shift(values)


def test_depends_composes_services_in_process() -> None:
    assert Pipeline.dependencies == {"pre": Preprocess}
    with session(Pipeline) as s:
        assert s.post("/run", json={"values": [1, 2]}).json() == [22, 24]
        assert s.post("/run_async", json={"values": [1]}).json() == [11]
    with pytest.raises(InvalidArgument, match=r"@tiffin\.service class"):
        tiffin.depends(object)


def test_tiffin_run_and_the_api_function_in_process() -> None:
    from tiffin._service._oneshot import call_api

    assert call_api(Echo, "total", b'{"input_series": [[1, 2]]}') == b"[3]"
    assert call_api(Echo, "double", b'{"input_series": [[1, 2]]}') == b"[[2.0,4.0]]"
    assert call_api(Echo, "count", b'{"n": 2}') == b"0,1,"
    assert Echo.apis["greet"].input_kwargs


def _save_model(name: str, text: str) -> Any:
    with tiffin.models.create(name, labels={"stage": "candidate"}) as m:
        (m.path / "value.txt").write_text(text)
    return m


def test_bento_model_resolves_and_bentos_carry_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _save_model("answer", "42")
    ref = tiffin.models.BentoModel(str(model.tag))
    assert ref.resolve().tag == model.tag and str(ref) == str(model.tag)
    (tmp_path / "service.py").write_text(
        textwrap.dedent(
            f"""
            import tiffin

            @tiffin.service
            class Helper:
                extra = tiffin.models.BentoModel("{model.tag}")

            @tiffin.service(resources={{"cpu": "1"}})
            class Answer:
                model = tiffin.models.BentoModel("answer:latest")
                helper = tiffin.depends(Helper)

                def __init__(self):
                    self.value = (self.model.path / "value.txt").read_text()

                @tiffin.api
                def ask(self) -> str:
                    return self.value
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bento = tiffin.build("service.py:Answer", build_ctx=tmp_path)
    assert [m.tag for m in bento.info.models] == [str(model.tag)]
    assert (bento.path / "models" / "answer" / model.tag.version / "value.txt").read_text() == "42"
    sys.modules.pop("service", None)
    tiffin.models.delete(str(model.tag))  # the bento serves with its own copy
    svc = tiffin.load(str(bento.tag))  # puts the bento's models in front of the store chain
    try:
        with session(svc) as s:
            assert s.post("/ask", json={}).text == "42"
    finally:
        tiffin.models.stores().clear_front()
        sys.modules.pop("service", None)


def test_bento_model_missing_everywhere_is_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIFFIN_REGISTRY_URL", raising=False)
    with pytest.raises(NotFound):
        tiffin.models.BentoModel("nothing:v1").resolve()
    with pytest.raises(InvalidArgument, match="BentoModel"):
        tiffin.models.BentoModel("Bad Tag!")


def test_resources_are_recorded_in_the_bento_and_its_kubernetes_manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from tiffin._bento._containerize import containerize

    (tmp_path / "sized.py").write_text(
        textwrap.dedent(
            """
            import tiffin

            @tiffin.service(resources={"cpu": "2", "memory": "1Gi"})
            class Sized:
                @tiffin.api
                def ping(self) -> str:
                    return "pong"
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bento = tiffin.build("sized.py:Sized", build_ctx=tmp_path)
    sys.modules.pop("sized", None)
    assert bento.info.resources == {"cpu": "2", "memory": "1Gi"}
    assert tiffin.get(str(bento.tag)).info.resources == {"cpu": "2", "memory": "1Gi"}
    done = containerize(
        str(bento.tag), output=tmp_path / "ctx", kubernetes=True, build=False, wheels=False
    )
    deployment = yaml.safe_load((done.context / "kubernetes" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"] == {"cpu": "2", "memory": "1Gi"}
    assert container["resources"]["limits"] == {"memory": "1Gi"}


def test_frames_images_and_optional_parameters() -> None:
    import io

    import pandas as pd
    import PIL.Image

    @tiffin.service
    class Kinds:
        @tiffin.api
        def frame(self, df: pd.DataFrame, scale: float | None = None) -> pd.DataFrame:
            return df * (scale or 1)

        @tiffin.api
        def flip(self, image: PIL.Image.Image, note: str = "") -> PIL.Image.Image:
            return image.transpose(PIL.Image.Transpose.FLIP_LEFT_RIGHT)

    png = io.BytesIO()
    PIL.Image.new("RGB", (3, 2), (10, 20, 30)).save(png, format="PNG")
    with session(Kinds) as s:
        r = s.post("/frame", json={"df": [{"a": 1, "b": 2}], "scale": None})
        assert (r.status_code, r.json()) == (200, [{"a": 1, "b": 2}])
        r = s.post("/frame", json={"df": [{"a": 1, "b": 2}], "scale": 2})
        assert r.json() == [{"a": 2, "b": 4}]
        r = s.post(
            "/flip", files={"image": ("a.png", png.getvalue(), "image/png")}, data={"note": "x"}
        )
        assert r.status_code == 200, r.text
        assert PIL.Image.open(io.BytesIO(r.content)).size == (3, 2)
        r = s.post("/flip", files={"image": ("a.png", b"not an image", "image/png")})
        assert r.status_code == 400 and "field 'image'" in r.json()["error"]


def test_serving_an_undecorated_class_says_to_decorate_it(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "plain.py").write_text("class Plain:\n    pass\n")
    done = cli("serve", "plain.py:Plain", cwd=tmp_path)
    assert done.returncode == 1
    assert "decorate it with @tiffin.service" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_bento_model_is_one_line_before_serving(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "missing.py").write_text(
        textwrap.dedent(
            """
            import tiffin

            @tiffin.service
            class Missing:
                model = tiffin.models.BentoModel("nothere:v1")

                @tiffin.api
                def ping(self) -> str:
                    return "pong"
            """
        )
    )
    done = cli(
        "serve", "missing.py:Missing", "--port", "0", cwd=tmp_path, env={"TIFFIN_REGISTRY_URL": ""}
    )
    assert done.returncode == 1
    assert "no model named 'nothere'" in done.stderr and "Traceback" not in done.stderr
