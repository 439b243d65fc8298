"""tiffin-xgboost passes the framework contract, unchanged."""

from __future__ import annotations

from typing import Any

from tiffin.testing import FrameworkContract


def _data() -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((60, 4))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    return x, y


class TestXGBClassifierContract(FrameworkContract):
    framework = "xgboost"

    def model(self) -> Any:
        import xgboost as xgb

        x, y = _data()
        return xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1).fit(x, y)

    def inputs(self) -> Any:
        return _data()[0][:7]

    def more_inputs(self) -> Any:
        return _data()[0][7:12]


class TestXGBRegressorContract(FrameworkContract):
    framework = "xgboost"

    def model(self) -> Any:
        import xgboost as xgb

        x, y = _data()
        return xgb.XGBRegressor(n_estimators=4, max_depth=2, n_jobs=1).fit(x, x[:, 0] * 2 + y)

    def inputs(self) -> Any:
        return _data()[0][:5]

    def more_inputs(self) -> Any:
        return _data()[0][20:29]
