"""tiffin-oci: models and bentos in any OCI registry, as an ``oci://HOST[:PORT]/NAMESPACE`` remote.

Point tiffin at one (``TIFFIN_REGISTRY_URL=oci://ghcr.io/my-org/tiffin``) and push, pull,
``--remote`` listings, auto-pull and ``BentoModel`` use it; ``tiffin oci login`` stores
credentials in Docker's ``config.json``. The layout in the registry is in ``docs/oci.md``.

The entry-point module stays light: httpx and the client load when a remote is opened.
"""

from __future__ import annotations

from typing import Any

from tiffin.hookspecs import hookimpl

__all__ = ["OCIRemote", "OCIRemoteStore", "__version__"]

__version__ = "0.1.0"


@hookimpl
def register_remotes(register: Any) -> None:
    from tiffin_oci._remote import OCIRemote

    register(OCIRemote())


@hookimpl
def register_commands(app: Any) -> None:
    from tiffin_oci._cli import app as oci_app

    app.add_typer(oci_app, name="oci")


def __getattr__(name: str) -> Any:
    if name in ("OCIRemote", "OCIRemoteStore"):
        from tiffin_oci import _remote

        return getattr(_remote, name)
    raise AttributeError(f"module 'tiffin_oci' has no attribute {name!r}")
