import pickle
from pathlib import Path

from tiffin.frameworks import FrameworkAdapter


class LightGBMAdapter(FrameworkAdapter):
    name = "lightgbm"
    distribution = "tiffin-lightgbm"
    supports_cpu_multi_threading = True     # one model may be called from many threads

    def framework_version(self):
        import lightgbm
        return lightgbm.__version__

    def save(self, model, path, options):
        import lightgbm
        if isinstance(model, lightgbm.Booster):              # the native API: a text file
            model.save_model(str(Path(path) / "model.txt"))
            return {"format": "booster"}
        # the scikit-learn API (LGBMClassifier...): keep the wrapper, so that a classifier's
        # predict still gives labels and predict_proba probabilities after loading
        with open(Path(path) / "model.pkl", "wb") as f:
            pickle.dump(model, f)
        return {"format": "sklearn"}                          # recorded in model.yaml "options"

    def load(self, model, **kwargs):
        import lightgbm
        if model.info.options.get("format") == "booster":
            return lightgbm.Booster(model_file=str(model.path / "model.txt"), **kwargs)
        with open(model.path / "model.pkl", "rb") as f:
            return pickle.load(f)

    def default_signatures(self, model):                     # every row is independent
        methods = ["predict", "predict_proba"] if hasattr(model, "predict_proba") else ["predict"]
        return {m: {"batchable": True, "batch_dim": 0} for m in methods}

    def accepts(self, obj):                                  # optional
        import sys
        if "lightgbm" not in sys.modules:                    # never import it just to ask
            return False
        import lightgbm
        return isinstance(obj, (lightgbm.Booster, lightgbm.LGBMModel))
