"""The registry client without a registry: configuration, login, and clear lines for mistakes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tiffin._registry._config import login, registry_config
from tiffin.exceptions import InvalidArgument, MissingPlugin, NotFound


@pytest.fixture(autouse=True)
def _no_registry(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("TIFFIN_REGISTRY_URL", raising=False)
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    monkeypatch.setenv("TIFFIN_CONFIG_DIR", str(tmp_path / "config"))


def test_no_registry_configured_says_how_to_configure_one() -> None:
    with pytest.raises(NotFound, match="TIFFIN_REGISTRY_URL"):
        registry_config()
    assert registry_config(required=False) is None


def test_login_file_is_private_and_the_environment_wins(monkeypatch, tmp_path) -> None:
    path = login("http://registry.example:5000/", "secret-token")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    config = registry_config()
    assert (config.url, config.token) == ("http://registry.example:5000", "secret-token")
    assert "secret-token" not in repr(config)
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", "http://other:1")
    assert registry_config().token is None  # the stored token belongs to the stored URL
    monkeypatch.setenv("TIFFIN_REGISTRY_TOKEN", "t2")
    assert registry_config().token == "t2"


@pytest.mark.parametrize("url", ["registry.example", "ftp://x", "http://", ""])
def test_bad_urls_are_refused(url) -> None:
    with pytest.raises(InvalidArgument, match="http://host"):
        login(url, None)


@pytest.fixture
def only_builtin_plugins(monkeypatch):
    """No entry-point plugin: as if only core were installed."""
    from tiffin import _plugins

    monkeypatch.setenv("TIFFIN_PLUGINS", "")
    _plugins.reset()
    records = _plugins.plugin_records
    monkeypatch.setattr(_plugins, "plugin_records", lambda: [r for r in records() if r.builtin])
    yield
    _plugins.reset()


def test_a_forced_strategy_that_is_not_installed_names_the_package(only_builtin_plugins) -> None:
    from tiffin._registry._transfer import _candidates

    with pytest.raises(MissingPlugin) as caught:
        _candidates(10, "presigned", "upload")
    assert str(caught.value) == (
        "no transfer strategy named 'presigned' is installed (installed: proxy); install it "
        "with: pip install tiffin-presigned"
    )
    assert [s.name for s in _candidates(10, None, "download")] == ["proxy"]


@pytest.mark.parametrize(
    ("name", "ending"),
    [
        ("s3magic", "(installed: proxy)"),  # no package of ours, no close name
        ("proxxy", "(installed: proxy); did you mean 'proxy'?"),
        ("multipar", "(installed: proxy); did you mean 'multipart'?"),
    ],
)
def test_an_unknown_strategy_is_never_sent_to_a_package_nobody_owns(
    only_builtin_plugins, name, ending
) -> None:
    from tiffin._registry._transfer import _candidates

    with pytest.raises(MissingPlugin) as caught:
        _candidates(10, name, "upload")
    message = str(caught.value)
    assert message == f"no transfer strategy named {name!r} is installed {ending}"
    assert "pip install" not in message


def test_a_disabled_strategy_says_it_is_disabled(monkeypatch) -> None:
    from importlib.metadata import entry_points

    from tiffin import _plugins
    from tiffin._missing_plugin import missing_message

    if not any(ep.name == "multipart" for ep in entry_points(group="tiffin")):
        # only core installed: the same record, as `tiffin plugins` would show it disabled
        record = _plugins.PluginRecord(
            "multipart", "tiffin-multipart", "0.1.0", "tiffin_multipart", "disabled",
            disabled_by="TIFFIN_DISABLE_PLUGINS=multipart",
        )  # fmt: skip
        monkeypatch.setattr(_plugins, "plugin_records", lambda: [record])
    monkeypatch.setenv("TIFFIN_DISABLE_PLUGINS", "multipart")
    _plugins.reset()
    try:
        message = missing_message("transfer strategy", "multipart", ["proxy"], "--strategy")
    finally:
        _plugins.reset()
    assert message.startswith("the transfer strategy 'multipart' (tiffin-multipart ")
    assert message.endswith(
        "is installed but disabled by TIFFIN_DISABLE_PLUGINS=multipart; remove 'multipart' from that "
        "variable to use --strategy multipart"
    )


def test_strategy_help_lists_the_installed_strategies(cli) -> None:
    from tiffin import _plugins

    done = cli("models", "push", "--help", env={"COLUMNS": "300"})
    assert done.returncode == 0
    names = "|".join(sorted(_plugins.transfer_strategies()))
    assert f"--strategy [{names}] Use this transfer strategy: one of those installed here." in (
        " ".join(done.stdout.split())
    )


def test_unreachable_registry_is_one_line(cli, monkeypatch) -> None:
    from tiffin.testing.fixtures import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = cli("models", "list", "--remote", env={"TIFFIN_REGISTRY_URL": url})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"no registry answered at {url}" in result.stderr


def test_registry_serve_without_the_server_package_names_it(tmp_path) -> None:
    code = (
        "import sys; sys.modules['tiffin_registry'] = None\n"
        "from tiffin.cli import main\n"
        f"main(['registry', 'serve', '--storage', {str(tmp_path)!r}])\n"
    )
    env = {**os.environ, "TIFFIN_PLUGINS": ""}  # no entry-point plugin: as if never installed
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: the registry server is not installed: pip install tiffin-registry"
    )


def test_login_to_an_unreachable_url_does_not_advise_logging_in(cli, tmp_path) -> None:
    from tiffin.testing.fixtures import free_port

    url = f"http://127.0.0.1:{free_port()}"
    done = cli("registry", "login", url, "--token", "t", env={"TIFFIN_CONFIG_DIR": str(tmp_path)})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: no registry answered at {url}")
    assert "registry login" not in lines[0]
    assert "check the address and that the registry is running (nothing was saved" in lines[0]
    assert not (tmp_path / "registry.json").exists()
