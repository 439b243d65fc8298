"""A strategy that raises, in any half, never takes the registry or a push down with it.

The broken strategy is registered in-process (as a plugin under development would be), and
the registry runs on a thread of this process so that it sees it too.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

import tiffin
from tiffin import plugins
from tiffin.plugins import TiffinPluginWarning
from tiffin_registry.testing import assert_same_files, make_model, registry_in_process


class Broken:
    """A strategy preferred over proxy (priority 100) whose chosen half raises."""

    name = "broken"
    priority = 100

    def __init__(self, raises_in: str) -> None:
        self.raises_in = raises_in

    def _maybe_raise(self, where: str) -> None:
        if where == self.raises_in:
            raise RuntimeError(f"bug in {where}")

    def accepts(self, size):
        return True

    def client_upload(self, offer, path, size, http, progress):
        self._maybe_raise("client_upload")
        raise AssertionError("the registry never offers this strategy in these tests")

    def client_download(self, offer, path, size, http, progress):
        self._maybe_raise("client_download")
        raise AssertionError("the registry never offers this strategy in these tests")

    def registry_offer_upload(self, registry, session, base_url):
        self._maybe_raise("registry_offer_upload")
        return {"anything": True} if self.raises_in == "client_upload" else None

    def registry_offer_download(self, registry, sha256, size, base_url):
        self._maybe_raise("registry_offer_download")
        return {"anything": True} if self.raises_in == "client_download" else None

    def registry_routes(self, registry):
        if self.raises_in == "registry_routes":
            raise RuntimeError("bug in registry_routes")
        if self.raises_in == "registry_routes_not_a_list":
            from starlette.routing import Route

            return Route("/x", lambda request: None)  # a Route, not a list of routes
        return []


@pytest.fixture
def broken(request) -> Iterator[Broken]:
    strategy = Broken(request.param)
    plugin = types.ModuleType("tiffin_broken")

    @tiffin.hookimpl
    def register_transfer_strategies(register):
        register(strategy)

    plugin.register_transfer_strategies = register_transfer_strategies  # type: ignore[attr-defined]
    plugins.register_in_process(plugin, "broken")
    yield strategy
    plugins.reset()


def _sessions(storage: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{storage / 'registry.db'}")
    try:
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT state FROM upload_sessions WHERE strategy='broken'"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def _push_and_pull(url: str, tmp_path: Path, monkeypatch) -> None:
    model = make_model("iso", extra_bytes=3000)
    tiffin.models.push(model.tag)
    other = tmp_path / "other-home"
    monkeypatch.setenv("TIFFIN_HOME", str(other))
    tiffin.models.pull(str(model.tag))
    assert_same_files(model, other)


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["registry_routes", "registry_routes_not_a_list"], indirect=True)
def test_routes_that_raise_disable_the_strategy_at_start(broken, tmp_path, monkeypatch) -> None:
    storage = tmp_path / "storage"
    with pytest.warns(TiffinPluginWarning) as caught:
        context = registry_in_process(storage)
        url = context.__enter__()
    try:
        mine = [w for w in caught if "'broken'" in str(w.message)]
        assert len(mine) == 1, [str(w.message) for w in caught]
        message = str(mine[0].message)
        assert "registry_routes" in message and "plugin 'broken'" in message
        assert "the other strategies are still offered" in message
        listed = httpx.get(f"{url}/api/v1/transfer").json()["strategies"]
        assert "broken" not in {s["name"] for s in listed} and "proxy" in {
            s["name"] for s in listed
        }
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", url)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing more to say: every transfer uses proxy
            _push_and_pull(url, tmp_path, monkeypatch)
    finally:
        context.__exit__(None, None, None)


@pytest.mark.slow
@pytest.mark.parametrize(
    "broken", ["registry_offer_upload", "registry_offer_download"], indirect=True
)
def test_an_offer_that_raises_disables_the_strategy_once(broken, tmp_path, monkeypatch) -> None:
    storage = tmp_path / "storage"
    with registry_in_process(storage) as url:
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", url)
        with pytest.warns(TiffinPluginWarning) as caught:
            _push_and_pull(url, tmp_path, monkeypatch)
        mine = [w for w in caught if "'broken'" in str(w.message)]
        assert len(mine) == 1, [str(w.message) for w in caught]
        assert broken.raises_in in str(mine[0].message)
        assert "open" not in _sessions(storage), "the session opened before the offer is aborted"
        listed = httpx.get(f"{url}/api/v1/transfer").json()["strategies"]
        assert "broken" not in {s["name"] for s in listed}
        monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "third-home"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # one warning per registry, not one per push
            _push_and_pull(url, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["client_upload", "client_download"], indirect=True)
def test_a_client_half_that_raises_falls_back_with_a_warning(broken, tmp_path, monkeypatch) -> None:
    with registry_in_process(tmp_path / "storage") as url:
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", url)
        with pytest.warns(TiffinPluginWarning, match=f"raised in {broken.raises_in}") as caught:
            _push_and_pull(url, tmp_path, monkeypatch)
        message = next(str(w.message) for w in caught if "'broken'" in str(w.message))
        assert "plugin 'broken'" in message and "falling back to the next strategy" in message
