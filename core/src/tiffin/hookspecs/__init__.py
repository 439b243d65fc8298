"""The plugin contract: every hook tiffin calls, and what the objects they register must do.

This package is the whole contract for plugin authors, one module per hook kind, everything
re-exported here (``from tiffin.hookspecs import StorageBackend``):

- :mod:`tiffin.hookspecs.frameworks`: framework adapters (``register_frameworks``);
- :mod:`tiffin.hookspecs.containers`: data containers (``register_data_containers``);
- :mod:`tiffin.hookspecs.storage`: storage backends (``register_storage_backends``);
- :mod:`tiffin.hookspecs.transfer`: transfer strategies (``register_transfer_strategies``) and
  the objects a strategy's registry half receives (``RegistryAccess``, ``UploadSession``);
- :mod:`tiffin.hookspecs.io`: IO descriptors (``register_io_descriptors``);
- :mod:`tiffin.hookspecs.commands`: CLI commands (``register_commands``, ``command_group``);
- :mod:`tiffin.hookspecs.batch`: batch engines (``register_batch_engines``);
- :mod:`tiffin.hookspecs.serving`: serving engines (``register_serving_engines``);
- :mod:`tiffin.hookspecs.remotes`: remotes by URL scheme (``register_remotes``) and the values
  a copy hands them (``TransferOptions``, ``TransferSummary``, ``RemoteVersion``).

A plugin is a module (named by an entry point in the group ``tiffin``) whose functions are
marked with :data:`tiffin.hookimpl` and named after the hooks. Every ``register_*`` hook hands
the plugin a ``register`` callback: the plugin calls it once per object it provides, and core
validates the object, refuses duplicate names with a clear message, and records which plugin
provided what. A hook's signature never changes: new abilities are new *optional methods* on
the registered objects, each described by a small runtime-checkable protocol
(``SupportsPresign``, ``SupportsClientUpload``...) that core checks with ``isinstance``.

Built-in behaviour (local storage, the built-in IO descriptors, the numpy/list/pandas data
containers, the proxy strategy, the local batch and serving engines) is registered through these
same hooks by modules in :mod:`tiffin.builtin`.

A minimal framework plugin::

    # tiffin_lightgbm/__init__.py  (entry point: [project.entry-points.tiffin] lightgbm = "tiffin_lightgbm")
    import tiffin

    @tiffin.hookimpl
    def register_frameworks(register):
        from tiffin_lightgbm._adapter import LightGBMAdapter   # must not import lightgbm itself
        register(LightGBMAdapter())

Entry-point modules must stay light: importing one must not import the framework itself
(torch, xgboost, sklearn); do that inside the adapter's methods.
"""

from __future__ import annotations

import warnings

from tiffin.hookspecs._markers import ENTRY_POINT_GROUP, PROJECT_NAME, hookimpl, hookspec
from tiffin.hookspecs.batch import BatchEngine, BatchJob, BatchResult, register_batch_engines
from tiffin.hookspecs.commands import command_group, register_commands
from tiffin.hookspecs.containers import (
    DataContainer,
    SupportsBatchSize,
    SupportsCompatible,
    register_data_containers,
)
from tiffin.hookspecs.frameworks import (
    FrameworkAdapterProtocol,
    StoredModel,
    StoredModelInfo,
    SupportsAcceptsModel,
    SupportsDefaultSignatures,
    SupportsFrameworkBatching,
    SupportsRunnable,
    register_frameworks,
)
from tiffin.hookspecs.io import IODescriptorProtocol, SupportsTensors, register_io_descriptors
from tiffin.hookspecs.remotes import (
    KINDS,
    Remote,
    RemoteStore,
    RemoteVersion,
    StoredFile,
    SupportsSetLabels,
    TransferOptions,
    TransferSummary,
    register_remotes,
)
from tiffin.hookspecs.serving import ServingEngine, register_serving_engines
from tiffin.hookspecs.storage import (
    StorageBackend,
    SupportsAtomicWrite,
    SupportsMultipart,
    SupportsMultipartPartUrl,
    SupportsMultipartUploadPart,
    SupportsPresign,
    SupportsPresignGet,
    SupportsPresignPut,
    SupportsReadRange,
    register_storage_backends,
)
from tiffin.hookspecs.transfer import (
    ClientTransferStrategy,
    RegistryAccess,
    RegistryTransferStrategy,
    SupportsAccepts,
    SupportsClientDownload,
    SupportsClientUpload,
    SupportsRegistryAbort,
    SupportsRegistryOfferDownload,
    SupportsRegistryOfferUpload,
    SupportsRegistryRoutes,
    TransferStrategy,
    UploadSession,
    register_transfer_strategies,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PROJECT_NAME",
    "BatchEngine",
    "BatchJob",
    "BatchResult",
    "ClientTransferStrategy",
    "DataContainer",
    "FrameworkAdapterProtocol",
    "IODescriptorProtocol",
    "RegistryAccess",
    "RegistryTransferStrategy",
    "Remote",
    "RemoteStore",
    "RemoteVersion",
    "ServingEngine",
    "StorageBackend",
    "StoredFile",
    "StoredModel",
    "StoredModelInfo",
    "SupportsAccepts",
    "SupportsAcceptsModel",
    "SupportsAtomicWrite",
    "SupportsBatchSize",
    "SupportsClientDownload",
    "SupportsClientUpload",
    "SupportsCompatible",
    "SupportsDefaultSignatures",
    "SupportsFrameworkBatching",
    "SupportsMultipart",
    "SupportsMultipartPartUrl",
    "SupportsMultipartUploadPart",
    "SupportsPresign",
    "SupportsPresignGet",
    "SupportsPresignPut",
    "SupportsReadRange",
    "SupportsRegistryAbort",
    "SupportsRegistryOfferDownload",
    "SupportsRegistryOfferUpload",
    "SupportsRegistryRoutes",
    "SupportsRunnable",
    "SupportsSetLabels",
    "SupportsTensors",
    "TransferOptions",
    "TransferStrategy",
    "TransferSummary",
    "UploadSession",
    "command_group",
    "has_capability",
    "hookimpl",
    "hookspec",
    "register_batch_engines",
    "register_commands",
    "register_data_containers",
    "register_frameworks",
    "register_io_descriptors",
    "register_remotes",
    "register_serving_engines",
    "register_storage_backends",
    "register_transfer_strategies",
]


def has_capability(obj: object, name: str) -> bool:
    """Whether ``obj`` offers the optional method ``name``. Deprecated since 0.2, removed in 0.3:
    check the capability's protocol instead (``isinstance(backend, SupportsPresign)``)."""
    warnings.warn(
        "tiffin.hookspecs.has_capability(obj, name) is deprecated and will be removed in tiffin "
        "0.3; use isinstance(obj, <capability protocol>) from tiffin.hookspecs instead "
        "(SupportsPresign, SupportsMultipart, SupportsClientUpload, SupportsRegistryRoutes, ...)",
        DeprecationWarning,
        stacklevel=2,
    )
    return callable(getattr(obj, name, None))
