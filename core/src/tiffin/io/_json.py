"""JSON: any JSON value, optionally validated by a pydantic model or structured into an attrs class.

pydantic is optional (imported only when a model is given). attrs classes and dataclasses are
structured with tiffin's one cattrs converter; a failure names the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import attrs
import orjson

from tiffin.exceptions import BadInput, InvalidArgument
from tiffin.io._base import IODescriptor, wrong_output
from tiffin.io._schema import class_schema, to_openapi30

__all__ = ["JSON", "dumps_json"]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    """What orjson cannot encode on its own: models, attrs instances, numpy, sets."""
    if hasattr(obj, "model_dump") and callable(obj.model_dump):  # pydantic v2 model
        return obj.model_dump(mode="json")
    if attrs.has(type(obj)):
        from tiffin._converter import converter

        return converter.unstructure(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    module = type(obj).__module__
    if module == "numpy" and hasattr(obj, "tolist"):
        import numpy as np

        if isinstance(obj, np.ndarray) and obj.ndim and obj.dtype.kind in "biuf":
            return np.ascontiguousarray(obj)
        return obj.tolist()
    if module.startswith("pandas"):
        if hasattr(obj, "to_dict"):
            return obj.to_dict(orient="records") if hasattr(obj, "columns") else obj.to_dict()
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
    if isinstance(obj, bytes):
        raise TypeError("bytes are not JSON (decode them, or use the File descriptor)")
    raise TypeError(f"{type(obj).__qualname__} is not JSON serializable")


def dumps_json(value: Any) -> bytes:
    """Encode ``value`` as JSON bytes; ``TypeError`` when something in it cannot be encoded."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def _is_pydantic(model: Any) -> bool:
    return (
        isinstance(model, type)
        and hasattr(model, "model_validate")
        and hasattr(model, "model_json_schema")
    )


class JSON(IODescriptor):
    """Any JSON value; with ``pydantic_model``, validated into that model (400 on field errors).

    :param pydantic_model: a pydantic v2 model class, or an attrs class or dataclass (structured
        with cattrs); the API function then receives an instance of it.
    """

    media_types = ("application/json",)
    form_as_default = True

    def __init__(self, pydantic_model: type | None = None) -> None:
        if pydantic_model is not None and not (
            _is_pydantic(pydantic_model)
            or attrs.has(pydantic_model)
            or dataclasses.is_dataclass(pydantic_model)
        ):
            raise InvalidArgument(
                f"JSON(pydantic_model={pydantic_model!r}) must be a pydantic model class, an attrs "
                f"class or a dataclass"
            )
        self._model = pydantic_model

    def decode(self, data: bytes, media_type: str | None, filename: str | None = None) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"JSON input is not valid JSON: {exc}") from None
        model = self._model
        if model is None:
            return value
        if _is_pydantic(model):
            return self._validate_pydantic(model, value)
        return self._structure(model, value)

    def _validate_pydantic(self, model: type, value: Any) -> Any:
        import pydantic

        try:
            return model.model_validate(value)  # type: ignore[attr-defined]
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise BadInput(f"JSON input does not match {model.__name__}: {problems}") from None

    def _structure(self, model: type, value: Any) -> Any:
        import cattrs

        from tiffin._converter import converter

        if not isinstance(value, dict):
            raise BadInput(
                f"JSON input for {model.__name__} must be an object, got {type(value).__name__}"
            )
        try:
            return converter.structure(value, model)
        except cattrs.BaseValidationError as exc:
            problems = "; ".join(cattrs.transform_error(exc, path=""))
            raise BadInput(f"JSON input does not match {model.__name__}: {problems}") from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise BadInput(f"JSON input does not match {model.__name__}: {exc}") from None

    def encode(self, value: Any) -> tuple[bytes, str, dict[str, str]]:
        try:
            return dumps_json(value), "application/json", {}
        except TypeError as exc:
            raise wrong_output(self, f"a JSON-encodable value ({exc})", value) from None

    def openapi_schema(self) -> dict[str, Any]:
        model = self._model
        if model is None:
            return {}
        if _is_pydantic(model):
            return to_openapi30(model.model_json_schema())  # type: ignore[attr-defined]
        return class_schema(model)

    def _openapi_example(self) -> Any:
        return orjson.loads(dumps_json(self._example))

    def to_spec(self) -> dict[str, Any]:
        model = self._model
        name = f"{model.__module__}.{model.__qualname__}" if model is not None else None
        return {"type": "JSON", "args": {"pydantic_model": name}}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> JSON:
        name = spec.get("args", {}).get("pydantic_model")
        if not name:
            return cls()
        import importlib

        module_name, _, qualname = name.rpartition(".")
        try:
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise InvalidArgument(
                f"JSON descriptor model {name!r} cannot be imported: {exc}"
            ) from None
        return cls(pydantic_model=target)

    @classmethod
    def from_sample(cls, sample: Any, **kwargs: Any) -> JSON:
        """The example from ``sample``; a pydantic/attrs/dataclass instance also sets the model."""
        sample_type = type(sample)
        if "pydantic_model" not in kwargs and (
            _is_pydantic(sample_type)
            or attrs.has(sample_type)
            or dataclasses.is_dataclass(sample_type)
        ):
            kwargs["pydantic_model"] = sample_type
        descriptor = cls(**kwargs)
        descriptor.set_example(sample)
        return descriptor
