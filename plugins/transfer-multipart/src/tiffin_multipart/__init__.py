"""tiffin-multipart: large blobs move in parallel, retried, resumable parts.

The entry-point module stays light: the strategy's modules load when a transfer starts.
"""

from __future__ import annotations

from tiffin.hookspecs import hookimpl


@hookimpl
def register_transfer_strategies(register):
    from tiffin_multipart._strategy import MultipartStrategy

    register(MultipartStrategy())
