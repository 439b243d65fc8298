"""The quick start: train an iris classifier, save it, build its bento, serve it on port 3000.

The service is ``classifier.py``, a class-style service (``@tiffin.service``); ``service.py``
is the same service in the 1.0 style (``tiffin.Service`` and a runner).

    python examples/iris/quickstart.py            # trains, saves, builds, serves (Ctrl-C stops)
    python examples/iris/quickstart.py --no-serve # stops after the build

Then, from another terminal::

    curl -X POST -H "content-type: application/json" --data "[[5.9, 3, 5.1, 1.8]]" \
        http://127.0.0.1:3000/classify
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sklearn import datasets, svm

import tiffin

HERE = Path(__file__).resolve().parent


def main() -> None:
    iris = datasets.load_iris()
    clf = svm.SVC(gamma="scale")
    clf.fit(iris.data, iris.target)
    model = tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    print(f"saved model {model.tag} into {model.path}", flush=True)

    bento = tiffin.build("classifier.py:IrisClassifier", build_ctx=HERE)
    print(f"built bento {bento.tag} into {bento.path}", flush=True)
    if "--no-serve" in sys.argv[1:]:
        return

    print("serving it on http://127.0.0.1:3000 (Ctrl-C stops)", flush=True)
    command = [sys.executable, "-m", "tiffin", "serve", str(bento.tag), "--port", "3000"]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
