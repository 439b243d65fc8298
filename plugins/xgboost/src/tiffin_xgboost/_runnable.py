"""The runnable behind ``tiffin.xgboost.get(tag).to_runner()``.

A booster's ``predict`` takes numpy arrays or pandas frames and builds the ``DMatrix`` itself
(a ``DMatrix`` passes through); a scikit-learn wrapper's methods are called as they are.
Threads: ``nthread=`` if given, else the runner's ``resources["cpu"]`` rounded up, else
XGBoost's default (all cores).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiffin.exceptions import InvalidArgument
from tiffin.frameworks import add_signature_methods, cpu_threads

if TYPE_CHECKING:
    from tiffin import Model, Runnable
    from tiffin_xgboost._adapter import XGBoostAdapter

__all__ = ["xgboost_runnable"]

# the libraries whose arrays and frames xgboost.DMatrix reads directly
_ARRAY_LIBRARIES = frozenset({"numpy", "pandas", "scipy", "pyarrow", "polars", "cupy", "cudf"})


def xgboost_runnable(adapter: XGBoostAdapter, model: Model) -> type[Runnable]:
    """A :class:`tiffin.Runnable` subclass serving ``model``'s signatures."""
    from tiffin import Runnable

    class XGBoostRunnable(Runnable):
        __doc__ = f"Serves the XGBoost model {model.tag}."
        SUPPORTED_RESOURCES = ("cpu",)
        SUPPORTS_CPU_MULTI_THREADING = adapter.supports_cpu_multi_threading

        def __init__(
            self, nthread: int | None = None, resources: Mapping[str, Any] | None = None
        ) -> None:
            import xgboost as xgb

            super().__init__()
            self.nthread = nthread if nthread is not None else cpu_threads(resources)
            self.model = adapter.load(model, nthread=self.nthread)
            self.is_booster = isinstance(self.model, xgb.Booster)

        def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if self.is_booster and method == "predict" and args:
                args = (self._dmatrix(args[0]), *args[1:])
            return getattr(self.model, method)(*args, **kwargs)

        def _dmatrix(self, data: Any) -> Any:
            import xgboost as xgb

            if isinstance(data, xgb.DMatrix):
                return data
            if isinstance(data, list | tuple):
                import numpy as np

                data = np.asarray(data)
            if type(data).__module__.split(".")[0] not in _ARRAY_LIBRARIES:
                # anything else xgboost would guess at; a str it would open as a file name
                raise InvalidArgument(
                    f"predict takes a numpy array or a pandas DataFrame, not a "
                    f"{type(data).__name__}; a DMatrix is never built from a file name here"
                )
            try:
                return xgb.DMatrix(data, nthread=self.nthread)
            except (TypeError, ValueError) as exc:
                raise InvalidArgument(
                    f"cannot build an xgboost.DMatrix from a {type(data).__name__}: {exc}; "
                    f"pass a numpy array or a pandas DataFrame"
                ) from None

    return add_signature_methods(XGBoostRunnable, model)
