"""The public face of tiffin.io: exact names, lazy imports, and third-party descriptors via the hook."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import tiffin
import tiffin.io
from tiffin import _plugins


def test_all_is_exact():
    assert sorted(tiffin.io.__all__) == sorted(
        [
            "IODescriptor",
            "NumpyNdarray",
            "PandasDataFrame",
            "PandasSeries",
            "JSON",
            "Text",
            "File",
            "Image",
            "Multipart",
            "Tensor",
            "TensorSpec",
            "from_spec",
        ]
    )
    for name in tiffin.io.__all__:
        assert getattr(tiffin.io, name) is not None


def test_builtins_register_through_the_hook():
    registered = _plugins.io_descriptors()
    for name in ("NumpyNdarray", "PandasDataFrame", "JSON", "Text", "File", "Image", "Multipart"):
        assert registered[name] is getattr(tiffin.io, name)
    records = {r.name: r for r in _plugins.plugin_records()}
    assert "register_io_descriptors" in records["builtin.io-descriptors"].hooks


def test_importing_tiffin_io_imports_nothing_heavy():
    code = (
        "import sys, tiffin.io; from tiffin.io import NumpyNdarray, JSON, Text;"
        "print(sorted(m for m in ('numpy','pandas','PIL','starlette','pydantic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.fixture
def third_party(monkeypatch):
    """A plugin module registering ``Csvish`` the way an installed package would."""
    from tiffin.hookspecs import hookimpl
    from tiffin.io import IODescriptor

    class Csvish(IODescriptor):
        media_types = ("text/csv",)

        def decode(self, data, media_type, filename=None):
            return data.decode().split(",")

        def encode(self, value):
            return ",".join(value).encode(), "text/csv", {}

    class NotADescriptor:
        pass

    module = types.ModuleType("tiffin_test_csvish")

    @hookimpl
    def register_io_descriptors(register):
        register(Csvish)
        register(NotADescriptor)

    module.register_io_descriptors = register_io_descriptors
    monkeypatch.setitem(sys.modules, "tiffin_test_csvish", module)
    monkeypatch.setattr(
        _plugins, "DEFAULT_PLUGINS", (*_plugins.DEFAULT_PLUGINS, ("csvish", "tiffin_test_csvish"))
    )
    _plugins.reset()
    yield Csvish
    _plugins.reset()


def test_third_party_descriptor_resolves_as_tiffin_io_name(third_party, serve_io):
    with pytest.warns(
        _plugins.TiffinPluginWarning, match="not a subclass of tiffin.io.IODescriptor"
    ):
        assert tiffin.io.Csvish is third_party
    client = serve_io(tiffin.io.Csvish(), func=lambda parts: parts[::-1])
    r = client.post("/", content=b"a,b,c", headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.text == "c,b,a"
    assert tiffin.io.from_spec({"type": "Csvish", "args": {}}).to_cli(["x", "y"]) == b"x,y"


def test_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="no IO descriptor 'Nope'"):
        tiffin.io.Nope  # noqa: B018
    from tiffin.exceptions import InvalidArgument

    with pytest.raises(InvalidArgument, match="unknown IO descriptor 'Nope'"):
        tiffin.io.from_spec({"type": "Nope"})
