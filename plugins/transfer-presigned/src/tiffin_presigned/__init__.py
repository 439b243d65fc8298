"""tiffin-presigned: blob bytes go straight to storage through short-lived signed URLs.

The entry-point module stays light: the strategy's modules load when a transfer starts.
"""

from __future__ import annotations

from tiffin.hookspecs import hookimpl


@hookimpl
def register_transfer_strategies(register):
    from tiffin_presigned._strategy import PresignedStrategy

    register(PresignedStrategy())
