"""Attacks on the registry's front door (issue 25, Medium): DNS rebinding, cross-site posts,
slowloris, unbounded forms, leaked signatures."""

from __future__ import annotations

import hashlib
import socket
import time

import httpx
import pytest

from tiffin_registry.testing import TOKENS, RegistryServer

pytestmark = pytest.mark.slow


def test_an_anonymous_registry_answers_only_loopback_host_names(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory()
    evil = {"Host": f"evil.example:{server.port}"}
    for path in ("/api/v1/models", "/ui/", "/api/v1/"):
        answer = httpx.get(server.url + path, headers=evil)
        assert answer.status_code == 421, (path, answer.text)
        assert "evil.example" in answer.json()["error"]
    # no write UI session, no CSRF token, no delete through the foreign name
    assert "set-cookie" not in httpx.get(server.url + "/ui/", headers=evil).headers
    deleted = httpx.delete(server.url + "/api/v1/models/m/versions/v1", headers=evil)
    assert deleted.status_code == 421
    # probes may use any address; loopback names work as before
    assert httpx.get(server.url + "/healthz", headers=evil).status_code == 200
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]"):
        assert httpx.get(server.url + "/api/v1/models", headers={"Host": host}).status_code == 200


def test_allowed_hosts_restrict_a_registry_with_tokens(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(
        tokens=True, extra_args=("--allowed-host", "models.example.com")
    )
    auth = {"Authorization": f"Bearer {TOKENS['read']}"}
    ok = httpx.get(server.url + "/api/v1/models",
                   headers={**auth, "Host": "models.example.com"})
    assert ok.status_code == 200, ok.text
    other = httpx.get(server.url + "/api/v1/models", headers={**auth, "Host": "other.example"})
    assert other.status_code == 421 and "--allowed-host" in other.json()["error"]


def test_cross_site_posts_are_refused(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory()
    sha = hashlib.sha256(b"x").hexdigest()
    url = f"{server.url}/api/v1/blobs/{sha}/upload"
    body = b'{"size": 1, "strategies": ["proxy"]}'
    # a web page's simple request: text/plain needs no CORS preflight
    plain = httpx.post(url, content=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415, plain.text
    foreign = httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                     "Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "origin" in foreign.json()["error"]
    null = httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                  "Origin": "null"})
    assert null.status_code == 403
    same = httpx.post(url, content=body, headers={"Content-Type": "application/json",
                                                  "Origin": server.url})
    assert same.status_code == 200, same.text


def test_ui_forms_refuse_file_parts_before_reading_them(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(tokens=True)

    def big_file():
        yield b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n"
        for _ in range(64):
            yield b"\0" * (1 << 20)
        yield b"\r\n--B--\r\n"

    for path in ("/ui/login", "/ui/logout", "/ui/models/m/v1/delete"):
        answer = httpx.post(server.url + path, content=big_file(),
                            headers={"Content-Type": "multipart/form-data; boundary=B"},
                            timeout=60)
        assert answer.status_code == 415, (path, answer.text)
        big = httpx.post(server.url + path, content=b"token=" + b"a" * (1 << 20),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert big.status_code == 413, (path, big.text)


def test_half_sent_requests_do_not_stop_healthz_and_are_closed(start_registry_factory) -> None:
    """Slowloris, bounded for a 2-core machine: 2,000 connections send half a request line
    and stop. /healthz still answers within 1 s; the server closes them within 30 s."""
    server: RegistryServer = start_registry_factory(env={"TIFFIN_REGISTRY_MAX_PENDING": "500"})
    sockets: list[socket.socket] = []
    try:
        for _ in range(2000):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(b"GET /api/v1/mod")
            sockets.append(s)
        for _ in range(5):
            started = time.monotonic()
            answer = httpx.get(f"{server.url}/healthz", timeout=5)
            assert answer.status_code == 200
            assert time.monotonic() - started < 1.0
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        open_ones = list(sockets)
        while open_ones and time.monotonic() < deadline:
            still = []
            for s in open_ones:
                s.settimeout(0)
                try:
                    data = s.recv(1024)
                except BlockingIOError:
                    still.append(s)
                    continue
                except OSError:
                    continue  # reset: closed
                if data:
                    still.append(s)  # an answer, then the close
            open_ones = still
            time.sleep(0.5)
        assert open_ones == [], f"{len(open_ones)} of {len(sockets)} still open after 30 s"
    finally:
        for s in sockets:
            s.close()


def test_presigned_signatures_stay_out_of_the_access_log(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(extra_args=("--log-level", "info"))
    content = b"secret bytes"
    sha = hashlib.sha256(content).hexdigest()
    offered = httpx.post(f"{server.url}/api/v1/blobs/{sha}/download",
                         json={"strategies": ["proxy"]})
    assert offered.status_code == 404  # not there yet; now through a signed URL
    answer = httpx.get(f"{server.url}/api/v1/transfer/presigned/blobs/{sha}?sig=123.abcdef")
    assert answer.status_code in (403, 404)
    time.sleep(0.5)
    log = server.logs()
    assert "/api/v1/transfer/presigned/blobs/" in log
    assert "abcdef" not in log and "sig=REDACTED" in log


def test_a_body_that_stops_arriving_is_closed(start_registry_factory) -> None:
    server: RegistryServer = start_registry_factory(env={"TIFFIN_REGISTRY_BODY_TIMEOUT": "2"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"PUT /api/v1/models/m/versions/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Length: 1000\r\n\r\nname: m\n")
        started = time.monotonic()
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        assert time.monotonic() - started < 20
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_an_allowed_host_is_an_origin_behind_a_proxy_that_rewrites_host(
    start_registry_factory,
) -> None:
    server: RegistryServer = start_registry_factory(
        tokens=True, extra_args=("--allowed-host", "models.example.com")
    )
    headers = {"Authorization": f"Bearer {TOKENS['write']}", "Content-Type": "application/json"}
    sha = hashlib.sha256(b"x").hexdigest()
    url = f"{server.url}/api/v1/blobs/{sha}/upload"
    body = b'{"size": 1, "strategies": ["proxy"]}'
    ok = httpx.post(url, content=body, headers={**headers, "Origin": "https://models.example.com"})
    assert ok.status_code == 200, ok.text
    evil = httpx.post(url, content=body, headers={**headers, "Origin": "https://evil.example"})
    assert evil.status_code == 403
