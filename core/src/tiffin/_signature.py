"""How one method of a saved model is called: whether and along which dim it batches.

A value type of its own, below both the model store (``ModelInfo.signatures``) and the
runners (``Runnable.method`` configs are signatures), so neither imports the other for it.
It registers its own (un)structuring hooks with tiffin's converter, next to its definition.
"""

from __future__ import annotations

from typing import Any

import attrs

from tiffin._converter import register_hooks
from tiffin.exceptions import InvalidArgument

__all__ = ["ModelSignature", "convert_signatures"]


def _batch_dim(value: Any) -> int | tuple[int, int]:
    if isinstance(value, bool) or not isinstance(value, int | list | tuple):
        raise InvalidArgument(
            f"batch_dim must be an int or a pair (input_dim, output_dim), got {value!r}"
        )
    if isinstance(value, list | tuple):
        if len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise InvalidArgument(
                f"batch_dim pair must be two ints (input_dim, output_dim), got {value!r}"
            )
        return (value[0], value[1])
    return value


def _input_shape(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) and (v == -1 or v > 0) for v in value
    ):
        raise InvalidArgument(
            f"input_shape must be a list of dims, positive ints or -1 for any size, like "
            f"[-1, 4], got {value!r}"
        )
    return tuple(value)


@attrs.frozen
class ModelSignature:
    """How one method of a saved model is called: whether and along which dim it batches."""

    batchable: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    batch_dim: int | tuple[int, int] = attrs.field(default=0, converter=_batch_dim)
    input_spec: Any = None
    output_spec: Any = None
    #: the shape of the first argument, ``-1`` where any size goes (``(-1, 4)``: rows of four
    #: features); recorded by adapters that know their model's input width, checked by runners
    input_shape: tuple[int, ...] | None = attrs.field(default=None, converter=_input_shape)

    @property
    def input_batch_dim(self) -> int:
        return self.batch_dim[0] if isinstance(self.batch_dim, tuple) else self.batch_dim

    @property
    def output_batch_dim(self) -> int:
        return self.batch_dim[1] if isinstance(self.batch_dim, tuple) else self.batch_dim

    @classmethod
    def convert(cls, method: str, value: ModelSignature | dict[str, Any] | None) -> ModelSignature:
        """Accept the user's ``{"batchable": True}`` dicts, with a clear error for typos."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise InvalidArgument(
                f"signature for {method!r} must be a dict like {{'batchable': True}}, got {value!r}"
            )
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InvalidArgument(
                f"signature for {method!r} has unknown keys {unknown}; allowed: {sorted(known)}"
            )
        batchable = value.get("batchable", False)
        if not isinstance(batchable, bool):
            raise InvalidArgument(
                f"signature for {method!r}: 'batchable' must be True or False, got {batchable!r}"
            )
        try:
            return cls(**value)
        except TypeError as exc:
            raise InvalidArgument(f"signature for {method!r} is invalid: {exc}") from None


def convert_signatures(signatures: dict[str, Any] | None) -> dict[str, ModelSignature]:
    if signatures is None:
        return {}
    if not isinstance(signatures, dict):
        raise InvalidArgument(
            f"signatures must be a dict of method name -> options, like "
            f"{{'predict': {{'batchable': True}}}}, got {signatures!r}"
        )
    out = {}
    for method, value in signatures.items():
        if not isinstance(method, str) or not method.isidentifier():
            raise InvalidArgument(f"signature name {method!r} must be a Python method name")
        out[method] = ModelSignature.convert(method, value)
    return out


def _unstructure(sig: ModelSignature) -> dict[str, Any]:
    out = {
        "batchable": sig.batchable,
        "batch_dim": list(sig.batch_dim) if isinstance(sig.batch_dim, tuple) else sig.batch_dim,
        "input_spec": sig.input_spec,
        "output_spec": sig.output_spec,
    }
    if sig.input_shape is not None:  # written only when known: older manifests have none
        out["input_shape"] = list(sig.input_shape)
    return out


def _hooks(converter: Any) -> None:
    converter.register_structure_hook(
        ModelSignature, lambda value, _: ModelSignature.convert("signature", value)
    )
    converter.register_unstructure_hook(ModelSignature, _unstructure)


register_hooks(_hooks)
