"""A real ``tiffin serve`` process driven over HTTP: routes, context, errors, limits, metrics, docs."""

from __future__ import annotations

import shutil
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import ServerProcess, run_cli

STANDIN = Path(__file__).parent.parent / "service" / "standin_io.py"

SERVICE = '''
import asyncio
import os
import threading

import tiffin
from standin_io import Echo

svc = tiffin.Service("demo")


@svc.on_startup
def remember(ctx: tiffin.Context):
    ctx.state["greeting"] = "hello"


@svc.api(input=Echo([1, 2, 3]), output=Echo())
def echo(x):
    """Returns its input."""
    return x


@svc.api(input=Echo(), output=Echo())
def where_sync(x):
    return {"thread": threading.current_thread().name, "main": threading.current_thread() is threading.main_thread()}


@svc.api(input=Echo(), output=Echo())
async def where_async(x):
    await asyncio.sleep(0)
    return {"main": threading.current_thread() is threading.main_thread()}


@svc.api(input=Echo(), output=Echo(), route="v1/models/predict")
def predict(x, ctx: tiffin.Context):
    ctx.response.status_code = 202
    ctx.response.headers.append("X-Custom-Header", "value")
    ctx.response.headers.append("X-Custom-Header", "second")
    ctx.response.cookies = [
        tiffin.Cookie(key="key", value="value", max_age=None, expires=None, path="/predict",
                      domain=None, secure=True, httponly=True, samesite="None")
    ]
    return {
        "header": ctx.request.headers.get("x-who"),
        "cookie": ctx.request.cookies.get("session"),
        "query": ctx.request.query.get("q"),
        "client": ctx.request.client.host,
        "state": ctx.state["greeting"],
    }


@svc.api(input=Echo(), output=Echo())
async def count(x, ctx):
    ctx.state["n"] = ctx.state.get("n", 0) + 1
    return ctx.state["n"]


@svc.api(input=Echo(), output=Echo())
def boom(x):
    raise RuntimeError("a secret detail " + str(x))


@svc.api(input=Echo(), output=Echo())
def noisy(x, ctx):
    print("user code printing")
    return {"x": x, "state": ctx.state.get("greeting")}


class Strict(Echo):
    async def to_http(self, value):
        raise tiffin.exceptions.BadInput("the output is not a number")


@svc.api(input=Echo(), output=Strict())
def bad_output(x):
    return x


@svc.api(input=Echo(), output=Echo())
def busy(x):
    raise tiffin.exceptions.ServiceUnavailable("queue full; retry later")
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("svc")
    shutil.copy(STANDIN, folder / "standin_io.py")
    (folder / "service.py").write_text(textwrap.dedent(SERVICE))
    return folder


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[ServerProcess]:
    server = ServerProcess("service.py:svc", "--max-body-size", "2KiB", cwd=folder)
    yield server
    server.stop()


def test_api_round_trip(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/echo", json={"a": [1, 2]})
    assert response.status_code == 200
    assert response.json() == {"a": [1, 2]}
    assert response.headers["content-type"] == "application/json"


def test_sync_apis_run_in_a_thread_pool_async_ones_on_the_loop(server: ServerProcess) -> None:
    assert httpx.post(server.url + "/where_sync", json=1).json()["main"] is False
    assert httpx.post(server.url + "/where_async", json=1).json() == {"main": True}


def test_context_request_and_response(server: ServerProcess) -> None:
    response = httpx.post(
        server.url + "/v1/models/predict?q=hi",
        json=[1],
        headers={"x-who": "me", "cookie": "session=abc"},
    )
    assert response.status_code == 202
    assert response.headers.get_list("x-custom-header") == ["value", "second"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("key=value;")
    for part in ("HttpOnly", "Path=/predict", "Secure", "SameSite=none"):
        assert part in cookie
    assert response.json() == {
        "header": "me",
        "cookie": "abc",
        "query": "hi",
        "client": "127.0.0.1",
        "state": "hello",
    }


def test_state_is_shared_across_requests(server: ServerProcess) -> None:
    first = httpx.post(server.url + "/count", json=0).json()
    assert httpx.post(server.url + "/count", json=0).json() == first + 1


def test_function_name_is_not_a_route_when_route_is_given(server: ServerProcess) -> None:
    assert httpx.post(server.url + "/predict", json=1).status_code == 404


def test_bad_input_is_a_400_saying_why(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/echo", content=b"[1, 2")
    assert response.status_code == 400
    body = response.json()
    assert body["kind"] == "bad_input"
    assert "not valid JSON" in body["error"]


def test_unknown_route_is_a_json_404(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/nope", json=1)
    assert response.status_code == 404
    assert response.json()["kind"] == "not_found"


def test_wrong_method_is_a_405(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/echo")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "use POST" in response.json()["error"]


def test_user_code_failure_is_a_500_with_an_error_id_and_no_details(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/boom", json="xyz")
    assert response.status_code == 500
    body = response.json()
    assert body["kind"] == "internal"
    assert len(body["error_id"]) == 16
    assert body["error_id"] in body["error"]
    assert "secret" not in response.text and "Traceback" not in response.text
    # and the server keeps serving
    assert httpx.post(server.url + "/echo", json=5).json() == 5


def test_output_that_does_not_fit_its_descriptor_is_a_500(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/bad_output", json="text")
    assert response.status_code == 500
    assert response.json()["kind"] == "internal"
    assert "not a number" not in response.text


def test_tiffin_errors_keep_their_status(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/busy", json=1)
    assert response.status_code == 503
    assert response.json() == {"error": "queue full; retry later", "kind": "unavailable"}


def test_body_over_the_limit_is_a_413(server: ServerProcess) -> None:
    big = b"[" + b"1," * 2000 + b"1]"
    response = httpx.post(server.url + "/echo", content=big)
    assert response.status_code == 413
    assert response.json()["kind"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b" " * 500

    response = httpx.post(server.url + "/echo", content=chunks())
    assert response.status_code == 413
    small = httpx.post(server.url + "/echo", content=b"[" + b"1," * 100 + b"1]")
    assert small.status_code == 200


def test_probes(server: ServerProcess) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        response = httpx.get(server.url + path)
        assert response.status_code == 200, path


def test_metrics_move(server: ServerProcess) -> None:
    def echo_200() -> float:
        text = httpx.get(server.url + "/metrics").text
        for line in text.splitlines():
            if line.startswith('tiffin_http_requests_total{api="echo",status="200"}'):
                return float(line.split()[-1])
        return 0.0

    before = echo_200()
    for _ in range(3):
        httpx.post(server.url + "/echo", json=1)
    assert echo_200() == before + 3
    text = httpx.get(server.url + "/metrics").text
    assert 'tiffin_http_request_duration_seconds_bucket{api="echo",le="0.001",status="200"}' in text
    assert 'tiffin_http_requests_in_progress{api="echo"} 0.0' in text
    assert 'tiffin_http_requests_total{api="boom",status="500"}' in text or "boom" not in text


def test_docs_json_is_valid_openapi_3(server: ServerProcess) -> None:
    from openapi_spec_validator import validate

    doc = httpx.get(server.url + "/docs.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    echo = doc["paths"]["/echo"]["post"]
    assert echo["operationId"] == "echo"
    assert echo["description"] == "Returns its input."
    assert echo["requestBody"]["content"]["application/json"]["example"] == [1, 2, 3]
    assert {"200", "400", "500"} <= set(echo["responses"])
    assert "/v1/models/predict" in doc["paths"]
    assert {"/healthz", "/readyz", "/metrics"} <= set(doc["paths"])


def test_docs_page_is_self_contained(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>demo" in response.text
    assert "http://" not in response.text and "https://" not in response.text  # no CDN
    assert httpx.get(server.url + "/", follow_redirects=False).headers["location"] == "/docs"


def test_concurrent_requests(server: ServerProcess) -> None:
    results: list[int] = []

    def call(i: int) -> None:
        results.append(httpx.post(server.url + "/echo", json=i).json())

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(16))


def test_errors_are_logged_with_their_id_and_traceback(tmp_path: Path) -> None:
    shutil.copy(STANDIN, tmp_path / "standin_io.py")
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = ServerProcess("service.py", cwd=tmp_path)
    try:
        error_id = httpx.post(server.url + "/boom", json="xyz").json()["error_id"]
    finally:
        log = server.stop()
    assert f"error id {error_id}: API 'boom' raised RuntimeError" in log
    assert "Traceback" in log and "a secret detail xyz" in log


def test_run_prints_only_the_response_body(server: ServerProcess, folder: Path) -> None:
    result = run_cli("run", "service.py:svc", "noisy", "--input", '{"a": 1}', cwd=folder)
    assert result.returncode == 0, result.stderr
    http = httpx.post(server.url + "/noisy", content=b'{"a": 1}')
    assert result.stdout.encode() == http.content == b'{"x": {"a": 1}, "state": "hello"}'
    assert "user code printing" in result.stderr


def test_run_reads_input_from_a_file(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text("[1, 2]")
    result = run_cli(
        "run", "service.py:svc", "echo", "--input", f"@{tmp_path / 'input.json'}", cwd=folder
    )
    assert (result.returncode, result.stdout) == (0, "[1, 2]")
    missing = run_cli("run", "service.py:svc", "echo", "--input", "@nope.json", cwd=folder)
    assert missing.returncode == 1 and "no such file" in missing.stderr
