"""Real OCI registries for the tests: Debian's ``docker-registry`` (Distribution 2.8) on a free
loopback port, anonymous, behind htpasswd basic auth, or behind a bearer-token service this
fixture runs (Distribution's own ``auth.token`` with a self-signed certificate bundle)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import bcrypt
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tiffin_oci.testing import Registry, running

pytest_plugins = ["tiffin.testing.fixtures"]

USER, PASSWORD = "alice", "s3cret-pw"
SERVICE, ISSUER = "tiffin-test-registry", "tiffin-test-issuer"


@pytest.fixture(autouse=True)
def _no_user_credentials(tmp_path, monkeypatch) -> None:
    """Never the user's own Docker credentials or registry: a fresh ``$DOCKER_CONFIG``."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("TIFFIN_CONFIG_DIR", str(tmp_path / "tiffin-config"))
    for name in (
        "TIFFIN_OCI_USERNAME",
        "TIFFIN_OCI_PASSWORD",
        "TIFFIN_REGISTRY_TOKEN",
        "TIFFIN_REGISTRY_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def registry(tmp_path) -> Iterator[Registry]:
    with running(tmp_path / "registry") as reg:
        yield reg


@pytest.fixture()
def basic_registry(tmp_path) -> Iterator[Registry]:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"{USER}:{hashed}\n")
    auth = {"htpasswd": {"realm": "tiffin-test", "path": str(htpasswd)}}
    with running(tmp_path / "registry-basic", auth) as reg:
        yield reg


# -- a bearer-token service ------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenService:
    """Issues RS256 JWTs the way Distribution's ``auth.token`` expects (``x5c`` header, ``access``
    claim); checks ``USER``/``PASSWORD`` (anonymous requests get pull-only tokens when
    ``anonymous_pull``); refuses the catalog scope when ``catalog`` is False."""

    def __init__(self, workdir: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tiffin test token signer")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = workdir / "token-ca.pem"
        workdir.mkdir(parents=True, exist_ok=True)
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.catalog = True
        self.anonymous_pull = False
        self.lifetime = 600  # seconds a token is valid
        self.requests: list[dict] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                service.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def sign(self, claims: dict) -> str:
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64url(signature)}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(request.path).query)
        user = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (name, password) != (USER, PASSWORD):
                request.send_response(401)
                request.end_headers()
                return
            user = name
        if user is None and not self.anonymous_pull:
            request.send_response(401)
            request.end_headers()
            return
        access = []
        for scope in " ".join(query.get("scope", [])).split():
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "registry" and not self.catalog:
                continue
            granted = actions.split(",") if user else [a for a in actions.split(",") if a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        self.requests.append({"user": user, "scope": query.get("scope", [])})
        now = int(time.time())
        token = self.sign(
            {
                "iss": ISSUER,
                "sub": user or "",
                "aud": query.get("service", [SERVICE])[0],
                "exp": now + self.lifetime,
                "nbf": now - 30,
                "iat": now,
                "jti": uuid.uuid4().hex,
                "access": access,
            }
        )
        body = json.dumps({"token": token, "expires_in": self.lifetime}).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def token_registry(tmp_path) -> Iterator[tuple[Registry, TokenService]]:
    service = TokenService(tmp_path / "token")
    auth = {
        "token": {
            "realm": service.realm,
            "service": SERVICE,
            "issuer": ISSUER,
            "rootcertbundle": str(service.bundle),
        }
    }
    try:
        with running(tmp_path / "registry-token", auth) as reg:
            yield reg, service
    finally:
        service.close()


@pytest.fixture()
def account() -> tuple[str, str]:
    """The user name and password the htpasswd file and the token service accept."""
    return USER, PASSWORD


@pytest.fixture()
def docker_login():
    """``docker_login(host, user, password)``: credentials the way ``docker login`` leaves them
    (``$DOCKER_CONFIG/config.json``, ``auths[host].auth`` = base64 of ``user:password``)."""

    def login(host: str, user: str = USER, password: str = PASSWORD) -> None:
        path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        path.write_text(json.dumps({"auths": {host: {"auth": token}}}))

    return login


class BreakingProxy:
    """A TCP proxy in front of a registry that cuts ``breaks`` connections once ``after`` bytes
    went through them in one direction (``"up"``: client to registry, ``"down"``)."""

    def __init__(self, target_port: int, *, direction: str, after: int, breaks: int = 1) -> None:
        self.target_port, self.direction, self.after = target_port, direction, after
        self.breaks = breaks
        self.broken = 0
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = False
        self.pairs: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, namespace: str = "team") -> str:
        return f"oci://127.0.0.1:{self.port}/{namespace}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            pair = (client, upstream, [2])  # the sockets, and how many pumps still run
            with self._lock:
                self.pairs.append(pair)
            threading.Thread(
                target=self._pump, args=(client, upstream, "up", pair), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, "down", pair), daemon=True
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str, pair) -> None:
        moved = 0
        try:
            while data := src.recv(65536):
                moved += len(data)
                if direction == self.direction and moved > self.after:
                    with self._lock:
                        cut = self.broken < self.breaks
                        self.broken += cut
                    if cut:
                        for s in pair[:2]:
                            with contextlib.suppress(OSError):
                                s.shutdown(socket.SHUT_RDWR)
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            with self._lock:
                pair[2][0] -= 1
                last = pair[2][0] == 0
            if last:
                for s in pair[:2]:
                    s.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        for pair in self.pairs:
            for s in pair[:2]:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture()
