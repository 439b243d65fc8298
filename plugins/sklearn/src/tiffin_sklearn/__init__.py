"""tiffin-sklearn: the scikit-learn framework adapter. Importing this does not import sklearn."""

from __future__ import annotations

import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_sklearn._adapter import SklearnAdapter

    register(SklearnAdapter())
