"""The tiffin registry server: ``tiffin registry serve|gc|token`` (the client side lives in core).

Metadata (repositories, versions, manifests, labels, upload sessions, audit records) lives in a
SQL database through SQLAlchemy with Alembic migrations; file contents live as
content-addressed blobs in any storage backend tiffin knows (a local folder, ``s3://`` with
tiffin-s3). Transfer strategies (the built-in proxy, tiffin-presigned, tiffin-multipart) plug
in through the ``register_transfer_strategies`` hook and receive the
:class:`tiffin_registry.access.Registry` (see ``docs/registry-api.md``).

This entry-point module stays light: nothing here imports SQLAlchemy or Starlette.
"""

from __future__ import annotations

from typing import Any

import tiffin
from tiffin.hookspecs import command_group

__all__ = ["__version__", "register_commands"]

__version__ = "0.1.0"


@tiffin.hookimpl
def register_commands(app: Any) -> None:
    """``tiffin registry serve|gc|token``, in the group core owns (core keeps ``login``)."""
    from tiffin_registry._cli import add_commands

    add_commands(command_group(app, "registry"))
