"""What the benchmark scripts share: a free port, wrk, its figures, the guide's iris service.

The scripts run as ``python bench/NAME.py``, so this folder is on ``sys.path`` and they import
``_common`` directly.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

#: The guide's 1.0-style service: one sklearn runner, NumpyNdarray in and out.
IRIS_SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

iris_clf_runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
svc = tiffin.Service("iris_classifier", runners=[iris_clf_runner])

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(input_series):
    return iris_clf_runner.predict.run(input_series)
"""


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    """The path of ``wrk``, installed with apt-get where missing and run as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get ...", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit(f"{sys.argv[0]} needs wrk: install it (Debian: apt-get install wrk)")
    return found


def wrk_ms(text: str) -> float:
    """A wrk latency (``"812.00us"``, ``"2.23ms"``, ``"1.01s"``) in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk_figures(out: str) -> dict | None:
    """Requests/s, p50 and p99 (ms) and non-2xx answers from wrk's ``--latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))  # wrk pads "2.23s "
    if rps is None or "99" not in pct:
        return None
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": float(rps.group(1)),
        "p50": wrk_ms(pct["50"]),
        "p99": wrk_ms(pct["99"]),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }
