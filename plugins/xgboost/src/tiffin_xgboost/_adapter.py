"""The XGBoost adapter behind ``tiffin.xgboost``: boosters and the scikit-learn wrappers.

Models are stored in XGBoost's own UBJSON format (``model.ubj``), never pickled, so loading
one runs no code from the file. The wrapper class (``XGBClassifier``, ``XGBRegressor``, ...)
is recorded in the manifest so ``load_model`` gives back the same kind of object; XGBoost
keeps the wrapper's fitted attributes (classes, feature names) inside the UBJSON itself.
xgboost is imported inside the methods only.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import InvalidArgument, MissingPlugin
from tiffin.frameworks import FrameworkAdapter

if TYPE_CHECKING:
    from tiffin import Model, Runnable

__all__ = ["XGBoostAdapter"]

MODEL_FILE = "model.ubj"
BOOSTER_CLASS = "xgboost.core.Booster"


def _xgboost() -> Any:
    try:
        import xgboost
    except ImportError:
        raise MissingPlugin(
            "tiffin-xgboost needs XGBoost, which is not installed: pip install xgboost "
            "(or xgboost-cpu, the CPU-only build)"
        ) from None
    return xgboost


def class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_xgboost(cls: type) -> bool:
    return cls.__module__ == "xgboost" or cls.__module__.startswith("xgboost.")


class XGBoostAdapter(FrameworkAdapter):
    """``tiffin.xgboost``: ``xgboost.Booster`` and ``XGBModel`` subclasses."""

    name = "xgboost"
    distribution = "tiffin-xgboost"
    supports_cpu_multi_threading = True  # prediction is thread-safe and uses nthread cores

    def framework_version(self) -> str:
        return str(_xgboost().__version__)

    def accepts(self, obj: Any) -> bool:
        if "xgboost" not in sys.modules:  # an xgboost object implies xgboost was imported
            return False
        xgb = _xgboost()
        return isinstance(obj, xgb.Booster | xgb.XGBModel)

    def default_signatures(self, model: Any) -> dict[str, dict[str, Any]]:
        signatures = {"predict": {"batchable": False}}
        if callable(getattr(model, "predict_proba", None)):
            signatures["predict_proba"] = {"batchable": False}
        return signatures

    def input_shape(self, model: Any) -> tuple[int, ...] | None:
        """Rows of the booster's feature count (``num_features()``, ``n_features_in_``)."""
        try:
            booster = model if isinstance(model, _xgboost().Booster) else model.get_booster()
            width = int(booster.num_features())
        except Exception:  # unfitted or unusual: nothing to check, save() reports unfitted
            return None
        return (-1, width) if width > 0 else None

    def save(self, model: Any, path: Path, options: dict[str, Any]) -> dict[str, Any] | None:
        xgb = _xgboost()
        if not isinstance(model, xgb.Booster | xgb.XGBModel):
            raise InvalidArgument(
                f"tiffin.xgboost saves an xgboost.Booster or an XGBoost scikit-learn model "
                f"(XGBClassifier, XGBRegressor, ...), not a {class_path(model)}"
            )
        try:
            model.save_model(str(Path(path) / MODEL_FILE))
        except (ValueError, AttributeError, xgb.core.XGBoostError) as exc:
            raise InvalidArgument(
                f"could not save the {type(model).__name__}: {exc}. Fit it before saving"
            ) from None
        return {
            "model_class": class_path(model),
            "xgboost_class": next(
                f"{c.__module__}.{c.__qualname__}" for c in type(model).__mro__ if _is_xgboost(c)
            ),
            "format": "ubj",
        }

    def runtime_requirements(self, model: Model) -> list[str]:
        """XGBoost's scikit-learn classes (XGBClassifier...) import scikit-learn when loaded."""
        if model.info.options.get("xgboost_class", BOOSTER_CLASS) == BOOSTER_CLASS:
            return []
        return ["scikit-learn"]

    def load(self, model: Model, **kwargs: Any) -> Any:
        """The model; ``nthread=`` sets its threads (``n_jobs`` on a wrapper)."""
        nthread = kwargs.pop("nthread", None)
        if kwargs:
            raise InvalidArgument(f"tiffin.xgboost.load_model takes nthread=, not {sorted(kwargs)}")
        if nthread is not None and (
            isinstance(nthread, bool) or not isinstance(nthread, int) or nthread < 1
        ):
            raise InvalidArgument(f"nthread must be a positive int, got {nthread!r}")
        xgb = _xgboost()
        file = Path(model.path) / MODEL_FILE
        if not file.is_file():
            raise InvalidArgument(
                f"model {model.tag} lacks its file {MODEL_FILE}; the store is damaged"
            )
        cls = self._model_class(model, xgb)
        if cls is xgb.Booster:
            booster = xgb.Booster(model_file=str(file))
            if nthread is not None:
                booster.set_param({"nthread": nthread})
            return booster
        wrapper = cls()
        wrapper.load_model(str(file))
        if nthread is not None:
            wrapper.set_params(n_jobs=nthread)
        return wrapper

    def _model_class(self, model: Model, xgb: Any) -> type:
        """The XGBoost class to rebuild; a user's subclass comes back as its XGBoost base.

        Only classes of the xgboost package are imported: a manifest never makes tiffin import
        other code.
        """
        name = model.info.options.get("xgboost_class", BOOSTER_CLASS)
        module_name, _, qualname = name.rpartition(".")
        obj: Any = None
        if module_name == "xgboost" or module_name.startswith("xgboost."):
            try:
                obj = importlib.import_module(module_name)
                for part in qualname.split("."):
                    obj = getattr(obj, part)
            except (ImportError, AttributeError):
                obj = None
        if not (isinstance(obj, type) and issubclass(obj, xgb.Booster | xgb.XGBModel)):
            raise InvalidArgument(
                f"model {model.tag} names {name!r}, which is not an XGBoost model class of the "
                f"installed xgboost {xgb.__version__}; upgrade xgboost, or read {MODEL_FILE} "
                f"with xgboost.Booster(model_file=...)"
            )
        return obj

    def runnable(self, model: Model) -> type[Runnable]:
        from tiffin_xgboost._runnable import xgboost_runnable

        return xgboost_runnable(self, model)
