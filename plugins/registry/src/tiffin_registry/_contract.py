"""The transfer strategy kit: ``tiffin_registry.testing.TransferStrategyContract``.

A strategy's test module subclasses it and names the strategy::

    # conftest.py: pytest_plugins = ["tiffin.testing.fixtures", "tiffin_registry.testing"]
    from tiffin_registry.testing import TransferStrategyContract

    class TestZstd(TransferStrategyContract):
        strategy = "zstd"

Against real ``tiffin registry serve`` processes (SQLite, and PostgreSQL for the round trip),
it checks: the strategy is registered with a complete, typed contract; models and bentos go up
and come back byte for byte through it (an empty, a short and a long file); a body whose sha256
is not the one announced is refused and nothing is stored; an interrupted download resumes;
a registry without the strategy leaves clients on proxy; and every route the strategy adds
refuses a request without a token. Each failure says how to fix it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

__all__ = ["TransferStrategyContract"]

MiB = 1024 * 1024


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TransferStrategyContract:
    """Conformance tests for a transfer strategy; subclass and set :attr:`strategy`."""

    #: the strategy's registered name (what ``--strategy NAME`` takes)
    strategy: ClassVar[str] = ""
    #: the entry-point name of the plugin providing it (default: the strategy's name); a
    #: registry started with ``TIFFIN_DISABLE_PLUGINS=<plugin>`` lacks the strategy
    plugin: ClassVar[str | None] = None
    #: sizes of the short and the long file of the round trips (an empty one is added)
    short_size: ClassVar[int] = 1000
    long_size: ClassVar[int] = 3 * MiB + 7

    def registry_env(self) -> dict[str, str]:
        """Environment of the registry processes (e.g. a small part size)."""
        return {}

    def client_env(self) -> dict[str, str]:
        """Environment of this test's clients (e.g. a small multipart threshold)."""
        return {}

    # -- fixtures ------------------------------------------------------------------------------

    def _name(self) -> str:
        if not self.strategy:
            pytest.fail(f"{type(self).__name__} must set strategy = '<name>' (its registered name)")
        return self.strategy

    @pytest.fixture(autouse=True)
    def _clients(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in self.client_env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)

    def _start(
        self, factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, **kw: Any
    ) -> Any:
        env = {**self.registry_env(), **kw.pop("env", {})}
        server = factory(env=env, **kw)
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
        return server

    @pytest.fixture
    def strategy_registry(
        self, start_registry_factory: Callable[..., Any], registry_db: str | None, monkeypatch
    ) -> Any:
        """A registry on each database (SQLite, PostgreSQL) that has the strategy."""
        return self._start(start_registry_factory, monkeypatch, db=registry_db)

    @pytest.fixture
    def sqlite_registry(self, start_registry_factory: Callable[..., Any], monkeypatch) -> Any:
        return self._start(start_registry_factory, monkeypatch)

    @pytest.fixture
    def other_home(self, tmp_path: Path) -> Path:
        home = tmp_path / "other-home"
        home.mkdir()
        return home

    # -- helpers -------------------------------------------------------------------------------

    def _model(self, name: str) -> Any:
        import tiffin

        with tiffin.models.create(name, framework="custom") as model:
            (model.path / "empty").write_bytes(b"")
            (model.path / "short.bin").write_bytes(os.urandom(self.short_size))
            (model.path / "long.bin").write_bytes(os.urandom(self.long_size))
        return model

    @staticmethod
    def _files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    def _offer(self, server: Any, direction: str, data: bytes, size: int) -> dict[str, Any]:
        import httpx

        sha = _sha256(data)
        body: dict[str, Any] = {"strategies": [self.strategy]}
        if direction == "upload":
            body["size"] = size
        answer = httpx.post(f"{server.url}/api/v1/blobs/{sha}/{direction}", json=body, timeout=60)
        assert answer.status_code == 200, answer.text
        offer = answer.json()
        assert offer.get("strategy") == self.strategy, (
            f"the registry did not offer {self.strategy!r} for a {direction} of {size} bytes "
            f"(answer: {offer}). Fix: registry_offer_{direction} must return a dict (None "
            f"declines) when the registry's storage allows the strategy"
        )
        return offer

    # -- the contract --------------------------------------------------------------------------

    def test_registered_with_a_complete_typed_contract(self) -> None:
        from tiffin import hookspecs, plugins

        strategies = plugins.transfer_strategies()
        name = self._name()
        assert name in strategies, (
            f"no transfer strategy {name!r} is registered (registered: {sorted(strategies)}). "
            f"Fix: register an instance in register_transfer_strategies; check the entry point"
        )
        s = strategies[name]
        assert isinstance(s, hookspecs.TransferStrategy)
        client = [
            p.__name__
            for p in (hookspecs.SupportsClientUpload, hookspecs.SupportsClientDownload)
            if isinstance(s, p)
        ]
        registry = [
            p.__name__
            for p in (
                hookspecs.SupportsRegistryOfferUpload,
                hookspecs.SupportsRegistryOfferDownload,
            )
            if isinstance(s, p)
        ]
        assert len(client) == len(registry) == 2, (
            f"{name!r} implements {client + registry}: a strategy moving blobs both ways needs "
            f"client_upload, client_download, registry_offer_upload and registry_offer_download "
            f"(see tiffin.hookspecs.ClientTransferStrategy and RegistryTransferStrategy)"
        )

    def test_models_round_trip_byte_for_byte(self, strategy_registry, other_home) -> None:
        import tiffin

        model = self._model("contract-model")
        pushed = tiffin.models.push(model.tag, strategy=self._name())
        assert dict(pushed.strategies) == {self.strategy: 3}, (
            f"the push did not send all 3 files with {self.strategy!r}: {pushed.strategies}"
        )
        os.environ["TIFFIN_HOME"] = str(other_home)  # the autouse tiffin_home fixture restores it
        pulled = tiffin.models.pull(str(model.tag), strategy=self.strategy)
        assert self._files(Path(pulled.path)) == self._files(Path(model.path)), (
            "the pulled model's files differ from the pushed ones. Fix: client_download must "
            "write exactly the blob's bytes into path (after any bytes already there)"
        )

    def test_bentos_round_trip_byte_for_byte(self, sqlite_registry, tmp_path, other_home) -> None:
        import tiffin
        from tiffin_registry.testing import make_bento, make_model

        make_model("scaler", extra_bytes=self.short_size)
        bento = make_bento(tmp_path / "project")
        tiffin.push(bento.tag, strategy=self._name())
        os.environ["TIFFIN_HOME"] = str(other_home)
        pulled = tiffin.pull(str(bento.tag), with_models=True, strategy=self.strategy)
        assert self._files(Path(pulled.path)) == self._files(Path(bento.path)), (
            "the pulled bento's files differ from the pushed ones"
        )
        assert tiffin.models.get("scaler:latest").path.exists()

    @pytest.mark.parametrize("kind", ["short", "long"])
    def test_a_body_with_another_sha256_is_refused(self, sqlite_registry, tmp_path, kind) -> None:
        import httpx

        from tiffin import plugins
        from tiffin.exceptions import TiffinError

        size = self.short_size if kind == "short" else self.long_size
        announced = os.urandom(size)
        sent = tmp_path / "other-bytes"
        sent.write_bytes(os.urandom(size))  # same size, other bytes
        offer = self._offer(sqlite_registry, "upload", announced, size)
        strategy: Any = plugins.transfer_strategies()[self.strategy]
        with (
            httpx.Client(base_url=sqlite_registry.url, timeout=60) as http,
            pytest.raises(TiffinError),
        ):
            strategy.client_upload(offer["offer"], sent, size, http, lambda n: None)
        missing = httpx.post(
            f"{sqlite_registry.url}/api/v1/blobs/check",
            json={"blobs": [{"sha256": _sha256(announced), "size": size}]},
        ).json()["missing"]
        assert missing, (
            "the registry stored a blob under a sha256 its bytes do not hash to. Fix: land "
            "uploads only through registry.finalize(session_id) or registry.receive(...), "
            "which verify size and sha256"
        )

    def test_an_interrupted_download_resumes(self, sqlite_registry, tmp_path) -> None:
        import httpx

        import tiffin
        from tiffin import plugins

        model = self._model("contract-resume")
        tiffin.models.push(model.tag, strategy=self._name())
        data = (Path(model.path) / "long.bin").read_bytes()
        offer = self._offer(sqlite_registry, "download", data, len(data))
        part = tmp_path / "blob.part"
        part.write_bytes(data[: len(data) // 2])
        moved: list[int] = []
        strategy: Any = plugins.transfer_strategies()[self.strategy]
        with httpx.Client(base_url=sqlite_registry.url, timeout=60) as http:
            digest = strategy.client_download(offer["offer"], part, len(data), http, moved.append)
        assert part.read_bytes() == data, (
            "after a download that found half the blob already in path, path does not hold the "
            "blob. Fix: continue after the bytes in path (tiffin.transfer.ResumableDownload)"
        )
        assert digest in (None, _sha256(data)), "client_download returned a wrong sha256"
        assert sum(moved) == len(data) and min(moved) >= 0, (
            f"progress reported {sum(moved)} bytes for a {len(data)}-byte blob, some taken back: "
            f"the kept half was downloaded again. Fix: ask for the rest only (a Range request)"
        )

    def test_clients_fall_back_to_proxy_on_a_registry_without_it(
        self, start_registry_factory, monkeypatch, other_home
    ) -> None:
        import tiffin
        from tiffin.exceptions import TiffinError

        plugin = self.plugin or self._name()
        if plugin.startswith("builtin."):
            # a built-in cannot be turned off: it must then be what a registry without any
            # plugin offers (proxy is everyone's fallback)
            env = {"TIFFIN_PLUGINS": "registry"}  # the server itself, and no other plugin
        else:
            env = {"TIFFIN_DISABLE_PLUGINS": plugin}
        self._start(start_registry_factory, monkeypatch, env=env)
        model = self._model("contract-fallback")
        pushed = tiffin.models.push(model.tag)
        if plugin.startswith("builtin."):
            assert dict(pushed.strategies) == {self.strategy: 3}, pushed.strategies
        else:
            assert self.strategy not in pushed.strategies and pushed.files_sent == 3, (
                f"a registry without {self.strategy!r} should leave the client on another "
                f"strategy: {pushed.strategies}"
            )
            forced = self._model("contract-forced")
            with pytest.raises(TiffinError, match="drop --strategy"):
                tiffin.models.push(forced.tag, strategy=self.strategy)
        os.environ["TIFFIN_HOME"] = str(other_home)
        pulled = tiffin.models.pull(str(model.tag))
        assert self._files(Path(pulled.path)) == self._files(Path(model.path))

    def test_every_route_it_adds_needs_a_token(
        self, start_registry_factory, monkeypatch, tmp_path
    ) -> None:
        import httpx
        from starlette.routing import Route

        from tiffin import plugins
        from tiffin.hookspecs import SupportsRegistryRoutes
        from tiffin_registry.access import open_registry
        from tiffin_registry.testing import TOKENS

        strategy = plugins.transfer_strategies()[self._name()]
        if not isinstance(strategy, SupportsRegistryRoutes):
            return  # no routes: nothing to guard
        local = open_registry(str(tmp_path / "routes-storage"))
        try:
            routes = [r for r in strategy.registry_routes(local) if isinstance(r, Route)]
        finally:
            local.engine.dispose()
        server = self._start(start_registry_factory, monkeypatch, tokens=True)
        values = {"sha256": _sha256(b""), "part_number": "1"}
        for route in routes:
            path = re.sub(
                r"{(\w+)(:\w+)?}", lambda m: values.get(str(m[1]), "no-such-thing"), route.path
            )
            url = f"{server.url}/api/v1/transfer/{self.strategy}{path}"
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                anonymous = httpx.request(method, url, timeout=30)
                assert anonymous.status_code in (401, 403), (
                    f"{method} {route.path} without a token answered {anonymous.status_code}. "
                    f"Fix: begin the route with await registry.authorize(request, 'read' or "
                    f"'write') (or check a signature made with registry.sign) before anything else"
                )
                if method not in ("GET", "HEAD"):
                    reader = httpx.request(
                        method, url, headers={"Authorization": f"Bearer {TOKENS['read']}"}
                    )
                    assert reader.status_code in (401, 403), (
                        f"{method} {route.path} with a read-only token answered "
                        f"{reader.status_code}. Fix: authorize writes with scope 'write'"
                    )
