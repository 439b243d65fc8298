"""tiffin-oci: models and bentos in any OCI registry, as an ``oci://HOST[:PORT]/NAMESPACE`` remote.

Point tiffin at one (``TIFFIN_REGISTRY_URL=oci://ghcr.io/my-org/tiffin``) and push, pull,
``--remote`` listings, auto-pull and ``BentoModel`` use it; ``tiffin oci login`` stores
credentials in Docker's ``config.json``. The layout in the registry is in ``docs/oci.md``.

The entry-point module stays light: httpx and the client load when a remote is opened.
"""

from __future__ import annotations

from typing import Any

from tiffin.hookspecs import hookimpl
from tiffin_oci._opener import OCIRemote

__all__ = ["OCIRemote", "OCIRemoteStore", "__version__"]

__version__ = "0.1.0"


@hookimpl
def register_remotes(register: Any) -> None:
    register(OCIRemote())


@hookimpl
def register_commands(app: Any) -> None:
    from tiffin_oci._cli import app as oci_app  # typer is loaded by then; httpx is not needed

    app.add_typer(oci_app, name="oci")


def __getattr__(name: str) -> Any:
    if name == "OCIRemoteStore":  # lazily: it imports httpx
        from tiffin_oci._remote import OCIRemoteStore

        return OCIRemoteStore
    raise AttributeError(f"module 'tiffin_oci' has no attribute {name!r}")
