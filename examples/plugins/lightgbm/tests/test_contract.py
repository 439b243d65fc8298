import numpy as np

from tiffin.testing import FrameworkContract


class TestLightGBMContract(FrameworkContract):
    framework = "lightgbm"
    heavy_modules = ("lightgbm",)      # must not be imported by the entry point

    def model(self):
        import lightgbm
        x, y = np.random.default_rng(0).random((200, 4)), np.arange(200) % 2
        return lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(x, y)

    def inputs(self):
        return np.random.default_rng(1).random((8, 4))
