"""Moved to :mod:`tiffin._model` (the model kind); kept so that old imports work."""

from tiffin._model import model_store, model_stores

__all__ = ["model_store", "model_stores"]
