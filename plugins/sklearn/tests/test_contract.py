"""tiffin-sklearn passes the framework contract every tiffin framework plugin must pass."""

from __future__ import annotations

from typing import Any

from tiffin.testing import FrameworkContract


class TestSklearnContract(FrameworkContract):
    framework = "sklearn"
    heavy_modules = ("sklearn", "joblib", "scipy")

    def model(self) -> Any:
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression

        x, y = load_iris(return_X_y=True)
        return LogisticRegression(max_iter=500).fit(x, y)

    def inputs(self) -> Any:
        from sklearn.datasets import load_iris

        return load_iris(return_X_y=True)[0][:10]

    def more_inputs(self) -> Any:
        from sklearn.datasets import load_iris

        return load_iris(return_X_y=True)[0][-7:]


class TestSklearnPipelineContract(TestSklearnContract):
    signatures = {"predict": {"batchable": True}, "predict_proba": {"batchable": True}}

    def model(self) -> Any:
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x, y = load_iris(return_X_y=True)
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
