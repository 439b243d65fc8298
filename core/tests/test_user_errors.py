"""Mistakes users make, found by a QA pass: each gets one clear error and loses nothing."""

from __future__ import annotations

import json

import pytest

import tiffin
from tiffin.exceptions import MissingPlugin, NotFound, NotStored
from tiffin.testing.fixtures import run_cli


def _custom_model(name: str = "vocab", **kwargs: object) -> tiffin.Model:
    with tiffin.models.create(name, **kwargs) as m:
        (m.path / "vocab.txt").write_text("a\nb\n")
    return m


def test_a_created_model_has_no_runner_and_the_error_says_what_to_do() -> None:
    model = _custom_model()
    with pytest.raises(MissingPlugin) as caught:
        model.to_runner()
    message = str(caught.value)
    assert "tiffin.models.create" in message and "tiffin.Runnable" in message
    assert "pip install" not in message  # there is no tiffin-custom package to install
    with pytest.raises(MissingPlugin, match=r"model\.path"):
        model.load_model()


def test_a_missing_third_party_framework_names_the_adapter_not_a_guessed_package() -> None:
    model = _custom_model(framework="lightgbm")
    # not one of the project's packages: no `pip install tiffin-lightgbm` (a typosquatting
    # invitation), but what is missing and what is installed
    with pytest.raises(MissingPlugin, match="no attribute or framework adapter named 'lightgbm'") as caught:
        model.to_runner()
    assert "pip install" not in str(caught.value)


def test_a_misspelt_attribute_is_a_plain_attribute_error() -> None:
    with pytest.raises(AttributeError) as caught:
        tiffin.Servce  # noqa: B018
    assert not isinstance(caught.value, MissingPlugin)
    assert "no attribute 'Servce'" in str(caught.value)


def test_a_model_tag_given_where_a_bento_is_expected_says_so() -> None:
    model = _custom_model("iris_clf")
    with pytest.raises(NotStored, match=r"'iris_clf' is a model$") as caught:
        tiffin.get("iris_clf")
    assert (caught.value.kind, caught.value.other_kind) == ("bento", "model")
    assert "`" not in str(caught.value)  # the library names no command
    done = run_cli("get", str(model.tag))
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    # the CLI adds its own advice: the command listing bentos, and the one listing models
    assert "see `tiffin list` ('iris_clf' is a model: see `tiffin models list`)" in done.stderr
    with pytest.raises(NotFound) as caught:
        tiffin.get("other")
    assert "is a model" not in str(caught.value)


def test_a_plugin_with_a_wrong_hook_signature_is_one_warning_line(plugin_site) -> None:
    # pluggy's validation error spans three lines; each problem must stay one readable line
    plugin_site.add(
        "badsig",
        "import tiffin\n\n@tiffin.hookimpl\ndef register_frameworks(reg):\n    pass\n",
    )
    done = run_cli("models", "list", env=plugin_site.env)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stderr.splitlines() if "badsig" in line]
    assert line.startswith("warning: ") and "'reg'" in line
    assert all(line.startswith("warning: ") for line in done.stderr.splitlines())
    done = run_cli("plugins", "--output", "json", env=plugin_site.env)
    [record] = [r for r in json.loads(done.stdout) if r["name"] == "badsig"]
    assert record["status"] == "failed" and "\n" not in record["error"]


def test_a_service_module_calling_sys_exit_with_a_message_shows_it(tmp_path) -> None:
    (tmp_path / "service.py").write_text("import sys\nsys.exit('set MODEL_DIR first')\n")
    done = run_cli("run", "service.py:svc", "predict", "--input", "1", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "set MODEL_DIR first\n"  # as Python itself would print it
