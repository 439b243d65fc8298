"""What ``register_remotes`` registers: light, so that registering costs no httpx import."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiffin_oci._remote import OCIRemoteStore

__all__ = ["OCIRemote"]


class OCIRemote:
    """Opens an :class:`~tiffin_oci.OCIRemoteStore` for an ``oci://HOST[:PORT]/NAMESPACE`` URL.

    ``token`` (``TIFFIN_REGISTRY_TOKEN`` or ``tiffin registry login --token``) is
    ``USER:PASSWORD``, or an access token used as the password; without one, credentials come
    from the environment or Docker's ``config.json``. Opening touches no network.
    """

    schemes = ("oci",)

    def open(self, url: str, token: str | None) -> OCIRemoteStore:
        # deferred: the store imports httpx, paid only when an oci:// remote is used
        from tiffin_oci._remote import OCIRemoteStore

        return OCIRemoteStore(url, token=token)
