"""The contract of every extension point: protocols, capability checks, registration checks,
plugins adding commands to core's groups, serving engines, and core never importing a plugin."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pluggy
import pytest

import tiffin
from tiffin import _plugins, hookspecs
from tiffin.frameworks import FrameworkAdapter
from tiffin.testing.fixtures import PluginSite, run_cli

CORE_SRC = Path(tiffin.__file__).resolve().parent


def lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- the hookspecs package -------------------------------------------------------------------------


def test_pluggy_reads_every_hook_from_the_package() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    hooks = {name for name in dir(pm.hook) if name.startswith("register_")}
    assert hooks == {
        "register_frameworks",
        "register_data_containers",
        "register_storage_backends",
        "register_transfer_strategies",
        "register_io_descriptors",
        "register_commands",
        "register_batch_engines",
        "register_serving_engines",
    } | {n for n in hooks if n == "register_remotes"}


def test_no_contract_module_is_a_god_module() -> None:
    for folder in ("hookspecs", "_plugins"):
        for module in (CORE_SRC / folder).glob("*.py"):
            n = len(module.read_text().splitlines())
            assert n <= 500, f"{module.relative_to(CORE_SRC)} has {n} lines; split it (<= 500)"


def test_the_contract_imports_no_private_model_or_batch_module() -> None:
    for module in (CORE_SRC / "hookspecs").glob("*.py"):
        text = module.read_text()
        assert not re.search(r"from tiffin\._(model|batch)\b", text), module.name


def test_every_public_name_is_exported_and_every_protocol_runtime_checkable() -> None:
    for name in hookspecs.__all__:
        obj = getattr(hookspecs, name)
        if isinstance(obj, type) and getattr(obj, "_is_protocol", False):
            assert getattr(obj, "_is_runtime_protocol", False), f"{name} is not runtime-checkable"


def test_registered_objects_satisfy_their_protocols() -> None:
    for strategy in _plugins.transfer_strategies().values():
        assert isinstance(strategy, hookspecs.TransferStrategy)
    proxy = _plugins.transfer_strategies()["proxy"]
    assert isinstance(proxy, hookspecs.ClientTransferStrategy)
    for backend in _plugins.storage_backends().values():
        assert isinstance(backend, hookspecs.StorageBackend)
    for engine in _plugins.batch_engines().values():
        assert isinstance(engine, hookspecs.BatchEngine)
    assert isinstance(_plugins.serving_engines()["local"], hookspecs.ServingEngine)
    for container in _plugins.data_containers().values():
        assert isinstance(container, hookspecs.DataContainer)


def test_capabilities_are_protocols_checked_with_isinstance() -> None:
    class Presigning:
        schemes = ("x",)

        def filesystem(self, url):
            raise NotImplementedError

        def presign_get(self, url, expires_s):
            return url

        def presign_put(self, url, expires_s):
            return url

    backend = Presigning()
    assert isinstance(backend, hookspecs.SupportsPresign)
    assert not isinstance(backend, hookspecs.SupportsMultipart)
    assert not isinstance(object(), hookspecs.SupportsClientUpload)


def test_has_capability_still_works_and_names_its_replacement() -> None:
    with pytest.warns(DeprecationWarning, match="isinstance.*SupportsPresign"):
        assert hookspecs.has_capability(_plugins.transfer_strategies()["proxy"], "client_upload")


# -- core never imports a plugin --------------------------------------------------------------------


def test_core_never_imports_a_plugin_package() -> None:
    plugins = (
        "tiffin_registry",
        "tiffin_presigned",
        "tiffin_multipart",
        "tiffin_ray",
        "tiffin_s3",
        "tiffin_sklearn",
        "tiffin_torch",
        "tiffin_xgboost",
    )
    pattern = re.compile(r"^\s*(from|import)\s+(" + "|".join(plugins) + r")\b", re.M)
    found = [
        f"{path.relative_to(CORE_SRC)}: {m.group(0).strip()}"
        for path in CORE_SRC.rglob("*.py")
        for m in pattern.finditer(path.read_text())
    ]
    assert found == [], "core must reach plugins through hooks only:\n" + "\n".join(found)


# -- registration checks (subprocesses with real installed distributions) ---------------------------

BAD_REGISTRATIONS = {
    "a class": (
        "register_transfer_strategies",
        "class Zstd:\n    name = 'zstd'\n    priority = 1\n",
        "register(Zstd)",
        "register an instance: register(Zstd())",
    ),
    "schemes as a string": (
        "register_storage_backends",
        "class Lite:\n    schemes = 'sqlite'\n    def filesystem(self, url):\n        return None\n",
        "register(Lite())",
        "schemes = 'sqlite'; it must be a tuple of strings, like ('sqlite',)",
    ),
    "an upper-case scheme": (
        "register_storage_backends",
        "class Lite:\n    schemes = ('SQLite',)\n    def filesystem(self, url):\n        return None\n",
        "register(Lite())",
        "'SQLite' is not",
    ),
    "an upper-case name": (
        "register_transfer_strategies",
        "class Zstd:\n    name = 'Zstd'\n    priority = 1\n",
        "register(Zstd())",
        "must be a lowercase string",
    ),
    "a priority that is not an int": (
        "register_transfer_strategies",
        "class Zstd:\n    name = 'zstd'\n    priority = '1'\n",
        "register(Zstd())",
        "priority = '1'; it must be an int",
    ),
    "a batch engine class": (
        "register_batch_engines",
        "class Eng:\n    name = 'eng'\n    def run(self, job):\n        return None\n",
        "register(Eng)",
        "register an instance: register(Eng())",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRATIONS))
def test_a_bad_registration_is_one_warning_naming_the_plugin(
    plugin_site: PluginSite, case: str
) -> None:
    hook, classes, call, expected = BAD_REGISTRATIONS[case]
    code = f"import tiffin\n\n{classes}\n\n@tiffin.hookimpl\ndef {hook}(register):\n    {call}\n"
    plugin_site.add("bad", code)
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    warnings = lines(done.stderr)
    assert len(warnings) == 1, warnings
    assert "'bad'" in warnings[0] and expected in warnings[0], warnings[0]
    record = next(r for r in json.loads(done.stdout) if r["name"] == "bad")
    assert record["status"] == "refused"


def test_an_entry_point_in_a_misspelt_group_is_reported(plugin_site: PluginSite) -> None:
    plugin_site.add("typo", "import tiffin\n")
    info = next(plugin_site.root.glob("tiffin_typo-*.dist-info"))
    (info / "entry_points.txt").write_text("[tiffin.plugins]\ntypo = tiffin_typo\n")
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    warnings = lines(done.stderr)
    assert len(warnings) == 1 and "tiffin-typo" in warnings[0], warnings
    assert "'tiffin.plugins'" in warnings[0] and "[project.entry-points.tiffin]" in warnings[0]


# -- commands in a group core owns ------------------------------------------------------------------

GROUP_COMMANDS = """
import tiffin
from tiffin.hookspecs import command_group


