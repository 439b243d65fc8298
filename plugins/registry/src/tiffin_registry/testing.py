"""Test helpers for the registry and the plugins that stack on it (transfer strategies, S3, UI).

Enable the fixtures with ``pytest_plugins = ["tiffin.testing.fixtures",
"tiffin_registry.testing"]`` in a ``conftest.py``. Everything here starts *real* processes:

- :func:`start_registry` runs ``tiffin registry serve`` on a free port and waits for
  ``/healthz``; the :class:`RegistryServer` it returns knows its URL, storage, database and
  tokens, and gives client environments (``server.env("write")``).
- :class:`PostgresServer` runs a throw-away PostgreSQL (``initdb`` + ``pg_ctl``, as the
  ``postgres`` user when run as root) and creates a fresh database per registry. Missing
  binaries skip the tests locally and fail them in CI (``$CI`` set).

The transfer strategy kit: :class:`TransferStrategyContract` (subclass it, set ``strategy``).

Checks: :func:`cli_json` (a CLI run's ``-o json`` output, asserting it succeeded) and
:func:`assert_same_files` (a pulled model holds the pushed bytes).

Fixtures: ``postgres_server`` (session), ``registry_db`` (parametrized: ``sqlite`` and
``postgresql``; a database URL or ``None``), ``registry`` (a running anonymous registry on the
``registry_db`` database, configured for this test's clients through ``TIFFIN_REGISTRY_URL``),
``start_registry`` (a factory, for tokens and several replicas; all stopped at the end).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tiffin.testing.fixtures import free_port, wait_for_http
from tiffin_registry._contract import TransferStrategyContract

__all__ = [
    "TOKENS",
    "PostgresServer",
    "RegistryServer",
    "TransferStrategyContract",
    "assert_same_files",
    "cli_json",
    "find_postgres_binaries",
    "make_bento",
    "make_model",
    "registry_in_process",
    "start_registry",
    "write_tokens",
]

#: Tokens written by :func:`write_tokens`: scope -> token.
TOKENS = {"read": "tok-read-0123456789", "write": "tok-write-0123456789"}


def write_tokens(path: Path, tokens: dict[str, str] | None = None) -> Path:
    """A tokens file holding ``tokens`` (scope -> token; default :data:`TOKENS`)."""
    lines = [f"{token} {scope}" for scope, token in (tokens or TOKENS).items()]
    path.write_text("# test tokens\n" + "\n".join(lines) + "\n")
    return path


class RegistryServer:
    """A ``tiffin registry serve`` process (see :func:`start_registry`)."""

    def __init__(
        self,
        storage: str,
        db: str | None,
        tokens: Path | None,
        host: str,
        port: int,
        log: Path,
        env: dict[str, str],
        extra_args: tuple[str, ...],
    ) -> None:
        self.storage, self.db, self.tokens = storage, db, tokens
        self.host, self.port, self.log = host, port, log
        self.url = f"http://{host}:{port}"
        self._env = env
        self._extra = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "tiffin",
            "registry",
            "serve",
            "--storage",
            self.storage,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        if self.db:
            cmd += ["--db", self.db]
        if self.tokens:
            cmd += ["--tokens", str(self.tokens)]
        return cmd + list(self._extra)

    def start(self, timeout: float = 60) -> RegistryServer:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self._env
            )
        try:
            wait_for_http(f"{self.url}/healthz", self.process, timeout=timeout)
        except AssertionError:
            self.stop()
            raise AssertionError(
                f"registry did not start:\n{self.log.read_text()[-4000:]}"
            ) from None
        return self

    def env(self, scope: str | None = None) -> dict[str, str]:
        """Environment variables for a client of this registry (with the ``scope`` token)."""
        env = {"TIFFIN_REGISTRY_URL": self.url}
        if scope is not None:
            env["TIFFIN_REGISTRY_TOKEN"] = TOKENS[scope]
        return env

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def start_registry(
    storage: str | Path,
    *,
    db: str | None = None,
    tokens: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> RegistryServer:
    """Start ``tiffin registry serve`` and wait until ``/healthz`` answers."""
    log = log or Path(tempfile.mkstemp(prefix="tiffin-registry-", suffix=".log")[1])
    full_env = {**os.environ, **(env or {})}
    for attempt in (1, 2):
        server = RegistryServer(
            str(storage), db, tokens, host, port or free_port(), log, full_env, extra_args
        )
        try:
            return server.start()
        except AssertionError:
            # a port picked free was taken before the server bound it: once more, on another
            if port is not None or attempt == 2 or "already in use" not in server.logs().lower():
                raise
    raise AssertionError("unreachable")


# -- sample models and bentos ---------------------------------------------------------------

SERVICE = """
import tiffin
from tiffin.io import JSON

MODEL = tiffin.models.get("{model}:latest")


