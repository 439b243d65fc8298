"""The registry client: push and pull models and bentos, negotiate transfer strategies, log in.

The server lives in the ``tiffin-registry`` package; this side needs only core's own
dependencies (httpx), so ``pip install tiffin`` can push and pull.
"""

from tiffin._registry._config import RegistryConfig, login, registry_config
from tiffin._registry._summary import TransferSummary

__all__ = ["RegistryConfig", "TransferSummary", "login", "registry_config"]
