"""What a transfer strategy's registry half receives, as public API.

- :class:`Registry`: the registry access object handed to ``registry_offer_upload``,
  ``registry_offer_download``, ``registry_abort`` and ``registry_routes``; it implements
  :class:`tiffin.hookspecs.RegistryAccess` (storage, upload sessions, verified landing of
  blobs, auth and signing), documented member by member there and in ``docs/plugins.md``.
- :class:`UploadSession`: an upload in progress (:class:`tiffin.hookspecs.UploadSession`).
- :func:`check_sha256`: a path parameter that must be a sha256 digest, else ``InvalidArgument``.
- :func:`open_registry`: the access object of a registry's storage and database, as
  ``tiffin registry serve`` opens it (for tools and tests).

Annotate a strategy with the protocols (``tiffin.hookspecs.RegistryAccess``) rather than this
class: a strategy then works with any registry that implements them.
"""

from __future__ import annotations

from tiffin_registry._access import Registry, UploadSession, check_sha256
from tiffin_registry._serve import open_registry

__all__ = ["Registry", "UploadSession", "check_sha256", "open_registry"]
