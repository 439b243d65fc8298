"""The iris classifier as a class-style service (BentoML 1.2+'s style), in tiffin.

``python examples/iris/quickstart.py`` saves the model, builds this service into the bento
``iris_classifier`` and serves it; or, once the model is saved::

    tiffin serve examples/iris/classifier.py:IrisClassifier
    curl -X POST -H "content-type: application/json" \
        --data '{"input_series": [[5.9, 3, 5.1, 1.8]]}' http://127.0.0.1:3000/classify

The body is a JSON object keyed by the method's parameter names; a one-parameter API also
takes its value bare (``--data "[[5.9, 3, 5.1, 1.8]]"``). ``Shape`` makes a wrong input a 400
that names the parameter, rather than a 500 from inside scikit-learn.
"""

from typing import Annotated

import numpy as np

import tiffin
from tiffin.validators import DType, Shape

Measurements = Annotated[np.ndarray, Shape((-1, 4)), DType("float64")]


@tiffin.service(name="iris_classifier", resources={"cpu": "1"}, traffic={"timeout": 10})
class IrisClassifier:
    bento_model = tiffin.models.BentoModel("iris_clf:latest")

    def __init__(self) -> None:
        self.model = tiffin.sklearn.load_model(self.bento_model)

    @tiffin.api
    def classify(self, input_series: Measurements) -> np.ndarray:
        """The species (0, 1 or 2) of each row of four measurements."""
        return self.model.predict(input_series)

    @tiffin.api(batchable=True, batch_dim=0, max_batch_size=64, max_latency_ms=20)
    def classify_batch(self, input_series: Measurements) -> np.ndarray:
        """The same, with concurrent requests batched into one model call."""
        return self.model.predict(input_series)
