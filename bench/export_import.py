"""Export and import of a 512 MiB model, against ``tar cf`` and ``tar xf`` of the same folder.

Run: ``python bench/export_import.py [--size-mib 512] [--repeat 7]``

Everything happens in one temporary folder on one file system, in one run. A model of random
bytes (one big file and 32 small ones, so compression would not help anyone) is created once in
a temporary ``$TIFFIN_HOME``. Then, ``--repeat`` times, alternating which goes first:
``tar cf`` of the version folder vs ``tiffin.models.export_model`` to a plain tar (each output
removed before the next round); then ``tar xf`` of tar's archive into a fresh folder vs
``tiffin.models.import_model`` of tiffin's archive into an empty store (which verifies every
sha256). Each step starts after ``sync`` and a short pause, outside the timings. Prints the
medians and the ratios (tiffin's speed / tar's speed; the targets are export >= 0.8 and
import >= 0.6). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(fn) -> float:
    os.sync()  # start every step with no dirty pages left by the previous one,
    time.sleep(0.5)  # and give the disk a moment to settle (deletes issue discards)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("tar") is None:
        print("tar is not installed; install it (apt-get install tar) to compare", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="tiffin-bench-"))
    os.environ["TIFFIN_HOME"] = str(work / "home")
    import tiffin

    try:
        big = args.size_mib - 32
        with tiffin.models.create("bench", labels={"bench": "export_import"}) as m:
            with open(m.path / "weights.bin", "wb") as f:
                for _ in range(big):
                    f.write(os.urandom(1 << 20))
            (m.path / "shards").mkdir()
            for i in range(32):
                (m.path / "shards" / f"part-{i:02d}.bin").write_bytes(os.urandom(1 << 20))
        folder = m.path
        size = sum(f.size for f in m.info.files)
        print(f"model {m.tag}: {len(m.info.files)} files, {size / (1 << 20):.0f} MiB, in {folder}")

        tar_out = work / "tar.tar"
        tiffin_out = work / "tiffin.tar"
        results: dict[str, list[float]] = {
            "tar cf": [],
            "tiffin export": [],
            "tar xf": [],
            "tiffin import": [],
        }

        def export_tar() -> None:
            results["tar cf"].append(
                _timed(lambda: _run("tar", "cf", str(tar_out), "-C", str(folder), "."))
            )

        def export_tiffin() -> None:
            results["tiffin export"].append(
                _timed(lambda: tiffin.models.export_model(m.tag, str(tiffin_out)))
            )

        def import_tar() -> None:
            dest = work / "untar"
            dest.mkdir()
            results["tar xf"].append(
                _timed(lambda: _run("tar", "xf", str(tar_out), "-C", str(dest)))
            )
            shutil.rmtree(dest)

        def import_tiffin() -> None:
            os.environ["TIFFIN_HOME"] = str(work / "import")
            try:
                results["tiffin import"].append(
                    _timed(lambda: tiffin.models.import_model(str(tiffin_out)))
                )
            finally:
                shutil.rmtree(work / "import")
                os.environ["TIFFIN_HOME"] = str(work / "home")

        # exports: alternate which side goes first; each output is removed before the next
        for round_ in range(args.repeat):
            steps = (export_tar, export_tiffin) if round_ % 2 == 0 else (export_tiffin, export_tar)
            for step in steps:
                step()
                if round_ < args.repeat - 1:
                    (tar_out if step is export_tar else tiffin_out).unlink()
            print(
                f"export round {round_ + 1}: tar cf {results['tar cf'][-1]:.3f}s, "
                f"tiffin export {results['tiffin export'][-1]:.3f}s",
                flush=True,
            )
        # imports: of the last round's archives, alternating too
        for round_ in range(args.repeat):
            steps = (import_tar, import_tiffin) if round_ % 2 == 0 else (import_tiffin, import_tar)
            for step in steps:
                step()
            print(
                f"import round {round_ + 1}: tar xf {results['tar xf'][-1]:.3f}s, "
                f"tiffin import {results['tiffin import'][-1]:.3f}s",
                flush=True,
            )

        med = {k: statistics.median(v) for k, v in results.items()}
        mib = size / (1 << 20)
        print()
        print(f"| step ({mib:.0f} MiB, median of {args.repeat}) | seconds | MiB/s |")
        print("|---|---|---|")
        for k, v in med.items():
            print(f"| {k} | {v:.3f} | {mib / v:.0f} |")
        export_ratio = med["tar cf"] / med["tiffin export"]
        import_ratio = med["tar xf"] / med["tiffin import"]
        print()
        print(f"export speed / tar cf speed: {export_ratio:.2f} (target >= 0.8)")
        print(
            f"import speed / tar xf speed: {import_ratio:.2f} (target >= 0.6, with sha256 verification)"
        )
        return 0 if export_ratio >= 0.8 and import_ratio >= 0.6 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
