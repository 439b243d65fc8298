"""Crash safety with real processes: ``kill -9`` mid-save never leaves a visible half model."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import tiffin
from tiffin._storage.manifest import verify

_WRITE_FOREVER = """
import os, sys, tiffin
with tiffin.models.create("victim", labels={"run": "killed"}) as m:
    with open(m.path / "weights.bin", "wb") as f:
        f.write(os.urandom(8 << 20))
        f.flush()
        print(m.path, flush=True)   # tell the parent we are mid-save
        while True:
            f.write(os.urandom(1 << 20))
"""

_SAVE_IN_A_LOOP = """
import os, sys, tiffin
i = 0
while True:
    with tiffin.models.create("looper", metadata={"i": i}) as m:
        (m.path / "a.bin").write_bytes(os.urandom(256 << 10))
        (m.path / "sub").mkdir()
        (m.path / "sub" / "b.bin").write_bytes(os.urandom(64 << 10))
    if i == 0:
        print("saved one", flush=True)   # from here on, every moment is a fair moment to die
    i += 1
"""


def _start(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_kill_9_mid_save_leaves_nothing_listed_and_the_next_save_works(tiffin_home: Path) -> None:
    proc = _start(_WRITE_FOREVER)
    try:
        staging = Path(proc.stdout.readline().strip())  # type: ignore[union-attr]
        assert staging.is_dir() and (staging / "weights.bin").stat().st_size >= 8 << 20
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
    assert proc.returncode == -signal.SIGKILL

    assert tiffin.models.list() == []
    assert not (tiffin_home / "models" / "victim").exists()
    assert staging.exists()  # the dead process's leftovers, not visible to anyone

    with tiffin.models.create("victim") as m:
        (m.path / "weights.bin").write_bytes(b"complete")
    assert [x.tag for x in tiffin.models.list()] == [m.tag]
    assert not staging.exists()  # cleaned by the next save: its owner is dead
    assert [p.name for p in (tiffin_home / ".staging").iterdir()] == []


def test_kill_9_at_random_moments_never_exposes_an_incomplete_version(tiffin_home: Path) -> None:
    rng = random.Random(1234)
    for _ in range(6):
        proc = _start(_SAVE_IN_A_LOOP)
        try:
            assert proc.stdout.readline().strip() == "saved one"  # type: ignore[union-attr]
            time.sleep(rng.uniform(0.05, 0.4))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()  # type: ignore[union-attr]
    stored = tiffin.models.list("looper")
    assert stored, "the loop should have committed some versions"
    for m in stored:
        assert [f.path for f in m.info.files] == ["a.bin", "sub/b.bin"]
        assert verify(m.path, m.info.files, exclude={"model.yaml"}) == []
    # the store still works, and the dead processes' staging folders go away
    with tiffin.models.create("looper") as m:
        (m.path / "a.bin").write_bytes(b"a")
    assert tiffin.models.get("looper") == m
    assert list((tiffin_home / ".staging").iterdir()) == []
