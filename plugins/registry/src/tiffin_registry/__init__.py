"""The tiffin registry server: ``tiffin registry serve|gc`` (the client side lives in core).

Metadata (repositories, versions, manifests, labels, upload sessions, audit records) lives in a
SQL database through SQLAlchemy with Alembic migrations; file contents live as
content-addressed blobs in any storage backend tiffin knows (a local folder, ``s3://`` with
tiffin-s3). Transfer strategies (the built-in proxy, tiffin-presigned, tiffin-multipart) plug
in through the ``register_transfer_strategies`` hook; see ``docs/registry-api.md``.

This entry-point module stays light: nothing here imports SQLAlchemy or Starlette.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
