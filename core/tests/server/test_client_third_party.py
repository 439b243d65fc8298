"""A third-party IO descriptor works from tiffin.client: the client rebuilds it from /docs.json."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tiffin import _plugins
from tiffin.client import Client
from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.testing.fixtures import PluginSite, ServerProcess

PLUGIN = '''
import tiffin
from tiffin.exceptions import BadInput, TiffinError
from tiffin.io import IODescriptor


class Semicolons(IODescriptor):
    """A list of words sent as one line, separated by a configurable character."""

    media_types = ("text/x-words",)

    def __init__(self, sep=";"):
        self.sep = sep

    def decode(self, data, media_type, filename=None):
        text = data.decode("utf-8")
        if "\\n" in text:
            raise BadInput("Semicolons input must be one line")
        return text.split(self.sep) if text else []

    def encode(self, value):
        if not isinstance(value, list):
            raise TiffinError("Semicolons expects a list of str")
        return self.sep.join(value).encode(), "text/x-words", {}

    def openapi_schema(self):
        return {"type": "string"}

    def to_spec(self):
        return {"type": "Semicolons", "args": {"sep": self.sep}}


@tiffin.hookimpl
def register_io_descriptors(register):
    register(Semicolons)
'''

SERVICE = """
import tiffin
from tiffin.io import Semicolons

svc = tiffin.Service("words")


@svc.api(input=Semicolons(sep="|"), output=Semicolons(sep="|"))
def reverse(words):
    return [w[::-1] for w in reversed(words)]
"""


@pytest.mark.slow
def test_client_uses_a_third_party_descriptor_installed_on_both_sides(
    tmp_path: Path, plugin_site: PluginSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin_site.add("words", PLUGIN)
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = ServerProcess("service.py:svc", cwd=tmp_path, env=plugin_site.env)
    try:
        # without the plugin here, the client says what to install
        _plugins.reset()
        with (
            Client(server.url) as client,
            pytest.raises(InvalidArgument, match="install the plugin"),
        ):
            client.reverse(["a"])
        # with it, the descriptor's own encode/decode speak its wire format ("|"-separated)
        monkeypatch.syspath_prepend(str(plugin_site.root))
        _plugins.reset()
        with Client(server.url) as client:
            assert client.reverse(["ab", "cd"]) == ["dc", "ba"]
            with pytest.raises(BadInput, match="answered 400: Semicolons input must be one line"):
                client.reverse(["a\nb"])
    finally:
        server.stop()
        _plugins.reset()
