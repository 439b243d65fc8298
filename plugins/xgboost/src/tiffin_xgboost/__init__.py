"""tiffin-xgboost: the XGBoost framework adapter. Importing this does not import xgboost."""

from __future__ import annotations

import tiffin


@tiffin.hookimpl
def register_frameworks(register):
    from tiffin_xgboost._adapter import XGBoostAdapter

    register(XGBoostAdapter())
