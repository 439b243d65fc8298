"""The quick start: train an iris classifier, save it into the model store, list the store."""

from __future__ import annotations

import subprocess
import sys

from sklearn import datasets, svm

import tiffin


def main() -> None:
    iris = datasets.load_iris()
    clf = svm.SVC(gamma="scale")
    clf.fit(iris.data, iris.target)
    model = tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    print(f"saved {model.tag} into {model.path}")
    subprocess.run([sys.executable, "-m", "tiffin", "models", "list"], check=True)


if __name__ == "__main__":
    main()
