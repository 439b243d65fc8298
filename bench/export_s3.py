"""Export (and import) of a 512 MiB model to a local S3 server, against boto3's own transfers.

Run: ``python bench/export_s3.py [--size-mib 512] [--repeat 3]`` (needs tiffin-s3, boto3 and
``moto[server]`` installed: ``pip install -e plugins/storage-s3 boto3 'moto[server]'``).

moto's S3 server runs in its own process on a free loopback port. A model of random bytes (one
file) is created once in a temporary ``$TIFFIN_HOME``. Then, ``--repeat`` times, alternating
which goes first: ``boto3``'s ``upload_file`` of the model's file (what ``aws s3 cp`` does:
multipart, 8 MiB parts, 10 threads) vs ``tiffin.models.export_model`` to ``s3://``; then
``download_file`` vs ``tiffin.models.import_model`` into an empty store (streamed, every sha256
verified). Objects are deleted between rounds. Prints the medians and the ratios (tiffin's speed
/ boto3's speed; the export target is >= 0.8).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import free_port


def _start_moto(port: int) -> subprocess.Popen:
    code = (
        "import logging, time; logging.getLogger('werkzeug').setLevel(logging.ERROR);"
        "from moto.server import ThreadedMotoServer;"
        f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); s.start();"
        "time.sleep(10**9)"
    )
    return subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)


def _wait(endpoint: str, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(endpoint, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"moto did not start at {endpoint}")


def _timed(fn) -> float:
    time.sleep(0.5)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tiffin-bench-s3-"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        TIFFIN_HOME=str(work / "home"),
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench-secret",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(work / "aws_config"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "aws_credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    moto = _start_moto(port)
    try:
        _wait(endpoint)
        return _bench(args, work)
    finally:
        moto.terminate()
        moto.wait(timeout=15)
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _bench(args: argparse.Namespace, work: Path) -> int:
    import boto3

    import tiffin

    client = boto3.client("s3")
    client.create_bucket(Bucket="bench")
    with tiffin.models.create("bench") as m, open(m.path / "weights.bin", "wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    model = tiffin.models.get("bench:latest")
    source = str(model.path / "weights.bin")
    size_mib = os.path.getsize(source) / (1 << 20)
    url = "s3://bench/model.tiffin"
    times: dict[str, list[float]] = {k: [] for k in ("upload", "export", "download", "import")}

    for i in range(args.repeat):
        up = lambda: client.upload_file(source, "bench", "raw.bin")  # noqa: E731
        ex = lambda: tiffin.models.export_model(model.tag, url)  # noqa: E731
        for name, fn in (
            (("upload", up), ("export", ex)) if i % 2 == 0 else (("export", ex), ("upload", up))
        ):
            times[name].append(_timed(fn))
        target = work / "download.bin"
        home = work / f"import-{i}"

        def dl(target: Path = target) -> None:
            client.download_file("bench", "raw.bin", str(target))

        def im(home: Path = home) -> None:
            os.environ["TIFFIN_HOME"] = str(home)
            try:
                tiffin.models.import_model(url)
            finally:
                os.environ["TIFFIN_HOME"] = str(work / "home")

        for name, fn in (
            (("download", dl), ("import", im)) if i % 2 == 0 else (("import", im), ("download", dl))
        ):
            times[name].append(_timed(fn))
        target.unlink()
        import shutil

        shutil.rmtree(home)
        client.delete_object(Bucket="bench", Key="raw.bin")
        client.delete_object(Bucket="bench", Key="model.tiffin")

    print(f"{size_mib:.0f} MiB model, moto S3 server on loopback, median of {args.repeat}\n")
    print("| step | seconds | MiB/s |\n|---|---|---|")
    labels = {
        "upload": "boto3 `upload_file`",
        "export": "tiffin export to s3://",
        "download": "boto3 `download_file`",
        "import": "tiffin import from s3:// (sha256 verified)",
    }
    med = {k: statistics.median(v) for k, v in times.items()}
    for key, label in labels.items():
        print(f"| {label} | {med[key]:.2f} | {size_mib / med[key]:.0f} |")
    export_ratio = med["upload"] / med["export"]
    import_ratio = med["download"] / med["import"]
    print(
        f"\nexport {export_ratio:.2f}x upload_file's speed (target >= 0.8x); "
        f"import {import_ratio:.2f}x download_file's speed"
    )
    return 0 if export_ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
