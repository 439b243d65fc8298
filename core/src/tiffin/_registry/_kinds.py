"""The two kinds of things a registry holds, with the local store each lands in."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["BENTOS", "MODELS", "Kind"]


@attrs.frozen
class Kind:
    api: str  # the path segment under /api/v1/: "models" or "bentos"
    what: str  # "model" or "bento"

    def store(self) -> Any:
        if self.api == "models":
            from tiffin._storage.model_store import model_store

            return model_store()
        from tiffin._storage.bento_store import bento_store

        return bento_store()


MODELS = Kind("models", "model")
BENTOS = Kind("bentos", "bento")
