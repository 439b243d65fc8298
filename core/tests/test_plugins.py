"""The plugin core as users meet it: real installed distributions, seen by real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tiffin
from tiffin import _plugins
from tiffin.exceptions import InvalidArgument, MissingPlugin
from tiffin.frameworks import FrameworkAdapter
from tiffin.testing.fixtures import PluginSite, run_cli

BROKEN = """
import tiffin
import a_module_that_is_not_installed  # noqa
"""

PICKLE_FRAMEWORK = """
import pickle
import tiffin
from tiffin.frameworks import FrameworkAdapter


class PickleAdapter(FrameworkAdapter):
    name = "{name}"
    distribution = "tiffin-{name}"

    def framework_version(self):
        return "{version}"

    def save(self, model, path, options):
        (path / "model.pkl").write_bytes(pickle.dumps(model))
        return {{"saved_by": "{name}"}}

    def load(self, model, **kwargs):
        return pickle.loads((model.path / "model.pkl").read_bytes())


@tiffin.hookimpl
def register_frameworks(register):
    register(PickleAdapter())
"""

GOOD = PICKLE_FRAMEWORK.format(name="good", version="1.0")

HELLO_COMMAND = """
import tiffin


@tiffin.hookimpl
def register_commands(app):
    @app.command("hello")
    def hello(name: str = "world"):
        '''Say hello.'''
        print(f"hello {name}")

    @app.command("plugins")
    def hijack():
        print("hijacked")

    @app.command("fail")
    def fail():
        from tiffin.exceptions import InvalidArgument
        raise InvalidArgument("this plugin's command was given something wrong")