def breaking_proxy(registry):
    made: list[BreakingProxy] = []

    def make(direction: str, after: int, breaks: int = 1) -> BreakingProxy:
        proxy = BreakingProxy(registry.port, direction=direction, after=after, breaks=breaks)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


class ReferrersProxy:
    """An HTTP proxy in front of Distribution 2.8 that adds what an OCI 1.1 registry has: it
    answers ``OCI-Subject`` to a manifest pushed with a ``subject`` and serves the referrers
    API (``GET /v2/<repo>/referrers/<digest>``) from what it saw."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.referrers: dict[tuple[str, str], list[dict]] = {}
        self.http = httpx.Client()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                proxy.relay(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, namespace: str = "team") -> str:
        return f"oci://127.0.0.1:{self.port}/{namespace}"

    def relay(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        path = urlsplit(request.path).path
        if request.command == "GET" and "/referrers/" in path:
            repo, _, digest = path[len("/v2/") :].partition("/referrers/")
            data = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": self.referrers.get((repo, digest), []),
                }
            ).encode()
            self._answer(
                request, 200, {"Content-Type": "application/vnd.oci.image.index.v1+json"}, data
            )
            return
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        upstream = self.http.request(
            request.command, self.target + request.path, headers=headers, content=body
        )
        extra = {}
        if request.command == "PUT" and "/manifests/" in path and upstream.status_code == 201:
            manifest = json.loads(body)
            subject = manifest.get("subject")
            if subject:
                repo = path[len("/v2/") :].partition("/manifests/")[0]
                digest = upstream.headers["docker-content-digest"]
                self.referrers.setdefault((repo, subject["digest"]), []).append(
                    {
                        "mediaType": manifest["mediaType"],
                        "digest": digest,
                        "size": len(body),
                        "artifactType": manifest.get("artifactType"),
                    }
                )
                extra["OCI-Subject"] = subject["digest"]
        out = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        out.update(extra)
        self._answer(
            request, upstream.status_code, out, upstream.content, request.command == "HEAD"
        )

    @staticmethod
    def _answer(request, status: int, headers: dict, body: bytes, head: bool = False) -> None:
        request.send_response(status)
        for key, value in headers.items():
            request.send_header(key, value)
        length = headers.get("Content-Length") if head else None
        request.send_header("Content-Length", str(length or len(body)))
        request.end_headers()
        if not head:
            request.wfile.write(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()


@pytest.fixture()
def referrers_registry(registry):
    proxy = ReferrersProxy(f"http://{registry.host}")
    try:
        yield registry, proxy
    finally:
        proxy.close()
