"""The scikit-learn adapter: estimators and pipelines saved with joblib.

joblib pickles: loading a model runs code from its file, so load only models you trust (your
own store, your own registry). sklearn and joblib are imported inside the methods, so
resolving ``tiffin.sklearn`` costs nothing until a model is saved or loaded.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import InvalidArgument
from tiffin.frameworks import FrameworkAdapter

if TYPE_CHECKING:
    from tiffin import Model

__all__ = ["SklearnAdapter"]

MODEL_FILE = "model.joblib"


class SklearnAdapter(FrameworkAdapter):
    """``tiffin.sklearn``: any scikit-learn estimator or pipeline."""

    name = "sklearn"
    distribution = "tiffin-sklearn"
    supports_cpu_multi_threading = True

    def framework_version(self) -> str:
        import sklearn

        return sklearn.__version__

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        return {"predict": {"batchable": False}}

    def input_shape(self, model: Any) -> tuple[int, ...] | None:
        """Rows of ``n_features_in_`` features, when the fitted estimator records it."""
        width = getattr(model, "n_features_in_", None)
        if isinstance(width, int) and not isinstance(width, bool) and width > 0:
            return (-1, width)
        return None

    def accepts(self, obj: Any) -> bool:
        # an object from a module outside sklearn cannot be an estimator unless sklearn is
        # already imported (it had to be, to define a subclass), so never import it here
        if "sklearn" not in sys.modules:
            return False
        from sklearn.base import BaseEstimator

        return isinstance(obj, BaseEstimator)

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        import joblib

        cls = type(model)
        try:
            joblib.dump(model, Path(path) / MODEL_FILE)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:  # only pickling here
            raise InvalidArgument(
                f"tiffin.sklearn cannot save this {cls.__module__}.{cls.__qualname__}: it cannot be "
                f"pickled ({exc}); define the functions it holds (FunctionTransformer, custom "
                f"scorers...) at module level in an importable module, not as lambdas or local "
                f"functions"
            ) from None
        return {"model_class": f"{cls.__module__}.{cls.__qualname__}"}

    def load(self, model: Model, **kwargs: Any) -> Any:
        import joblib

        if kwargs:
            raise InvalidArgument(
                f"tiffin.sklearn.load_model takes no extra arguments, got {sorted(kwargs)}"
            )
        file = Path(model.path) / MODEL_FILE
        if not file.is_file():
            raise InvalidArgument(
                f"model {model.tag} has no {MODEL_FILE}: it was not saved by tiffin.sklearn.save_model"
            )
        return joblib.load(file)
