"""Push and pull a big model through a real registry, against ``cp`` + ``sha256sum`` of it.

Baseline, measured in the same run on the same file: copying it (``cp``) and hashing the copy
(``sha256sum``), which is the least a push or pull must do (move the bytes, verify them). For
each transfer strategy (``--strategies proxy,presigned,multipart``; a strategy must be
installed on both sides), a fresh ``tiffin registry serve`` process and real CLI clients:

- push of the model into the empty registry, and pull of it into an empty ``TIFFIN_HOME``:
  seconds, MiB/s and the ratio *baseline seconds / transfer seconds* (target: >= 0.5);
- a new model version with unchanged content pushed: bytes sent (target < 1 MiB) and bytes
  added to storage (target < 1 MiB);
- peak RSS of the client (each process, through ``wait4``) and of the registry (``VmHWM``);
- multipart only (target: push and pull >= 0.7x): a push killed with SIGKILL half-way, then
  pushed again through a counting proxy: the part bytes the registry received the second time,
  against what was missing (target: at most what was missing plus one part).

- ``oci`` (a column like a strategy's, target >= 1.0x both ways on loopback): the same push,
  pull and unchanged re-push against an OCI registry (Debian's ``docker-registry``, a
  Distribution 2.8 server started by ``tiffin_oci.testing``), through
  ``TIFFIN_REGISTRY_URL=oci://...``; the server's RSS is the registry's.

::

    python bench/transfer.py                      # 1 GiB, proxy
    python bench/transfer.py --size-mib 256 --strategies proxy,multipart,oci

Needs ``tiffin`` and ``tiffin-registry`` installed (the strategies' plugins too; ``oci``:
``tiffin-oci`` and ``apt-get install docker-registry``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHUNK = 8 << 20
TARGET_RATIO = 0.5
#: Strategies with a higher bar than the proxy's.
TARGET_RATIOS = {"multipart": 0.7, "oci": 1.0}
TARGET_REPUSH = 1 << 20


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(CHUNK, left))
            f.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run ``cmd``; ``(seconds, its peak RSS in bytes, stdout)``; stops the bench if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(
                f"{' '.join(cmd)} failed ({process.returncode}):\n{err.read().decode()[-2000:]}"
            )
        return seconds, usage.ru_maxrss * 1024, out.read().decode()


def baseline(source: Path, work: Path) -> float:
    """Seconds for ``cp`` then ``sha256sum`` of the copy (the page cache warm, as for tiffin)."""
    target = work / "baseline-copy"
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    subprocess.run(["sha256sum", str(target)], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def save_model(home: Path, source: Path, name: str) -> str:
    """Store ``source`` as a model in ``home`` (hard-linked: no second copy); return its tag."""
    code = (
        "import os, sys, tiffin\n"
        f"with tiffin.models.create({name!r}) as m:\n"
        f"    os.link({str(source)!r}, m.path / 'weights.bin')\n"
        "print(m.tag)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TIFFIN_HOME": str(home)},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def run_strategy(name: str, source: Path, work: Path, size: int) -> dict[str, Any]:
    from tiffin_registry.testing import start_registry

    root = work / name
    root.mkdir()
    home, other = root / "home", root / "pulled"
    storage = root / "storage"
    tag = save_model(home, source, "bench")
    server = start_registry(storage, log=root / "registry.log")
    tiffin = [sys.executable, "-m", "tiffin"]
    env = {**server.env(), "TIFFIN_HOME": str(home), "TIFFIN_PROGRESS": "0"}
    try:
        push_s, push_rss, _ = timed(
            [*tiffin, "models", "push", tag, "--strategy", name, "-o", "json"], env
        )
        pull_s, pull_rss, _ = timed(
            [*tiffin, "models", "pull", tag, "--strategy", name, "-o", "json"],
            {**env, "TIFFIN_HOME": str(other)},
        )
        pulled = next((other / "models" / "bench").glob("*/weights.bin"))
        assert pulled.stat().st_size == size
        before = tree_size(storage)
        tag2 = save_model(home, source, "bench")
        _, _, out = timed([*tiffin, "models", "push", tag2, "--strategy", name, "-o", "json"], env)
        repush_sent = json.loads(out)["bytes_sent"]
        repush_added = tree_size(storage) - before
        server_rss = peak_rss(server.process.pid)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "strategy": name,
        "push_s": push_s,
        "pull_s": pull_s,
        "client_push_rss": push_rss,
        "client_pull_rss": pull_rss,
        "server_rss": server_rss,
        "repush_bytes_sent": repush_sent,
        "repush_storage_added": repush_added,
    }


def run_oci(source: Path, work: Path, size: int) -> dict[str, Any]:
    """The ``oci`` column: push, pull and re-push through an OCI registry (Distribution)."""
    from tiffin_oci.testing import running

    root = work / "oci"
    root.mkdir()
    home, other = root / "home", root / "pulled"
    tag = save_model(home, source, "bench")
    tiffin = [sys.executable, "-m", "tiffin"]
    try:
        with running(root / "registry") as registry:
            env = {
                "TIFFIN_REGISTRY_URL": registry.url("bench"),
                "TIFFIN_HOME": str(home),
                "TIFFIN_PROGRESS": "0",
                "DOCKER_CONFIG": str(root / "docker"),
            }
            push_s, push_rss, _ = timed([*tiffin, "models", "push", tag, "-o", "json"], env)
            pull_s, pull_rss, _ = timed(
                [*tiffin, "models", "pull", tag, "-o", "json"], {**env, "TIFFIN_HOME": str(other)}
            )
            pulled = next((other / "models" / "bench").glob("*/weights.bin"))
            assert pulled.stat().st_size == size
            before = tree_size(registry.root)
            tag2 = save_model(home, source, "bench")
            _, _, out = timed([*tiffin, "models", "push", tag2, "-o", "json"], env)
            repush_sent = json.loads(out)["bytes_sent"]
            repush_added = tree_size(registry.root) - before
            assert registry.proc is not None
            server_rss = peak_rss(registry.proc.pid)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "strategy": "oci",
        "push_s": push_s,
        "pull_s": pull_s,
        "client_push_rss": push_rss,
        "client_pull_rss": pull_rss,
        "server_rss": server_rss,
        "repush_bytes_sent": repush_sent,
        "repush_storage_added": repush_added,
    }


def _held_parts(storage: Path) -> tuple[int, int]:
    """``(parts, bytes)`` a local registry holds for unfinished multipart uploads."""
    count = held = 0
    for folder in (storage / "uploads").glob("*.parts"):
        for marker in folder.iterdir():
            try:
                held += json.loads(marker.read_text())["size"]
                count += 1
            except (OSError, ValueError):
                pass
    return count, held


def resumed_push(source: Path, work: Path, size: int) -> dict[str, Any]:
    """Kill a multipart push half-way, push again, and count what the registry received."""
    import signal

    from tiffin_multipart import _config
    from tiffin_multipart.testing import FlakyProxy
    from tiffin_registry.testing import start_registry

    root = work / "resume"
    root.mkdir()
    home, storage = root / "home", root / "storage"
    tag = save_model(home, source, "bench")
    server = start_registry(storage, log=root / "registry.log")
    part = _config.part_size(size)
    tiffin = [sys.executable, "-m", "tiffin", "models", "push", tag, "--strategy", "multipart"]
    try:
        with FlakyProxy(server.url, failure_rate=0.0) as proxy:
            env = {
                **os.environ,
                **server.env(),
                "TIFFIN_HOME": str(home),
                "TIFFIN_PROGRESS": "0",
                "TIFFIN_REGISTRY_URL": proxy.url,
            }
            push = subprocess.Popen(
                [*tiffin, "--quiet"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            while push.poll() is None and _held_parts(storage)[1] < size // 2:
                time.sleep(0.02)
            push.send_signal(signal.SIGKILL)
            push.wait()
            if push.returncode != -signal.SIGKILL:
                raise SystemExit(
                    "the push finished before it could be killed; use a bigger --size-mib"
                )
            settled = None
            while settled != _held_parts(storage):  # parts on the wire when it died land or not
                settled = _held_parts(storage)
                time.sleep(0.5)
            missing = size - settled[1]
            proxy.reset_counters()
            proxy.select = lambda method, path: method == "PUT" and "/parts/" in path
            timed([*tiffin, "-o", "json"], env)
            resent = proxy.bytes_forwarded
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "part_size": part,
        "held_before": settled[1],
        "missing": missing,
        "resent": resent,
        "met": resent <= missing + part + (64 << 10),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--strategies", default="proxy", help="comma-separated strategy names")
    parser.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    size = args.size_mib << 20
    work = Path(tempfile.mkdtemp(prefix="tiffin-bench-transfer-", dir=args.dir))
    try:
        source = work / "weights.bin"
        make_file(source, size)
        base = baseline(source, work)
        names = [s.strip() for s in args.strategies.split(",")]
        rows = [
            run_oci(source, work, size) if name == "oci" else run_strategy(name, source, work, size)
            for name in names
        ]
        resume = resumed_push(source, work, size) if "multipart" in names else None
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mib = size / (1 << 20)
    print(
        f"{args.size_mib} MiB model; baseline cp + sha256sum: {base:.2f} s ({mib / base:.0f} MiB/s)"
    )
    header = (
        f"{'strategy':<10} {'push s':>7} {'ratio':>6} {'pull s':>7} {'ratio':>6} "
        f"{'client MiB':>10} {'server MiB':>10} {'re-push sent':>12} {'storage +':>10}"
    )
    print(header)
    ok = True
    for r in rows:
        push_ratio, pull_ratio = base / r["push_s"], base / r["pull_s"]
        client = max(r["client_push_rss"], r["client_pull_rss"]) / (1 << 20)
        print(
            f"{r['strategy']:<10} {r['push_s']:>7.2f} {push_ratio:>5.2f}x {r['pull_s']:>7.2f} "
            f"{pull_ratio:>5.2f}x {client:>10.0f} {r['server_rss'] / (1 << 20):>10.0f} "
            f"{r['repush_bytes_sent']:>12} {r['repush_storage_added']:>10}"
        )
        r.update(push_ratio=push_ratio, pull_ratio=pull_ratio, baseline_s=base)
        target = TARGET_RATIOS.get(r["strategy"], TARGET_RATIO)
        ok &= push_ratio >= target and pull_ratio >= target
        ok &= r["repush_bytes_sent"] < TARGET_REPUSH and r["repush_storage_added"] < TARGET_REPUSH
    if resume is not None:
        mib_of = lambda n: n / (1 << 20)  # noqa: E731
        print(
            f"multipart push killed half-way, pushed again: {mib_of(resume['missing']):.0f} MiB "
            f"missing, {mib_of(resume['resent']):.1f} MiB of parts resent (at most missing + one "
            f"{mib_of(resume['part_size']):.0f} MiB part: {'met' if resume['met'] else 'NOT met'})"
        )
        ok &= resume["met"]
    targets = ", ".join(f"{k} {v}x" for k, v in TARGET_RATIOS.items())
    print(
        f"targets: push and pull >= {TARGET_RATIO}x the baseline ({targets}), re-push < 1 MiB "
        f"sent and added: " + ("met" if ok else "NOT met")
    )
    if args.json:
        print(json.dumps({"rows": rows, "resumed_push": resume}, indent=2))


if __name__ == "__main__":
    main()
