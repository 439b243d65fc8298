"""A hostile registry against the client (issue 25, Low): a sha256 it supplies is checked as
64 lowercase hex before any path is built from it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tiffin_registry.testing import make_model

pytestmark = pytest.mark.slow


def test_a_registry_supplied_sha256_never_becomes_a_path(
    start_registry_factory, cli, other_home: Path, tmp_path: Path
) -> None:
    server = start_registry_factory()
    model = make_model("scaler", extra_bytes=1000)
    assert cli("models", "push", str(model.tag), env=server.env()).returncode == 0
    escape = tmp_path / "escaped"
    hostile = "../" * 12 + str(escape).lstrip("/")
    with sqlite3.connect(Path(server.storage) / "registry.db") as db:
        (manifest,) = db.execute("SELECT manifest FROM versions").fetchone()
        digest = next(f.sha256 for f in model.info.files if f.size > 500)
        db.execute("UPDATE versions SET manifest = ?", (manifest.replace(digest, hostile),))
        db.execute("UPDATE version_files SET sha256 = ? WHERE sha256 = ?", (hostile, digest))
    pulled = cli("models", "pull", str(model.tag), env={**server.env(),
                                                       "TIFFIN_HOME": str(other_home)})
    assert pulled.returncode == 1
    assert len(pulled.stderr.strip().splitlines()) == 1, pulled.stderr
    assert not list(tmp_path.glob("escaped*"))
