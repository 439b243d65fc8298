"""``tiffin.models.BentoModel("name:version")``: a model a class service names, resolved on use.

As a class attribute of a ``@tiffin.service`` class it is read as the resolved
:class:`tiffin.Model` on an instance (``self.bento_model``), and ``tiffin build`` packs it into
the bento. Resolving looks where ``tiffin.models.get`` looks (a bento's own models first, then the
local store); a model stored nowhere here is pulled from the configured registry
(``TIFFIN_REGISTRY_URL``; ``TIFFIN_AUTO_PULL=0`` turns that off), in ``tiffin serve`` and
``tiffin batch`` as in plain Python.
"""

from __future__ import annotations

import threading
from typing import Any

from tiffin._model import MODEL
from tiffin.exceptions import InvalidArgument, NotFound
from tiffin.store.autopull import AutoPull
from tiffin.store.tag import Tag

__all__ = ["BentoModel"]

_OFF = {"0", "false", "no", "off"}


class BentoModel:
    """A reference to a stored model by tag: ``BentoModel("iris_clf:v1_approved")``."""

    def __init__(self, tag: str | Tag) -> None:
        if isinstance(tag, Tag):
            self.tag = tag
        elif isinstance(tag, str):
            try:
                self.tag = Tag.parse(tag)
            except InvalidArgument as exc:
                raise InvalidArgument(f"BentoModel({tag!r}): {exc}") from None
        else:
            raise InvalidArgument(
                f"BentoModel() takes a model tag such as 'iris_clf:v1', got {tag!r}"
            )
        self._model: Any = None
        self._lock = threading.Lock()

    def resolve(self) -> Any:
        """The :class:`tiffin.Model` this names (pulled from the registry when not stored here)."""
        model = self._model
        if model is not None and model.path.exists():
            return model
        with self._lock:
            self._model = _resolve(str(self.tag))
            return self._model

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return self.resolve()

    @property
    def path(self) -> Any:
        """The resolved model's folder."""
        return self.resolve().path

    def __str__(self) -> str:
        return str(self.tag)

    def __repr__(self) -> str:
        return f"BentoModel({str(self.tag)!r})"


def _resolve(tag: str) -> Any:
    """``tiffin.models.get``'s lookup (a bento's models, then the local store), then the
    registry: unlike ``models.get`` outside ``tiffin serve``, a ``BentoModel`` pulls in plain
    Python too (a notebook)."""
    try:
        return MODEL.chain.get(tag)
    except NotFound as missing:
        return AutoPull(MODEL).fetch(tag, missing)
