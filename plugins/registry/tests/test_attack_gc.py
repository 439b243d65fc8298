"""A crash between landing a blob and its row, and leftovers of closed uploads: ``gc`` sweeps
them once they are older than the grace period (issue 25, Low)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _gc(storage: Path, grace: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", "registry", "gc", "--storage", str(storage),
         "--grace", grace, "-o", "json"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _aged(path: Path, seconds: float = 7200) -> Path:
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_gc_sweeps_files_no_row_names(start_registry_factory) -> None:
    server = start_registry_factory()
    storage = Path(server.storage)
    server.stop()
    data = b"landed, then kill -9 before its row"
    sha = hashlib.sha256(data).hexdigest()
    orphan = storage / "blobs" / "sha256" / sha[:2] / sha
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(data)
    _aged(orphan)
    parts = storage / "uploads" / "closedsession.parts"
    parts.mkdir()
    (parts / "1").write_text("{}")
    _aged(parts)
    staging = storage / "uploads" / "gone.0123abcd"
    staging.write_bytes(b"x")
    _aged(staging)
    young = storage / "uploads" / "young.parts"
    young.mkdir()

    report = _gc(storage, "1h")
    assert report["orphans_deleted"] == 3, report
    assert not orphan.exists() and not parts.exists() and not staging.exists()
    assert young.exists()  # inside the grace period: maybe a push in flight
    assert (storage / "registry.db").exists() and (storage / "signing.key").exists()
