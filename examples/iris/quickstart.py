"""The quick start: train an iris classifier, save it, build its bento, serve it.

    python examples/iris/quickstart.py              # trains, saves, builds, serves on port 3000
    python examples/iris/quickstart.py --port 8080  # another port (or PORT=8080 in the environment)
    python examples/iris/quickstart.py --no-serve   # stops after the build

Then, from another terminal::

    curl -X POST -H "content-type: application/json" --data "[[5.9, 3, 5.1, 1.8]]" \
        http://127.0.0.1:3000/classify
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sklearn import datasets, svm

import tiffin

HERE = Path(__file__).resolve().parent


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (1-65535)")
    return port


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train, save, build and serve an iris classifier.")
    parser.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PORT", "3000"),
        help="the port to serve on (default: $PORT, else 3000)",
    )
    parser.add_argument("--no-serve", action="store_true", help="stop after the build")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    iris = datasets.load_iris()
    clf = svm.SVC(gamma="scale")
    clf.fit(iris.data, iris.target)
    model = tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    print(f"saved model {model.tag} into {model.path}", flush=True)

    bento = tiffin.build(build_ctx=HERE)
    print(f"built bento {bento.tag} into {bento.path}", flush=True)
    if args.no_serve:
        return

    print(f"serving it on http://127.0.0.1:{args.port} (Ctrl-C stops)", flush=True)
    command = [sys.executable, "-m", "tiffin", "serve", str(bento.tag), "--port", str(args.port)]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
