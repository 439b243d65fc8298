"""The one (un)structuring converter: manifests and records to and from YAML/JSON.

Never use cattrs' global converter: hooks registered here stay ours. Each value type that
needs a hook registers it next to its own definition with :func:`register_hooks` (see
``tiffin._signature``), so this module imports no tiffin type. cattrs and PyYAML load on
first use, so importing a value type costs neither.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import cattrs

__all__ = ["converter", "dump_yaml", "load_yaml", "register_hooks"]

_setups: list[Callable[[cattrs.Converter], None]] = []
_built: cattrs.Converter | None = None
_lock = threading.Lock()


def register_hooks(setup: Callable[[cattrs.Converter], None]) -> None:
    """Have ``setup(converter)`` register a value type's hooks before the converter's first use."""
    with _lock:
        _setups.append(setup)
        if _built is not None:
            setup(_built)


def _datetime_hooks(conv: cattrs.Converter) -> None:
    conv.register_unstructure_hook(datetime, lambda dt: dt.isoformat())
    conv.register_structure_hook(
        datetime,
        lambda value, _: value if isinstance(value, datetime) else datetime.fromisoformat(value),
    )


_setups.append(_datetime_hooks)


def _converter() -> cattrs.Converter:
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                import cattrs

                conv = cattrs.Converter(forbid_extra_keys=False, omit_if_default=False)
                for setup in _setups:
                    setup(conv)
                _built = conv
    return _built


def __getattr__(name: str) -> Any:
    if name == "converter":  # ``from tiffin._converter import converter`` builds it
        return _converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    converter: cattrs.Converter


_dumper: Any = None


def _yaml_dumper() -> Any:
    global _dumper
    if _dumper is None:
        import yaml

        class _Dumper(yaml.SafeDumper):
            pass

        def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
            style = "|" if "\n" in data else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        _Dumper.add_representer(str, _str_presenter)
        _dumper = _Dumper
    return _dumper


def dump_yaml(data: Any) -> str:
    """Plain data to YAML, keys in the order given."""
    import yaml

    return yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True)


def load_yaml(text: str | bytes) -> Any:
    """YAML to plain data, with the safe loader only (no object construction)."""
    import yaml

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
