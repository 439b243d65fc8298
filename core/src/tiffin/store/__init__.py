"""The store layer: tags, manifests, local stores, archives and remotes, under everything else.

Everything that keeps or moves versions of models and bentos lives here, and nothing here
knows what a model or a bento is: they register themselves as *kinds* of stored thing
(:func:`register_kind`). What the layer holds:

- :class:`Tag` (``name:version``), :class:`FileEntry` and the manifest helpers
  (:func:`scan`, :func:`verify`, :func:`hash_file`), :func:`tiffin_home`;
- :class:`Store` (versions on local disk, committed atomically) and :class:`StoreChain` (the
  stores ``get`` searches: a loaded bento's models first, the home store, then auto-pull);
- :func:`copy`: push, pull, export and import as one operation between two places
  (:data:`LOCAL`, :class:`Remote`, :class:`Archive`, :class:`Folder`), with one
  :class:`TransferOptions` and one :class:`TransferSummary`;
- remotes: :func:`open_remote` opens the :class:`~tiffin.hookspecs.RemoteStore` a URL's scheme
  names through the ``register_remotes`` hook (``http(s)://``: the tiffin registry, built in).

Heavy dependencies (httpx for the registry, fsspec for URLs, rich for bars) are imported only
when a transfer needs them.
"""

from __future__ import annotations

from tiffin.hookspecs import RemoteStore, RemoteVersion, TransferOptions, TransferSummary
from tiffin.store.autopull import enable as enable_auto_pull
from tiffin.store.chain import StoreChain
from tiffin.store.copying import LOCAL, Archive, Copied, Folder, LocalStore, Remote, copy
from tiffin.store.home import tiffin_home
from tiffin.store.kinds import Kind, get_kind
from tiffin.store.local import Store
from tiffin.store.manifest import FileEntry, hash_file, scan, verify
from tiffin.store.progress import Progress, progress_bar
from tiffin.store.register import register_kind
from tiffin.store.remotes import configured_remote, open_remote
from tiffin.store.stored import StoredInfo, StoredVersion
from tiffin.store.summary import summary_dict, summary_line
from tiffin.store.tag import Tag, new_version, validate_name, validate_version
from tiffin.transfer import raise_for_registry, translate_errors

__all__ = [
    "LOCAL",
    "Archive",
    "Copied",
    "FileEntry",
    "Folder",
    "Kind",
    "LocalStore",
    "Progress",
    "Remote",
    "RemoteStore",
    "RemoteVersion",
    "Store",
    "StoreChain",
    "StoredInfo",
    "StoredVersion",
    "Tag",
    "TransferOptions",
    "TransferSummary",
    "configured_remote",
    "copy",
    "enable_auto_pull",
    "get_kind",
    "hash_file",
    "new_version",
    "open_remote",
    "progress_bar",
    "raise_for_registry",
    "register_kind",
    "scan",
    "summary_dict",
    "summary_line",
    "tiffin_home",
    "translate_errors",
    "validate_name",
    "validate_version",
    "verify",
]

