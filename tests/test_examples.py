"""The example services end to end: the guide's iris request, schemathesis against their
``/docs.json``, and the ``/docs`` page in a real headless browser with no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tiffin.testing.fixtures import ServerProcess

REPO = Path(__file__).resolve().parents[1]
ALL_IO = REPO / "core" / "tests" / "server" / "_all_io_service.py"


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    pytest.importorskip("sklearn")
    home = tmp_path_factory.mktemp("iris_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIFFIN_HOME", str(home))
        from sklearn import datasets, svm

        import tiffin

        data = datasets.load_iris()
        clf = svm.SVC(gamma="scale").fit(data.data, data.target)
        tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
        server = ServerProcess("examples/iris/service.py:svc", cwd=REPO)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def all_io(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("all_io")
    shutil.copy(ALL_IO, folder / "service.py")
    server = ServerProcess("service.py:svc", cwd=folder)
    yield server
    server.stop()


def test_the_guides_curl_request(iris: ServerProcess) -> None:
    response = httpx.post(
        iris.url + "/classify",
        content=b"[[5.9, 3, 5.1, 1.8]]",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == [2]


def test_iris_through_the_client(iris: ServerProcess) -> None:
    from tiffin.client import Client

    with Client(iris.url) as client:
        out = client.classify(np.array([[5.9, 3, 5.1, 1.8], [5.1, 3.5, 1.4, 0.2]]))
    assert out.tolist() == [2, 0]


# -- schemathesis -----------------------------------------------------------------------------------


def _schemathesis(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("schemathesis")
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "run",
        url + "/docs.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "15",
        "--seed",
        "7",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )


@pytest.mark.slow
@pytest.mark.parametrize("which", ["iris", "all_io"])
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(
    request: pytest.FixtureRequest, which: str, tmp_path: Path
) -> None:
    server: ServerProcess = request.getfixturevalue(which)
    result = _schemathesis(server.url, tmp_path / "report.xml")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout
    assert "Traceback" not in server.output()


# -- the /docs page in headless Chromium ------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _DevTools:
    """Just enough of the Chrome DevTools protocol: commands, and the events seen meanwhile."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict[str, object]] = []

    def send(self, method: str, **params: object) -> dict[str, object]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression: str) -> object:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result["result"].get("value")  # type: ignore[union-attr]

    def wait_for(self, expression: str, timeout: float = 20) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def browser() -> Iterator[_DevTools]:
    binary = _chromium()
    if binary is None:
        pytest.skip(
            "no Chromium binary on PATH (apt-get install chromium); the /docs page test needs one"
        )
    profile = tempfile.mkdtemp(prefix="tiffin-chromium-")
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # nothing leaves the machine
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        pages = [
            t for t in httpx.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"
        ]
        tools = _DevTools(pages[0]["webSocketDebuggerUrl"])
        try:
            yield tools
        finally:
            tools.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.slow
def test_docs_page_lists_the_apis_and_try_it_works_offline(
    iris: ServerProcess, browser: _DevTools
) -> None:
    """``/docs`` is Swagger UI, served by the server: the APIs listed, the example body built
    from the descriptor prefilled, "Try it out" answering from the real service."""
    browser.send("Network.enable")
    browser.send("Page.enable")
    browser.send("Page.navigate", url=iris.url + "/docs")
    browser.wait_for("document.body && document.body.getAttribute('data-ready') === 'true'")
    browser.wait_for("document.querySelectorAll('.opblock').length > 0")
    routes = browser.evaluate(
        "Array.from(document.querySelectorAll('[id^=\"operations-APIs-\"] .opblock-summary-path'))"
        ".map(e => e.getAttribute('data-path'))"
    )
    assert routes == ["/classify"]
    browser.evaluate(
        "(() => { document.querySelector('#operations-APIs-classify button.opblock-summary-control').click();"
        " return true; })()"
    )
    body = browser.wait_for(
        "(() => { const t = document.querySelector('#operations-APIs-classify textarea.body-param__text');"
        " return t ? t.value : null; })()"
    )
    example = json.loads(str(body))  # the example built from the descriptor, as JSON
    assert isinstance(example, list) and len(example[0]) == 4, example
    browser.evaluate(
        "(() => { const t = document.querySelector('#operations-APIs-classify textarea.body-param__text');"
        " const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;"
        " set.call(t, '[[5.9, 3, 5.1, 1.8]]');"
        " t.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"
    )
    browser.evaluate(
        "(() => { document.querySelector('#operations-APIs-classify button.execute').click();"
        " return true; })()"
    )
    status = browser.wait_for(
        "(() => { const c = document.querySelector("
        "'#operations-APIs-classify .live-responses-table tr.response .response-col_status');"
        " return c ? c.textContent.trim() : null; })()"
    )
    assert str(status).startswith("200"), status
    # the status shows before the body is read: wait for the body too (a busy CI host)
    answer = browser.wait_for(
        "(() => { const p = document.querySelector('#operations-APIs-classify .live-responses-table"
        " tr.response .response-col_description .highlight-code pre');"
        " return p ? p.textContent : null; })()"
    )
    assert json.loads(str(answer)) == [2]
    requested = [
        e["params"]["request"]["url"]  # type: ignore[index]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert any(url.endswith("/docs.json") for url in requested)
    assert any(url.endswith("/classify") for url in requested)
    outside = [
        url
        for url in requested
        if not url.startswith(iris.url) and not url.startswith(("data:", "blob:", "about:"))
    ]
    assert outside == [], f"the page asked for something beyond the server: {outside}"
