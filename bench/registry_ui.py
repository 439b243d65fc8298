"""The registry web UI's pages with 1,000 versions, against a trivial route of the same server.

One real ``tiffin registry serve`` process (SQLite by default, ``--db URL`` for PostgreSQL).
One model is pushed with the real CLI; then ``--versions`` - 1 more versions of it (same files,
new version names, every tenth labelled ``stage=prod``) and ``--repos`` other repositories are
committed through the registry's HTTP API, as a client would. Then each page is fetched
``--rounds`` times over one keep-alive connection; printed: the median and p95 in ms, and the
ratio to ``/healthz`` (a route that runs one ``SELECT 1``) measured in the same run.

Target: home and a repository page answer in < 100 ms with 1,000 versions.

::

    python bench/registry_ui.py                  # 1,000 versions, 50 rounds
    python bench/registry_ui.py --versions 5000 --db postgresql+psycopg://...

Needs ``tiffin`` and ``tiffin-registry`` installed.
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

import httpx
import yaml

TARGET_MS = 100.0


def _time(client: httpx.Client, path: str, rounds: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        answer.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repos", type=int, default=30, help="other model repositories")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()

    from tiffin_registry.testing import make_model, start_registry

    with tempfile.TemporaryDirectory(prefix="tiffin-ui-bench-") as tmp:
        root = Path(tmp)
        os.environ["TIFFIN_HOME"] = str(root / "home")
        server = start_registry(root / "storage", db=args.db, log=root / "server.log")
        try:
            env = {**os.environ, "TIFFIN_REGISTRY_URL": server.url}
            model = make_model("scaler", labels={"stage": "prod"})
            pushed = subprocess.run(
                [sys.executable, "-m", "tiffin", "models", "push", "scaler"],
                env=env,
                capture_output=True,
                text=True,
            )
            if pushed.returncode:
                raise SystemExit(f"push failed: {pushed.stderr}")
            api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=60)
            base = yaml.safe_load(
                api.get(f"/models/scaler/versions/{model.tag.version}").json()["manifest"]
            )
            started = time.perf_counter()
            plan = [("scaler", i) for i in range(1, args.versions)]
            plan += [(f"model-{r:03d}", 0) for r in range(args.repos)]
            for name, i in plan:
                version = f"{model.tag.version[:8]}{i:08d}"
                manifest = {
                    **base,
                    "name": name,
                    "version": version,
                    "labels": {"stage": "prod" if i % 10 == 0 else "dev", "batch": str(i)},
                }
                answer = api.put(
                    f"/models/{name}/versions/{version}",
                    content=yaml.safe_dump(manifest, sort_keys=False),
                )
                answer.raise_for_status()
            print(
                f"filled: {args.versions} versions of scaler + {args.repos} repositories "
                f"in {time.perf_counter() - started:.1f}s ({'sqlite' if not args.db else 'db'})"
            )

            latest = api.get("/models/scaler/versions", params={"limit": 1}).json()["items"][0]
            ui = httpx.Client(base_url=server.url, timeout=60)
            pages = {
                "/healthz (baseline)": "/healthz",
                "home /ui/": "/ui/",
                "search /ui/?q=stage=prod": "/ui/?q=stage%3Dprod",
                "search /ui/?q=model-01": "/ui/?q=model-01",
                "repository /ui/models/scaler": "/ui/models/scaler",
                "repository page 10": "/ui/models/scaler?page=10",
                "version page": f"/ui/models/scaler/{latest['version']}",
            }
            results = {label: _time(ui, path, args.rounds) for label, path in pages.items()}
            baseline = statistics.median(results["/healthz (baseline)"])
            print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'x healthz':>10}")
            for label, times in results.items():
                median = statistics.median(times)
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                print(f"{label:34} {median:10.1f} {p95:8.1f} {median / baseline:10.1f}")
            worst = max(
                statistics.median(results[k]) for k in ("home /ui/", "repository /ui/models/scaler")
            )
            verdict = "meets" if worst < TARGET_MS else "MISSES"
            print(
                f"home and repository page: worst median {worst:.1f} ms, {verdict} < {TARGET_MS} ms"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