"""


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def plugins_json(site: PluginSite, **env: str) -> dict[str, dict]:
    done = run_cli("plugins", "--output", "json", env={**site.env, **env})
    assert done.returncode == 0, done.stderr
    return {record["name"]: record for record in json.loads(done.stdout)}


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- laziness ----------------------------------------------------------------------------------


def test_import_tiffin_loads_no_plugin(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    done = python(
        "import sys, tiffin\n"
        "print(sorted(m for m in sys.modules if m.startswith(('tiffin_', 'tiffin._plugins', 'tiffin.builtin'))))",
        plugin_site.env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert done.stderr == ""  # the broken plugin is not even imported


@pytest.fixture
def no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch):
    """Built-ins only, whatever else this environment has installed."""
    monkeypatch.setenv("TIFFIN_PLUGINS", "")
    _plugins.reset()
    yield
    monkeypatch.undo()
    _plugins.reset()


@pytest.mark.parametrize("name", ["torch", "sklearn"])
def test_missing_framework_names_the_package_to_install(no_entry_point_plugins, name) -> None:
    from importlib import metadata

    try:
        metadata.version(f"tiffin-{name}")
    except metadata.PackageNotFoundError:  # not installed: say what to install
        expected = f"install it with: pip install tiffin-{name}$"
    else:  # installed, but TIFFIN_PLUGINS="" turned it off: say so
        expected = "is installed but disabled by TIFFIN_PLUGINS=;"
    with pytest.raises(MissingPlugin, match=expected):
        getattr(tiffin, name)
    assert not hasattr(tiffin, "no_such_framework")  # MissingPlugin is an AttributeError
    with pytest.raises(AttributeError):
        _ = tiffin._private_name


@pytest.mark.parametrize("name", ["modles", "lightgbm", "my_framework"])
def test_an_unknown_name_never_advises_a_guessed_package(no_entry_point_plugins, name) -> None:
    with pytest.raises(MissingPlugin) as caught:
        getattr(tiffin, name)
    message = str(caught.value)
    assert "pip install" not in message
    assert f"no attribute or framework adapter named {name!r}" in message
    assert "installed adapters: none" in message


# -- broken plugins ----------------------------------------------------------------------------


def test_a_broken_plugin_is_one_warning_and_the_cli_still_works(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    plugin_site.add("good", GOOD)
    done = run_cli("plugins", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    lines = warning_lines(done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("warning: ")
    assert "tiffin-broken" in lines[0]
    assert "a_module_that_is_not_installed" in lines[0]
    assert "TIFFIN_DISABLE_PLUGINS=broken" in lines[0]
    rows: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        if line.strip():
            rows.setdefault(line.split()[0], line.split())  # table rows come first
    assert rows["broken"][-1] == "failed" and rows["good"][-1] == "loaded"
    assert (
        "broken error: ModuleNotFoundError: No module named 'a_module_that_is_not_installed'"
        in (" ".join(done.stdout.split()))
    )

    records = plugins_json(plugin_site)
    assert records["broken"]["status"] == "failed"
    assert "ModuleNotFoundError" in records["broken"]["error"]
    assert records["good"]["status"] == "loaded"  # the others are unaffected


def test_strict_mode_turns_a_broken_plugin_into_an_error(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    done = run_cli("plugins", env={**plugin_site.env, "TIFFIN_STRICT_PLUGINS": "1"})
    assert done.returncode == 1
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "tiffin-broken" in lines[0]
    assert "Traceback" not in done.stderr


def test_disable_plugins_skips_a_plugin_without_importing_it(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    plugin_site.add("good", GOOD)
    done = run_cli(
        "plugins", "--output", "json", env={**plugin_site.env, "TIFFIN_DISABLE_PLUGINS": "broken"}
    )
    assert done.returncode == 0
    assert done.stderr == ""
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["broken"]["status"] == "disabled"
    assert records["good"]["status"] == "loaded"


def test_tiffin_plugins_loads_only_the_named_plugins(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    plugin_site.add("hello", HELLO_COMMAND)
    plugin_site.add("good", GOOD)
    records = plugins_json(plugin_site, TIFFIN_PLUGINS="good")
    assert records["good"]["status"] == "loaded"
    assert records["broken"]["status"] == "disabled"
    assert records["hello"]["status"] == "disabled"
    assert records["builtin.local-storage"]["status"] == "loaded"  # built-ins always load

    done = run_cli("plugins", env={**plugin_site.env, "TIFFIN_PLUGINS": "good,nope"})
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "TIFFIN_PLUGINS names 'nope'" in lines[0], done.stderr


def test_a_misspelt_hook_is_reported(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "typo", "import tiffin\n\n@tiffin.hookimpl\ndef register_framework(register):\n    pass\n"
    )
    done = run_cli("plugins", env=plugin_site.env)
    assert done.returncode == 0
    lines = warning_lines(done.stderr)
    assert (
        len(lines) == 1 and "'register_framework'" in lines[0] and "not a tiffin hook" in lines[0]
    )


# -- frameworks from third parties ---------------------------------------------------------------


def test_a_third_party_framework_resolves_as_tiffin_attribute(plugin_site: PluginSite) -> None:
    plugin_site.add("pickled", PICKLE_FRAMEWORK.format(name="pickled", version="1.2"))
    pytest.importorskip("tiffin.models")
    done = python(
        "import tiffin\n"
        "from tiffin.frameworks import FrameworkAdapter\n"
        "assert isinstance(tiffin.pickled, FrameworkAdapter)\n"
        "saved = tiffin.pickled.save_model('obj', {'a': 1}, signatures={'get': {}})\n"
        "print(saved.info.framework, saved.info.framework_version, saved.info.options['saved_by'])\n"
        "print(tiffin.pickled.load_model('obj:latest'))\n",
        plugin_site.env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pickled 1.2 pickled", "{'a': 1}"]
    records = plugins_json(plugin_site)
    assert records["pickled"]["hooks"] == ["register_frameworks"]
    assert records["pickled"]["distribution"] == "tiffin-pickled"


def test_an_adapter_named_unlike_its_entry_point_is_refused(plugin_site: PluginSite) -> None:
    plugin_site.add("alpha", PICKLE_FRAMEWORK.format(name="shared", version="1.0"))
    done = python(
        "import tiffin\nfrom tiffin import _plugins\nprint(sorted(_plugins.frameworks()))\n"
        "try:\n    tiffin.alpha\nexcept AttributeError as exc:\n    print(exc)\n",
        plugin_site.env,
    )
    assert done.returncode == 0, done.stderr
    assert "'shared'" not in done.stdout.splitlines()[0]
    lines = [line for line in done.stderr.splitlines() if "TiffinPluginWarning" in line]
    assert len(lines) == 1, done.stderr
    assert "adapter is named 'shared'" in lines[0] and "entry point is named 'alpha'" in lines[0]
    # tiffin.alpha says what happened, never "pip install" a package that is installed
    assert "tiffin-alpha 0.1.0) is installed" in done.stdout
    assert "pip install" not in done.stdout
    records = plugins_json(plugin_site)
    assert records["alpha"]["status"] == "refused"
    assert records["alpha"]["registered"] == []

    strict = python(
        "import tiffin\ntiffin.alpha", {**plugin_site.env, "TIFFIN_STRICT_PLUGINS": "1"}
    )
    assert strict.returncode != 0 and "PluginError" in strict.stderr


def test_missing_plugin_says_it_failed_to_import(plugin_site: PluginSite) -> None:
    plugin_site.add("broken", BROKEN)
    done = python(
        "import warnings, tiffin\nwarnings.simplefilter('ignore')\n"
        "try:\n    tiffin.broken\nexcept AttributeError as exc:\n    print(exc)\n",
        plugin_site.env,
    )
    assert "is installed but" in done.stdout
    assert "No module named 'a_module_that_is_not_installed'" in done.stdout
    assert "pip install tiffin-broken" not in done.stdout.replace("-U ", "")


def test_missing_plugin_says_which_variable_disabled_it(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    code = "import tiffin\ntry:\n    tiffin.good\nexcept AttributeError as exc:\n    print(exc)\n"
    done = python(code, {**plugin_site.env, "TIFFIN_DISABLE_PLUGINS": "good"})
    assert "disabled by TIFFIN_DISABLE_PLUGINS=good" in done.stdout, done.stdout + done.stderr
    done = python(code, {**plugin_site.env, "TIFFIN_PLUGINS": "other"})
    assert "disabled by TIFFIN_PLUGINS=other" in done.stdout


def test_missing_plugin_says_its_hook_raised(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "raiser",
        "import tiffin\n\n@tiffin.hookimpl\ndef register_frameworks(register):\n"
        "    raise RuntimeError('the adapter could not start')\n",
    )
    done = python(
        "import warnings, tiffin\nwarnings.simplefilter('ignore')\n"
        "try:\n    tiffin.raiser\nexcept AttributeError as exc:\n    print(exc)\n",
        plugin_site.env,
    )
    assert "RuntimeError: the adapter could not start" in done.stdout, done.stdout + done.stderr
    assert "pip install" not in done.stdout


def test_a_register_function_without_hookimpl_is_reported(plugin_site: PluginSite) -> None:
    plugin_site.add("bare", "def register_frameworks(register):\n    pass\n")
    done = run_cli("plugins", env=plugin_site.env)
    assert done.returncode == 0
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "register_frameworks() without @tiffin.hookimpl" in lines[0]


def test_a_plugin_exiting_at_import_is_a_failed_plugin(plugin_site: PluginSite) -> None:
    plugin_site.add("quitter", "import sys\nsys.exit(3)\n")
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["quitter"]["status"] == "failed"
    assert "SystemExit: 3" in records["quitter"]["error"]
    assert "'quitter'" in done.stderr


def test_disabling_an_unknown_plugin_warns(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    done = run_cli("plugins", env={**plugin_site.env, "TIFFIN_DISABLE_PLUGINS": "goood"})
    assert done.returncode == 0
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "TIFFIN_DISABLE_PLUGINS names 'goood'" in lines[0], done.stderr


def test_tiffin_plugins_shows_what_each_plugin_registered(plugin_site: PluginSite) -> None:
    plugin_site.add("good", GOOD)
    plugin_site.add("hello", HELLO_COMMAND.split("    @app.command(\"plugins\")")[0])
    records = plugins_json(plugin_site)
    assert records["good"]["registered"] == ["framework:good"]
    assert records["hello"]["registered"] == ["command:hello"]
    assert "scheme:file" in records["builtin.local-storage"]["registered"]
    assert "io:NumpyNdarray" in records["builtin.io-descriptors"]["registered"]
    done = run_cli("plugins", env=plugin_site.env)
    assert "framework:good" in done.stdout and "command:hello" in done.stdout


@pytest.mark.parametrize("name", ["models", "Bad-Name", "_hidden"])
def test_an_adapter_with_an_unusable_name_is_refused(plugin_site: PluginSite, name: str) -> None:
    plugin_site.add("odd", PICKLE_FRAMEWORK.format(name=name, version="1.0"))
    done = python(
        "import tiffin\nfrom tiffin import _plugins\nprint(sorted(_plugins.frameworks()))",
        plugin_site.env,
    )
    assert done.returncode == 0, done.stderr
    assert repr(name) in done.stderr and "'odd'" in done.stderr
    assert name not in done.stdout


def test_an_adapter_missing_required_methods_is_refused(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "half",
        "import tiffin\n\nclass Half:\n    name = 'half'\n\n"
        "@tiffin.hookimpl\ndef register_frameworks(register):\n    register(Half())\n",
    )
    done = python(
        "import tiffin\ntry:\n    tiffin.half\nexcept AttributeError as e:\n    print('missing:', e)\n",
        plugin_site.env,
    )
    assert done.returncode == 0, done.stderr
    assert "lacks framework_version, save, load" in done.stderr
    assert done.stdout.startswith("missing:")


# -- CLI commands from plugins -------------------------------------------------------------------


def test_a_plugin_adds_a_cli_command(plugin_site: PluginSite) -> None:
    plugin_site.add("hello", HELLO_COMMAND)
    done = run_cli("hello", "--name", "tiffin", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello tiffin\n"

    help_text = run_cli("--help", env=plugin_site.env)
    assert "hello" in help_text.stdout and "Say hello." in help_text.stdout


def test_a_plugin_cannot_replace_a_builtin_command(plugin_site: PluginSite) -> None:
    plugin_site.add("hello", HELLO_COMMAND)
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    assert done.returncode == 0
    assert "hijacked" not in done.stdout
    assert {r["name"] for r in json.loads(done.stdout)} >= {"hello", "builtin.local-storage"}
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "command 'plugins'" in lines[0] and "'hello'" in lines[0]


def test_a_plugin_command_user_error_is_one_line(plugin_site: PluginSite) -> None:
    plugin_site.add("hello", HELLO_COMMAND)
    done = run_cli("fail", env={**plugin_site.env, "TIFFIN_DISABLE_PLUGINS": ""})
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if not line.startswith("warning: ")]
    assert lines == ["error: this plugin's command was given something wrong"]


def test_a_plugin_whose_commands_fail_is_a_warning(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "badcli",
        "import tiffin\n\n@tiffin.hookimpl\ndef register_commands(app):\n    raise RuntimeError('boom')\n",
    )
    done = run_cli("plugins", env=plugin_site.env)
    assert done.returncode == 0
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "'badcli' failed to add its commands: RuntimeError: boom" in lines[0]
    records = plugins_json(plugin_site)
    assert records["badcli"]["status"] == "failed"
    assert "RuntimeError: boom" in records["badcli"]["error"]


def test_a_plugin_failing_in_its_hook_shows_as_failed(plugin_site: PluginSite) -> None:
    plugin_site.add(
        "badfw",
        "import tiffin\n\n@tiffin.hookimpl\ndef register_frameworks(register):\n"
        "    from tiffin_badfw._adapter import Adapter\n",
    )
    plugin_site.add("good", GOOD)
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    assert done.returncode == 0
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["badfw"]["status"] == "failed"
    assert "No module named 'tiffin_badfw._adapter'" in records["badfw"]["error"]
    assert records["good"]["status"] == "loaded" and records["good"]["error"] is None
    lines = warning_lines(done.stderr)
    assert len(lines) == 1 and "'badfw' failed in register_frameworks" in lines[0]


def test_duplicate_entry_point_names_warn(tmp_path) -> None:
    site = PluginSite(tmp_path / "site")
    site.add("twin", "import tiffin\n", distribution="tiffin-twin-a")
    site.add("twin", "import tiffin\n", distribution="tiffin-twin-b")
    done = run_cli("plugins", "--output", "json", env=site.env)
    assert done.returncode == 0
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["twin"]["distribution"] == "tiffin-twin-a"
    assert "claimed by both tiffin-twin-a and tiffin-twin-b" in done.stderr


# -- the FrameworkAdapter base class -------------------------------------------------------------


class Doubler:
    def predict(self, xs: list[int]) -> list[int]:
        return [2 * x for x in xs]

    def total(self, xs: list[int]) -> int:
        return sum(xs)


class DoublerAdapter(FrameworkAdapter):
    name = "doubler"
    distribution = "tiffin-doubler"
    supports_cpu_multi_threading = False

    def framework_version(self) -> str:
        return "0.9"

    def save(self, model, path, options):
        if getattr(model, "explode", False):
            raise RuntimeError("disk full")
        (path / "doubler.txt").write_text("2")
        return {"factor": 2}

    def load(self, model, **kwargs):
        assert (model.path / "doubler.txt").read_text() == "2"
        return Doubler()


def test_adapter_save_model_validates_then_stores() -> None:
    adapter = DoublerAdapter()
    saved = adapter.save_model("dbl", Doubler(), labels={"stage": "dev"}, custom_objects={"k": [1]})
    assert saved.info.framework == "doubler" and saved.info.framework_version == "0.9"
    assert saved.info.options == {"factor": 2}
    assert set(saved.info.signatures) == {"predict"}  # default_signatures
    assert {f.path for f in saved.info.files} >= {"doubler.txt"}
    got = adapter.get("dbl")
    assert got.info.labels == {"stage": "dev"} and got.custom_objects == {"k": [1]}
    assert adapter.load_model(got).predict([1, 2]) == [2, 4]

    with pytest.raises(InvalidArgument, match=r"no method 'predcit'.*predict, total"):
        adapter.save_model("dbl", Doubler(), signatures={"predcit": {}})
    with pytest.raises(InvalidArgument, match="signatures is empty"):
        adapter.save_model("dbl", Doubler(), signatures={})
    with pytest.raises(InvalidArgument, match="model is None"):
        adapter.save_model("dbl", None)
    exploding = Doubler()
    exploding.explode = True
    with pytest.raises(RuntimeError, match="disk full"):
        adapter.save_model("dbl", exploding)
    assert [m.tag for m in tiffin.models.list("dbl")] == [saved.tag]  # nothing half-written


def test_adapter_refuses_another_frameworks_model() -> None:
    with tiffin.models.create("foreign", framework="onnx", framework_version="1") as m:
        (m.path / "model.onnx").write_bytes(b"\0")
    with pytest.raises(InvalidArgument, match=r"'onnx' framework.*tiffin\.onnx"):
        DoublerAdapter().get("foreign")
    with pytest.raises(InvalidArgument, match="'onnx'"):
        DoublerAdapter().load_model(tiffin.models.get("foreign"))


def test_adapter_runnable_has_one_method_per_signature() -> None:
    adapter = DoublerAdapter()
    saved = adapter.save_model(
        "dbl", Doubler(), signatures={"predict": {"batchable": True}, "total": {}}
    )
    cls = adapter.runnable(saved)
    assert issubclass(cls, tiffin.Runnable)
    assert cls.SUPPORTS_CPU_MULTI_THREADING is False
    instance = cls()
    assert instance.predict([3]) == [6]
    assert instance.total([1, 2, 3]) == 6


# -- the contract is documented -------------------------------------------------------------------


def test_every_hook_is_documented_in_hookspecs_and_the_guide() -> None:
    import inspect
    from pathlib import Path

    from tiffin import hookspecs

    hooks = {n: f for n, f in vars(hookspecs).items() if n.startswith("register_") and callable(f)}
    assert set(hooks) == set(_plugins.plugin_manager().hook.__dict__) & set(hooks)
    guide = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()
    for name, func in hooks.items():
        params = list(inspect.signature(func).parameters)
        assert func.__doc__ and all(f":param {p}:" in func.__doc__ for p in params), name
        assert f"`{name}({', '.join(params)})`" in guide, f"docs/plugins.md does not list {name}"


# -- plugins a bento needs, backends' own errors -------------------------------------------------

SHOUT_DESCRIPTOR = """
import tiffin
from tiffin.io._text import Text


