"""V2 (Open Inference Protocol) benchmark: V2 infer vs the native route of the same server, one run.

    python bench/v2.py                          # 5 rounds of 5 s at c=32
    python bench/v2.py --rounds 3 --duration 10 --concurrency 32

It saves the iris LogisticRegression into a temporary ``$TIFFIN_HOME``, serves the guide's
1.0-style service (a sklearn runner, ``NumpyNdarray`` in and out) with ``tiffin serve``, and
loads it with ``wrk`` on loopback, interleaving in every round:

  (a) the native route: ``POST /classify`` with ``[[5.9, 3, 5.1, 1.8]]`` as JSON;
  (b) V2 with the binary tensor data extension, as Triton's client sends it: a JSON header,
      one FP64 tensor of 32 raw bytes after it, ``Inference-Header-Content-Length``, no
      Content-Type, and the output asked for in binary;
  (c) V2 with JSON tensors.

It prints req/s, p50/p99 and the ratios of (b) and (c) to (a) (medians over rounds); the target
is (b) >= 0.9x (a). Needs wrk (installed with apt-get where missing and run as root).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
from _common import IRIS_SERVICE, ensure_wrk, free_port, wrk_figures

SERVICE = IRIS_SERVICE
ROW = [5.9, 3.0, 5.1, 1.8]


def lua_string(data: bytes) -> str:
    """A Lua string literal of any bytes (decimal escapes for everything not plain ASCII)."""
    out = []
    for b in data:
        ch = chr(b)
        if 32 <= b < 127 and ch not in '"\\':
            out.append(ch)
        else:
            out.append(f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def bodies() -> dict[str, tuple[str, bytes, dict[str, str]]]:
    """label -> (route, body, headers)."""
    arr = np.array([ROW], dtype=np.float64)
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "input_series",
                    "datatype": "FP64",
                    "shape": [1, 4],
                    "parameters": {"binary_data_size": arr.nbytes},
                }
            ],
            "outputs": [{"name": "output", "parameters": {"binary_data": True}}],
        },
        separators=(",", ":"),
    ).encode()
    as_json = json.dumps(
        {"inputs": [{"name": "input_series", "datatype": "FP64", "shape": [1, 4], "data": ROW}]},
        separators=(",", ":"),
    ).encode()
    return {
        "native JSON": (
            "/classify",
            json.dumps([ROW]).encode(),
            {"Content-Type": "application/json"},
        ),
        "V2 binary": (
            "/v2/models/classify/infer",
            header + arr.tobytes(),
            {"Inference-Header-Content-Length": str(len(header))},
        ),
        "V2 JSON": ("/v2/models/classify/infer", as_json, {}),
    }


def run_wrk(
    wrk: str, url: str, body: bytes, headers: dict, c: int, seconds: int, workdir: Path
) -> dict:
    script = workdir / f"req_{abs(hash(body))}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_string(body)}"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    cmd = [
        wrk,
        "-t",
        str(min(2, c)),
        "-c",
        str(c),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    figures = wrk_figures(out)
    if figures is None:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{out}")
    if figures["non2xx"]:
        raise RuntimeError(f"{url}: {figures['non2xx']} non-2xx answers during the run")
    return {"rps": figures["rps"], "p50": figures["p50"], "p99": figures["p99"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    wrk = ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="tiffin-bench-v2-") as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "TIFFIN_HOME": str(workdir / "home")}
        train = textwrap.dedent(
            """
            import tiffin
            from sklearn import datasets
            from sklearn.linear_model import LogisticRegression
            iris = datasets.load_iris()
            clf = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
            tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
            """
        )
        subprocess.run([sys.executable, "-c", train], env=env, check=True)
        (workdir / "service.py").write_text(SERVICE)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(workdir / "server.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "tiffin", "serve", "service.py:svc", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            cases = bodies()
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the server did not start:\n{(workdir / 'server.log').read_text()}")
                time.sleep(0.05)
            for label, (route, body, headers) in cases.items():  # correctness and warm-up
                answer = httpx.post(url + route, content=body, headers=headers)
                assert answer.status_code == 200, (label, answer.text)
            results: dict[str, list[dict]] = {label: [] for label in cases}
            for i in range(args.rounds):
                order = list(cases) if i % 2 == 0 else list(reversed(cases))
                for label in order:
                    route, body, headers = cases[label]
                    results[label].append(
                        run_wrk(
                            wrk,
                            url + route,
                            body,
                            headers,
                            args.concurrency,
                            args.duration,
                            workdir,
                        )
                    )
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
            log.close()

    print(
        f"\nV2 vs native, c={args.concurrency}, {args.rounds} rounds of {args.duration}s (medians)"
    )
    print(f"{'route':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    med = {
        label: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
        for label, runs in results.items()
    }
    for label, m in med.items():
        print(f"{label:<14}{m['rps']:>10.0f}{m['p50']:>10.2f}{m['p99']:>10.2f}")
    base = med["native JSON"]["rps"]
    for label in ("V2 binary", "V2 JSON"):
        print(f"ratio {label} / native JSON: {med[label]['rps'] / base:.2f}x")
    print(
        f"target: V2 binary >= 0.9x native -> {'met' if med['V2 binary']['rps'] / base >= 0.9 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
