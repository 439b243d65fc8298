"""Time ``tiffin --help`` against a bare Typer app and against ``python -c pass``.

Uses hyperfine when it is installed (``apt-get install hyperfine``), else a loop of
subprocess runs. Prints each command's median and its ratio to the baseline, e.g.::

    python bench/cli_help.py --runs 30
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_TYPER = '''
import typer

app = typer.Typer(add_completion=False{markup})


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""


@app.command()
def bye() -> None:
    """Say bye."""


app()
'''


def commands(python: str, tmp: Path) -> dict[str, list[str]]:
    rich = tmp / "bare_typer_rich.py"
    rich.write_text(BARE_TYPER.format(markup=""))
    plain = tmp / "bare_typer_plain.py"
    plain.write_text(BARE_TYPER.format(markup=", rich_markup_mode=None"))
    return {
        "python -c pass": [python, "-c", "pass"],
        "bare typer --help (rich help)": [python, str(rich), "--help"],
        "bare typer --help (plain help)": [python, str(plain), "--help"],
        "tiffin --help": [python, "-m", "tiffin", "--help"],
    }


def with_hyperfine(
    cmds: dict[str, list[str]], runs: int, tmp: Path
) -> dict[str, tuple[float, float]]:
    export = tmp / "hyperfine.json"
    args = ["hyperfine", "--warmup", "3", "--runs", str(runs), "-N", "--export-json", str(export)]
    for name, cmd in cmds.items():
        args += ["-n", name, " ".join(cmd)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    results = json.loads(export.read_text())["results"]
    return {r["command"]: (r["median"], r["min"]) for r in results}


def with_loop(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the file cache
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for name, cmd in cmds.items():  # interleaved, so load changes hit every command alike
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(values), min(values)) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--no-hyperfine", action="store_true", help="use the subprocess loop")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(args.python, Path(tmp))
        use_hyperfine = shutil.which("hyperfine") is not None and not args.no_hyperfine
        if use_hyperfine:
            results = with_hyperfine(cmds, args.runs, Path(tmp))
        else:
            results = with_loop(cmds, args.runs)

    tool = "hyperfine" if use_hyperfine else "subprocess loop"
    print(f"{args.runs} runs each ({tool}), {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("(min is the least disturbed run: the best estimate on a busy machine)")
    tiffin_median, tiffin_min = results["tiffin --help"]
    for name, (median, least) in results.items():
        print(
            f"{name:32} median {median * 1000:6.1f} ms (tiffin/this {tiffin_median / median:4.2f}x)"
            f"   min {least * 1000:6.1f} ms (tiffin/this {tiffin_min / least:4.2f}x)"
        )


if __name__ == "__main__":
    main()