class Shout(Text):
    '''Text, shouted.'''

    def to_spec(self):
        return {"type": "Shout", "args": {}}


@tiffin.hookimpl
def register_io_descriptors(register):
    register(Shout)
"""


def test_a_bento_requires_the_plugin_of_its_io_descriptor(plugin_site: PluginSite, tmp_path) -> None:
    plugin_site.add("shout", SHOUT_DESCRIPTOR, version="0.3.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(
        "import tiffin\n"
        "from tiffin.io import Shout\n"
        "svc = tiffin.Service('shouter')\n\n"
        "@svc.api(input=Shout(), output=Shout())\n"
        "def shout(text):\n"
        "    return text.upper()\n"
    )
    done = run_cli("build", "--service", "service.py:svc", cwd=project, env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    bento = tiffin_home_bento(plugin_site, "shouter")
    lines = (bento / "env" / "python" / "requirements.txt").read_text().splitlines()
    assert "tiffin-shout==0.3.0" in lines


def tiffin_home_bento(site: PluginSite, name: str):
    from pathlib import Path

    done = run_cli("get", f"{name}:latest", "--output", "json", env=site.env)
    assert done.returncode == 0, done.stderr
    return Path(json.loads(done.stdout)["path"])


LAB_BACKEND = """
import tiffin


class Lab:
    schemes = ("lab",)

    def filesystem(self, url):
        from tiffin.exceptions import InvalidArgument

        raise InvalidArgument(f"{url!r}: a lab URL names a bench, lab://bench-3/path")


@tiffin.hookimpl
def register_storage_backends(register):
    register(Lab())
"""


def test_a_storage_backends_own_error_reaches_the_user(plugin_site: PluginSite) -> None:
    plugin_site.add("lab", LAB_BACKEND)
    done = run_cli("models", "import", "lab://nowhere", env=plugin_site.env)
    assert done.returncode == 1
    assert "a lab URL names a bench, lab://bench-3/path" in done.stderr
    assert "no storage backend handles" not in done.stderr
