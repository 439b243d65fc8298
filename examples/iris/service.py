"""The iris classifier service of BentoML 1.0's "Service and APIs" guide, in tiffin.

Save the model first (``python examples/iris/quickstart.py``), then::

    tiffin serve examples/iris/service.py:svc
    curl -X POST -H "content-type: application/json" --data "[[5.9, 3, 5.1, 1.8]]" \
        http://127.0.0.1:3000/classify

The guide writes ``input=NumpyNdarray()``, which works here too; declaring the shape (any
number of rows of 4 measurements) makes a wrong input a 400 that says why, rather than a 500
from inside scikit-learn, and puts a schema and an example into ``/docs.json``.
"""

import numpy as np

import tiffin
from tiffin.io import NumpyNdarray

iris_clf_runner = tiffin.sklearn.get("iris_clf:latest").to_runner()

svc = tiffin.Service("iris_classifier", runners=[iris_clf_runner])


@svc.api(
    input=NumpyNdarray.from_sample(
        np.array([[5.9, 3.0, 5.1, 1.8]]), shape=(-1, 4), enforce_dtype=True, enforce_shape=True
    ),
    output=NumpyNdarray(),
)
def classify(input_series: np.ndarray) -> np.ndarray:
    return iris_clf_runner.predict.run(input_series)
