"""Old home of the registry client, kept so that existing imports work: use :mod:`tiffin.store`.

``tiffin._registry._client``, ``._config``, ``._transfer`` and ``._auto`` are the same modules
as their counterparts in ``tiffin.store``.
"""

import sys

import tiffin.store._negotiate
import tiffin.store._registry_client
import tiffin.store._registry_config
import tiffin.store.autopull
from tiffin.hookspecs import TransferSummary
from tiffin.store._registry_config import RegistryConfig, login, registry_config

sys.modules[f"{__name__}._client"] = tiffin.store._registry_client
sys.modules[f"{__name__}._config"] = tiffin.store._registry_config
sys.modules[f"{__name__}._transfer"] = tiffin.store._negotiate
sys.modules[f"{__name__}._auto"] = tiffin.store.autopull

__all__ = ["RegistryConfig", "TransferSummary", "login", "registry_config"]
