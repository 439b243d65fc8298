"""Real OCI registries for the tests: Debian's ``docker-registry`` (Distribution 2.8) on a free
loopback port, anonymous, behind htpasswd basic auth, or behind a bearer-token service this
fixture runs (Distribution's own ``auth.token`` with a self-signed certificate bundle)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import shutil
import socket
import subprocess
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

USER, PASSWORD = "alice", "s3cret-pw"
SERVICE, ISSUER = "tiffin-test-registry", "tiffin-test-issuer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Registry:
    """A running ``docker-registry serve``: ``url`` (oci://...), ``host``, ``root`` (its files)."""

    def __init__(self, workdir: Path, auth: dict | None) -> None:
        self.workdir = workdir
        self.root = workdir / "storage"
        self.auth = auth
        self.log = workdir / "registry.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, namespace: str = "team") -> str:
        return f"oci://{self.host}/{namespace}"

    def start(self) -> None:
        binary = shutil.which("docker-registry")
        if binary is None:
            pytest.fail("docker-registry is not installed: apt-get install -y docker-registry")
        for _attempt in range(2):  # a port taken between choosing and binding: once more
            self.port = free_port()
            config = {
                "version": 0.1,
                "log": {"level": "info", "accesslog": {"disabled": False}},
                "storage": {
                    "filesystem": {"rootdirectory": str(self.root)},
                    "delete": {"enabled": True},
                    "maintenance": {"uploadpurging": {"enabled": False}},
                },
                "http": {"addr": self.host, "secret": "tiffin-test-secret"},
            }
            if self.auth:
                config["auth"] = self.auth
            path = self.workdir / "config.yml"
            path.write_text(json.dumps(config))  # JSON is YAML
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [binary, "serve", str(path)], stdout=log, stderr=subprocess.STDOUT
                )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://{self.host}/v2/", timeout=1).status_code in (200, 401):
                        return
                time.sleep(0.05)
            self.stop()
            if "address already in use" not in self.log.read_text(errors="replace"):
                break
        pytest.fail(f"docker-registry did not start; its log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def access_log(self) -> str:
        return self.log.read_text(errors="replace")

    def blob_file(self, digest: str) -> Path:
        hexd = digest.removeprefix("sha256:")
        return self.root / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"


@contextlib.contextmanager
def running(workdir: Path, auth: dict | None = None) -> Iterator[Registry]:
    workdir.mkdir(parents=True, exist_ok=True)
    registry = Registry(workdir, auth)
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.delenv("TIFFIN_OCI_USERNAME", raising=False)
    monkeypatch.delenv("TIFFIN_OCI_PASSWORD", raising=False)
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    monkeypatch.setenv("TIFFIN_AUTO_PULL", "0")
    return tmp_path / "home"


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
                "exp": now + 600,
                "nbf": now - 30,
                "iat": now,
                "jti": uuid.uuid4().hex,
                "access": access,
            }
        )
        body = json.dumps({"token": token, "expires_in": 600}).encode()
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


def login_docker(host: str, user: str = USER, password: str = PASSWORD) -> None:
    """Credentials the way ``docker login`` leaves them: ``$DOCKER_CONFIG/config.json``."""
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
