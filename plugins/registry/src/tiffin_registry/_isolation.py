"""A transfer strategy whose registry half raises is dropped, not the registry with it.

The registry keeps one dict of the strategies it offers (name -> strategy). When a strategy's
``registry_routes`` raises or returns something other than a list of routes, or one of its
offers raises, :func:`disable` removes it from that dict, so it is no longer advertised nor
offered, and says so once, naming the distribution that registered it; the others go on.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings
from typing import Any

from tiffin import plugins
from tiffin.plugins import TiffinPluginWarning

__all__ = ["disable"]

logger = logging.getLogger("tiffin.registry")
_lock = threading.Lock()


def disable(strategies: dict[str, Any], name: str, where: str, exc: BaseException) -> None:
    """Stop offering the strategy ``name`` on this registry; warn once (and log) why."""
    with _lock:
        if strategies.pop(name, None) is None:
            return  # already disabled by a concurrent request: one warning only
    message = (
        f"transfer strategy {name!r} (from {plugins.distribution_of('strategy', name)}) raised "
        f"in {where}: {type(exc).__name__}: {' '.join(str(exc).split())}; it is disabled on this "
        f"registry until restart and the other strategies are still offered. Report it to the "
        f"plugin's authors, or uninstall it"
    )
    logger.warning("%s", message)
    # warnings turned into errors (python -W error) must not fail the request: the log says it
    with contextlib.suppress(Warning):
        warnings.warn(message, TiffinPluginWarning, stacklevel=2)