class Scale(tiffin.Runnable):
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self):
        self.factor = float((MODEL.path / "factor.txt").read_text())

    @tiffin.Runnable.method(batchable=False)
    def scale(self, values):
        return [v * self.factor for v in values]


runner = tiffin.Runner(Scale, name="scale", models=[MODEL])
svc = tiffin.Service("{name}", runners=[runner])


@svc.api(input=JSON(), output=JSON())
async def predict(values):
    return {{"scaled": await runner.scale.async_run(values)}}
"""


@contextlib.contextmanager
def registry_in_process(
    storage: str | Path, db: str | None = None, tokens: str | Path | None = None
) -> Iterator[str]:
    """A registry served by uvicorn on a thread of *this* process; yields its URL.

    For tests that register plugins in-process (``tiffin.plugins.register_in_process``)
    and need the registry to see them: a deliberately broken strategy, a strategy under
    development. :func:`start_registry` runs the real ``tiffin registry serve`` command instead.
    """
    import uvicorn

    from tiffin_registry._app import build_app
    from tiffin_registry._serve import open_registry

    registry = open_registry(str(storage), db, tokens)
    app = build_app(registry, ui=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", None, timeout=30)
        yield url
    finally:
        server.should_exit = True
        thread.join(15)
        registry.engine.dispose()


def make_model(name: str = "scaler", factor: float = 3.0, extra_bytes: int = 0, labels=None):
    """A small custom model: a factor file, plus random bytes when asked (a 'weights' file)."""
    import tiffin

    with tiffin.models.create(name, labels=labels or {}, framework="custom") as model:
        (model.path / "factor.txt").write_text(str(factor))
        if extra_bytes:
            (model.path / "weights").mkdir()
            (model.path / "weights" / "w.bin").write_bytes(os.urandom(extra_bytes))
    return model


def cli_json(done: subprocess.CompletedProcess[str]) -> Any:
    """The ``-o json`` output of a CLI run that must have succeeded (its stderr if not)."""
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_same_files(model: Any, home: Path) -> None:
    """The copy of ``model`` in the model store under ``home`` holds its bytes, file by file."""
    copy = home / "models" / model.tag.name / model.tag.version
    for entry in model.info.files:
        assert (copy / entry.path).read_bytes() == (model.path / entry.path).read_bytes(), entry.path


def make_bento(folder: Path, model: str = "scaler", name: str = "scaler-svc"):
    """A bento of a service that scales numbers by the model's factor."""
    import tiffin

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service.py").write_text(textwrap.dedent(SERVICE.format(model=model, name=name)))
    (folder / "bentofile.yaml").write_text("service: service.py:svc\n")
    return tiffin.build("service.py:svc", build_ctx=folder)


# -- PostgreSQL ---------------------------------------------------------------------------------


def find_postgres_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's install folder."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


class PostgresServer:
    """A throw-away PostgreSQL server on 127.0.0.1 (trust auth), for tests and benchmarks."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="tiffin-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        done = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr or done.stdout}")
        for attempt in (1, 2):
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
            done = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            )
            if not done.returncode:
                return self
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            if attempt == 1 and "already in use" in log.lower():
                self.port = free_port()  # taken since it was picked free: once more, elsewhere
                continue
            raise RuntimeError(f"pg_ctl start failed: {done.stderr or done.stdout}\n{log}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"reg_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (skipped locally, failed in CI, if missing)."""
    bin_dir = find_postgres_binaries()
    if bin_dir is None:
        message = (
            "PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql); "
            "the registry's PostgreSQL tests need them"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bin_dir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_db(request: pytest.FixtureRequest) -> str | None:
    """A database URL for a registry: ``None`` (its default SQLite file) or a new PostgreSQL
    database on the session's server."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def start_registry_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RegistryServer]]:
    """``start(storage=None, db=None, tokens=False, **kw)``: registries stopped at the end."""
    started: list[RegistryServer] = []

    def start(
        storage: str | Path | None = None, *, tokens: bool | Path = False, **kwargs: Any
    ) -> RegistryServer:
        root = tmp_path_factory.mktemp("registry")
        token_file = None
        if tokens is True:
            token_file = write_tokens(root / "tokens.txt")
        elif tokens:
            token_file = Path(tokens)
        server = start_registry(
            storage or root / "storage", tokens=token_file, log=root / "server.log", **kwargs
        )
        started.append(server)
        return server

    yield start
    for server in started:
        with contextlib.suppress(Exception):
            server.stop()


@pytest.fixture
def registry(
    start_registry_factory: Callable[..., RegistryServer],
    registry_db: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> RegistryServer:
    """A running anonymous registry on the ``registry_db`` database; clients of this test
    (in-process and subprocesses) find it through ``TIFFIN_REGISTRY_URL``."""
    server = start_registry_factory(db=registry_db)
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    return server


def wait_until(check: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Poll ``check`` until true (not a timed assertion: a bound on waiting for a process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout}s")
