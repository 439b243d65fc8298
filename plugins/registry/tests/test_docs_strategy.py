"""The transfer strategy that docs/plugins.md walks through works, end to end.

The page's ``tiffin_gzip`` block is imported as a module and registered in-process (as a
plugin under development would be), and a registry on a thread of this process serves it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import httpx
import pytest

import tiffin
from tiffin import plugins
from tiffin_registry.testing import TOKENS, registry_in_process, write_tokens

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"
pytestmark = pytest.mark.slow


@pytest.fixture
def gzip_plugin(tmp_path: Path):
    text = GUIDE.read_text()
    code = re.search(r'^```python\n("""tiffin_gzip:.*?)^```', text, re.S | re.M)
    assert code, "docs/plugins.md lost its tiffin_gzip block"
    source = tmp_path / "tiffin_gzip.py"
    source.write_text(code[1])
    spec = importlib.util.spec_from_file_location("tiffin_gzip", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiffin_gzip"] = module
    spec.loader.exec_module(module)
    plugins.register_in_process(module, "gzip")
    yield module
    plugins.reset()
    sys.modules.pop("tiffin_gzip", None)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_guides_gzip_strategy_round_trips_and_resumes(gzip_plugin, tmp_path, monkeypatch):
    with registry_in_process(tmp_path / "storage") as url:
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", url)
        with tiffin.models.create("zipped", framework="custom") as model:
            (model.path / "empty").write_bytes(b"")
            (model.path / "weights.bin").write_bytes(os.urandom(3 << 20) + b"\0" * (2 << 20))
        pushed = tiffin.models.push(model.tag, strategy="gzip")
        assert dict(pushed.strategies) == {"gzip": 2}
        monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "other"))
        pulled = tiffin.models.pull(str(model.tag), strategy="gzip")
        assert _files(Path(pulled.path)) == _files(Path(model.path))

        # an interrupted download continues after the bytes already there
        data = (Path(model.path) / "weights.bin").read_bytes()
        sha = __import__("hashlib").sha256(data).hexdigest()
        offer = httpx.post(
            f"{url}/api/v1/blobs/{sha}/download", json={"strategies": ["gzip"]}
        ).json()["offer"]
        part = tmp_path / "part"
        part.write_bytes(data[:1000])
        moved: list[int] = []
        with httpx.Client(base_url=url) as http:
            gzip_plugin.GzipStrategy().client_download(offer, part, len(data), http, moved.append)
        assert part.read_bytes() == data and sum(moved) == len(data) and min(moved) >= 0


def test_the_guides_gzip_routes_need_a_token(gzip_plugin, tmp_path):
    tokens = write_tokens(tmp_path / "tokens.txt")
    with registry_in_process(tmp_path / "storage", tokens=tokens) as url:
        base = f"{url}/api/v1/transfer/gzip"
        assert httpx.put(f"{base}/uploads/x", content=b"x").status_code == 401
        assert httpx.get(f"{base}/blobs/{'0' * 64}").status_code == 401
        read = {"Authorization": f"Bearer {TOKENS['read']}"}
        assert httpx.put(f"{base}/uploads/x", content=b"x", headers=read).status_code == 403
