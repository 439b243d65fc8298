"""The one (un)structuring converter: manifests and records to and from YAML/JSON.

Never use cattrs' global converter: hooks registered here stay ours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cattrs
import yaml

converter = cattrs.Converter(forbid_extra_keys=False, omit_if_default=False)
converter.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
converter.register_structure_hook(
    datetime,
    lambda value, _: value if isinstance(value, datetime) else datetime.fromisoformat(value),
)


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """Plain data to YAML, keys in the order given."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def load_yaml(text: str | bytes) -> Any:
    """YAML to plain data, with the safe loader only (no object construction)."""
    try:
        if hasattr(yaml, "CSafeLoader"):
            return yaml.load(text, Loader=yaml.CSafeLoader)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        from tiffin.exceptions import InvalidArgument

        raise InvalidArgument(f"not valid YAML: {_yaml_problem(exc)}") from None


def _yaml_problem(exc: Any) -> str:
    """PyYAML's multi-line message as one line: the problem and where it is."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem is None:
        return " ".join(str(exc).split())
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    context = getattr(exc, "context", None)
    return f"{context + ': ' if context else ''}{problem}{where}"


def _register_model_hooks() -> None:
    from tiffin._model import ModelSignature

    converter.register_structure_hook(
        ModelSignature, lambda value, _: ModelSignature.convert("signature", value)
    )
    converter.register_unstructure_hook(
        ModelSignature,
        lambda sig: {
            "batchable": sig.batchable,
            "batch_dim": list(sig.batch_dim) if isinstance(sig.batch_dim, tuple) else sig.batch_dim,
            "input_spec": sig.input_spec,
            "output_spec": sig.output_spec,
        },
    )


_register_model_hooks()
