"""Every built-in IO descriptor both ways through a real server, bad inputs, the client, ``tiffin run``."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tiffin.client import AsyncClient, Client
from tiffin.exceptions import BadInput, NotFound
from tiffin.testing.fixtures import ServerProcess, run_cli

pd = pytest.importorskip("pandas")
PIL_Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("all_io")
    shutil.copy(Path(__file__).with_name("_all_io_service.py"), folder / "service.py")
    return folder


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[ServerProcess]:
    server = ServerProcess("service.py:svc", cwd=folder)
    yield server
    server.stop()


def post(server: ServerProcess, route: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{server.url}/{route}", **kwargs)  # type: ignore[arg-type]


def png(size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    PIL_Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


# -- each descriptor, both ways -------------------------------------------------------------------


def test_numpy_json(server: ServerProcess) -> None:
    response = post(server, "double", json=[[1, 2], [3, 4.5]])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == [[2, 4], [6, 9]]


def test_numpy_npy_both_ways(server: ServerProcess) -> None:
    arr = np.arange(6, dtype=np.float32).reshape(3, 2)
    buffer = io.BytesIO()
    np.save(buffer, arr)
    response = post(
        server,
        "pairs",
        content=buffer.getvalue(),
        headers={"content-type": "application/x-npy", "accept": "application/x-npy"},
    )
    assert response.status_code == 200
    out = np.load(io.BytesIO(response.content))
    np.testing.assert_array_equal(out, arr.sum(axis=1))


@pytest.mark.parametrize(
    ("route", "body", "needle"),
    [
        ("double", b'{"a": 1}', ""),
        ("double", b'"text"', ""),
        ("double", b"[[1, 2], [3]]", ""),
        ("pairs", b"[[1, 2, 3]]", "shape"),
    ],
)
def test_numpy_bad_inputs(server: ServerProcess, route: str, body: bytes, needle: str) -> None:
    response = post(server, route, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["kind"] == "bad_input"
    assert needle in response.json()["error"]


def test_pandas_json_and_csv(server: ServerProcess) -> None:
    response = post(server, "totals", json=[{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    assert response.status_code == 200
    assert response.json() == [{"total": 3}, {"total": 7}]
    response = post(
        server, "totals", content=b"a,b\n1,2\n3,4\n", headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.json() == [{"total": 3}, {"total": 7}]


def test_pandas_bad_input(server: ServerProcess) -> None:
    response = post(
        server, "totals", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["kind"] == "bad_input"


def test_json_with_a_pydantic_model(server: ServerProcess) -> None:
    response = post(server, "order", json={"item": "tea", "quantity": 4})
    assert response.json() == {"item": "tea", "quantity": 4, "price": 10.0}
    bad = post(server, "order", json={"item": "tea"})
    assert bad.status_code == 400
    assert "quantity" in bad.json()["error"]


def test_plain_json(server: ServerProcess) -> None:
    assert post(server, "keys", json={"b": 1, "a": 2}).json() == ["a", "b"]
    assert (
        post(server, "keys", content=b"{", headers={"content-type": "application/json"}).status_code
        == 400
    )


def test_text(server: ServerProcess) -> None:
    response = post(
        server, "shout", content="héllo".encode(), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.text == "HÉLLO"
    assert response.headers["content-type"].startswith("text/plain")
    bad = post(server, "shout", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert bad.status_code == 400


def test_file_raw_and_multipart(server: ServerProcess) -> None:
    response = post(
        server, "reverse", content=b"abc", headers={"content-type": "application/octet-stream"}
    )
    assert response.content == b"cba"
    response = post(
        server, "reverse", files={"file": ("x.bin", b"xyz", "application/octet-stream")}
    )
    assert response.content == b"zyx"


def test_image(server: ServerProcess) -> None:
    response = post(server, "gray", content=png(), headers={"content-type": "image/png"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = PIL_Image.open(io.BytesIO(response.content))
    assert image.mode == "L" and image.size == (3, 2)
    bad = post(server, "gray", content=b"not an image", headers={"content-type": "image/png"})
    assert bad.status_code == 400


def test_image_pilmode_is_bentomls_spelling_of_pil_mode(server: ServerProcess) -> None:
    response = post(server, "image_mode", content=png(), headers={"content-type": "image/png"})
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "L", "size": [3, 2]}  # sent RGB, converted to pilmode


def test_multipart_parts_become_keyword_arguments(server: ServerProcess) -> None:
    response = post(
        server,
        "parts",
        files={"name": (None, b"abc"), "arr": ("a.json", b"[1, 2, 3.5]", "application/json")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "abc", "sum": 6.5}
    missing = post(server, "parts", files={"name": (None, b"abc")})
    assert missing.status_code == 400
    assert "arr" in missing.json()["error"]


def test_wrong_content_type_is_refused_before_user_code(server: ServerProcess) -> None:
    response = post(server, "shout", content=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415
    assert "text/plain" in response.json()["error"]


def test_docs_json_describes_every_descriptor(server: ServerProcess) -> None:
    from openapi_spec_validator import validate

    doc = httpx.get(server.url + "/docs.json").json()
    validate(doc)
    double = doc["paths"]["/double"]["post"]
    assert double["requestBody"]["content"]["application/json"]["example"] == [[1.0, 2.0]]
    assert "application/json" in double["responses"]["200"]["content"]
    assert "multipart/form-data" in doc["paths"]["/parts"]["post"]["requestBody"]["content"]
    assert double["x-tiffin-io"]["input"] == "NumpyNdarray"


# -- the client -----------------------------------------------------------------------------------


def test_client_calls_apis_with_native_types(server: ServerProcess) -> None:
    with Client(server.url) as client:
        assert set(client.apis) >= {"double", "shout", "parts"}
        out = client.double(np.array([[1, 2]], dtype=np.float32))
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, [[2, 4]])
        big = np.ones((200, 2), dtype=np.float32)  # large: sent as .npy
        np.testing.assert_array_equal(client.call("pairs", big), np.full(200, 2, dtype=np.float32))
        assert client.shout("abc") == "ABC"
        assert client.keys({"z": 1, "y": 2}) == ["y", "z"]
        assert client.order({"item": "x", "quantity": 2})["price"] == 5.0
        frame = client.totals(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
        assert list(frame["total"]) == [4, 6]
        assert client.reverse(b"abc").read() == b"cba"  # File answers are file-like objects
        assert client.image_mode(PIL_Image.new("RGB", (5, 2))) == {"mode": "L", "size": [5, 2]}
        image = client.gray(PIL_Image.new("RGB", (4, 4)))
        assert image.mode == "L"
        assert client.parts(name="n", arr=np.array([1.0, 2.0])) == {"name": "n", "sum": 3.0}
        with pytest.raises(BadInput, match="answered 400"):
            client.pairs(np.ones((2, 3)))
        with pytest.raises(NotFound, match="no API 'nope'"):
            client.nope(1)


def test_async_client(server: ServerProcess) -> None:
    async def main() -> tuple[object, object]:
        async with AsyncClient(server.url) as client:
            return await client.shout("x"), await client.call("double", np.array([1.0]))

    text, arr = asyncio.run(main())
    assert text == "X"
    np.testing.assert_array_equal(arr, [2.0])


# -- tiffin run -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "data", "content_type"),
    [
        ("double", "[[1, 2], [3, 4]]", "application/json"),
        ("keys", '{"b": 1, "a": 2}', "application/json"),
        ("shout", "hello", "text/plain"),
    ],
)
def test_run_prints_the_http_body(
    server: ServerProcess, folder: Path, api: str, data: str, content_type: str
) -> None:
    result = run_cli("run", "service.py:svc", api, "--input", data, cwd=folder)
    assert result.returncode == 0, result.stderr
    http = post(server, api, content=data.encode(), headers={"content-type": content_type})
    assert result.stdout.encode() == http.content


def test_run_reads_csv_and_npy_files(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n3,4\n")
    result = run_cli(
        "run", "service.py:svc", "totals", "--input", f"@{tmp_path / 'rows.csv'}", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"total": 3}, {"total": 7}]
    np.save(tmp_path / "arr.npy", np.array([[1.0, 2.0]], dtype=np.float32))
    result = run_cli(
        "run", "service.py:svc", "pairs", "--input", f"@{tmp_path / 'arr.npy'}", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [3.0]


def test_run_errors_are_one_line(folder: Path) -> None:
    result = run_cli("run", "service.py:svc", "pairs", "--input", "[[1, 2, 3]]", cwd=folder)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    result = run_cli("run", "service.py:svc", "nope", "--input", "1", cwd=folder)
    assert result.returncode == 1
    assert "has no API 'nope'" in result.stderr