@tiffin.hookimpl
def register_commands(app):
    group = command_group(app, "registry")

    @group.command("hello")
    def hello():
        '''Say hello from the registry group.'''
        print("hello from a plugin")

    @group.command("login")
    def login():
        print("hijacked")
"""


def test_a_plugin_adds_a_command_to_a_group_core_owns(plugin_site: PluginSite) -> None:
    plugin_site.add("greeter", GROUP_COMMANDS)
    done = run_cli("registry", "hello", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello from a plugin\n"
    warnings = lines(done.stderr)
    assert len(warnings) == 1 and "'registry login'" in warnings[0] and "'greeter'" in warnings[0]
    login = run_cli("registry", "login", "--help", env=plugin_site.env)
    assert "hijacked" not in login.stdout and "Remember a registry" in login.stdout


# -- serving engines -------------------------------------------------------------------------------

ECHO_ENGINE = """
import tiffin


class EchoEngine:
    name = "echo"

    def serve(self, target, options):
        print(f"echo engine serves {target} on {options.host}:{options.port}")


@tiffin.hookimpl
def register_serving_engines(register):
    register(EchoEngine())
"""


def test_serve_with_an_unknown_engine_is_one_line_listing_the_installed_ones(
    plugin_site: PluginSite,
) -> None:
    plugin_site.add("echo", ECHO_ENGINE)
    done = run_cli("serve", "service.py:svc", "--engine", "nope", env=plugin_site.env)
    assert done.returncode == 1
    assert lines(done.stderr) == [
        "error: --engine nope: no serving engine of that name is installed (installed: echo, "
        "local); ray comes from pip install tiffin-ray"
    ]


def test_serve_hands_the_target_and_options_to_a_plugins_engine(plugin_site: PluginSite) -> None:
    plugin_site.add("echo", ECHO_ENGINE)
    done = run_cli("serve", "service.py:svc", "--engine", "echo", "-p", "3111", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "echo engine serves service.py:svc on 127.0.0.1:3111\n"


# -- mypy sees a wrong signature -----------------------------------------------------------------------

BAD_STRATEGY = """
from pathlib import Path
from typing import Any, Callable

import httpx

from tiffin.hookspecs import SupportsClientUpload


class Zstd:
    name = "zstd"
    priority = 5

    def client_upload(self, offer: dict[str, Any], path: str) -> None:  # two arguments short
        pass


strategy: SupportsClientUpload = Zstd()
"""


@pytest.mark.slow
def test_mypy_strict_rejects_a_strategy_with_a_wrong_client_upload(tmp_path: Path) -> None:
    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    plugin = tmp_path / "bad_plugin.py"
    plugin.write_text(textwrap.dedent(BAD_STRATEGY))
    done = subprocess.run(
        [mypy, "--strict", "--no-incremental", "--follow-imports=silent", str(plugin)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "client_upload" in done.stdout and "bad_plugin.py:18" in done.stdout, done.stdout
    plugin.write_text(
        textwrap.dedent(BAD_STRATEGY).replace(
            "path: str) -> None:  # two arguments short",
            "path: Path, size: int, http: httpx.Client, progress: Callable[[int], None]) -> None:",
        )
    )
    done = subprocess.run(
        [mypy, "--strict", "--no-incremental", "--follow-imports=silent", str(plugin)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout


# -- what an adapter returns ------------------------------------------------------------------------


class _Adapter(FrameworkAdapter):
    name = "contractcheck"
    distribution = "tiffin-contractcheck"
    version: object = "1.0"
    saved: object = None

    def framework_version(self):
        return self.version

    def save(self, model, path, options):
        (path / "m.txt").write_text(str(model))
        return self.saved

    def load(self, model, **kwargs):
        return (model.path / "m.txt").read_text()


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("version", 2, "framework_version() returned 2, not a version string"),
        ("saved", ["opt"], "save() returned a list, not a dict of options or None"),
    ],
)
def test_an_adapter_breaking_the_contract_is_one_error_and_stores_nothing(
    attribute: str, value: object, message: str
) -> None:
    from tiffin.exceptions import PluginError

    adapter = _Adapter()
    setattr(adapter, attribute, value)
    with pytest.raises(PluginError, match=re.escape(message)) as caught:
        adapter.save_model("broken_contract", "weights", signatures={"upper": {}})
    assert "(from tiffin-contractcheck)" in str(caught.value)
    assert tiffin.models.list("broken_contract") == []
