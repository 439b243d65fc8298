"""Importing the service that a target names in a Python file or module.

``service.py:svc``, ``service:svc``, ``pkg.service:svc`` and ``service.py`` (when the module
holds exactly one :class:`Service`) name a service in a file or an importable module. Which
kind of thing a TARGET is (a service, a bento folder, a bento tag) is decided above this
module and the bento loader, in :mod:`tiffin._target`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from tiffin._service._service import Service
from tiffin.exceptions import InvalidArgument, NotFound, TiffinError

__all__ = ["load_module_service", "resolve_module"]


def _user_error(where: str, exc: BaseException) -> InvalidArgument:
    """One readable line for an exception raised while importing the user's module."""
    if isinstance(exc, SyntaxError):
        return InvalidArgument(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "importlib" not in f.filename]
    place = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return InvalidArgument(f"importing {where} failed: {type(exc).__name__}: {exc}{place}")


def _import_file(path: Path) -> ModuleType:
    name = path.stem
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    existing = sys.modules.get(name)
    if (
        existing is not None
        and getattr(existing, "__file__", None)
        and Path(existing.__file__).resolve() == path
    ):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidArgument(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except TiffinError:
        sys.modules.pop(name, None)
        raise
    except Exception as exc:
        sys.modules.pop(name, None)
        raise _user_error(str(path), exc) from None
    return module


def resolve_module(module_part: str, working_dir: Path) -> ModuleType | None:
    """Import the module ``module_part`` names (a file or a module), or ``None`` if it names neither."""
    candidate = Path(module_part)
    if not candidate.is_absolute():
        candidate = working_dir / candidate
    if candidate.is_file():
        return _import_file(candidate.resolve())
    if module_part.endswith(".py"):
        raise NotFound(f"no such file: {candidate}")
    if not all(part.isidentifier() for part in module_part.split(".")):
        return None
    if str(working_dir) not in sys.path:
        sys.path.insert(0, str(working_dir))
    try:
        if importlib.util.find_spec(module_part) is None:
            return None
    except ModuleNotFoundError:
        return None
    except Exception as exc:
        raise _user_error(module_part, exc) from None
    try:
        return importlib.import_module(module_part)
    except TiffinError:
        raise
    except Exception as exc:
        raise _user_error(module_part, exc) from None


def _find_service(module: ModuleType, attr: str | None, shown: str) -> Service:
    if attr is not None:
        obj: object = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                found = _services_in(module)
                hint = (
                    f"; it defines {', '.join(found)}"
                    if found
                    else "; it defines no tiffin.Service"
                )
                raise InvalidArgument(f"{shown} has no attribute {attr!r}{hint}")
            obj = getattr(obj, part)
        if not isinstance(obj, Service):
            if isinstance(obj, type):
                raise InvalidArgument(
                    f"{shown}:{attr} is a plain class, not a service; decorate it with "
                    f"@tiffin.service"
                )
            raise InvalidArgument(f"{shown}:{attr} is a {type(obj).__name__}, not a tiffin.Service")
        return obj
    found = _services_in(module)
    if len(found) == 1:
        return getattr(module, found[0])
    if not found:
        raise InvalidArgument(
            f"{shown} defines no tiffin.Service; create one with tiffin.Service(name), or "
            f"decorate a class with @tiffin.service"
        )
    raise InvalidArgument(
        f"{shown} defines {len(found)} services ({', '.join(found)}); "
        f"name one, e.g. '{shown}:{found[0]}'"
    )


def _services_in(module: ModuleType) -> list[str]:
    return [name for name, value in vars(module).items() if isinstance(value, Service)]


def load_module_service(target: str, base: Path) -> Service | None:
    """The :class:`Service` ``target`` names in a Python file or an importable module, or
    ``None`` when its module part names neither (then it may be a bento: :mod:`tiffin._target`).

    ``base`` is the folder relative paths and module names start from; the module's directory
    goes on ``sys.path``.
    """
    module_part, sep, attr = target.partition(":")
    if sep and not attr:
        raise InvalidArgument(
            f"target {target!r} names no attribute after ':'; write 'service.py:svc'"
        )
    if not module_part:
        raise NotFound(
            f"{target!r} is neither a Python file nor an importable module (looked in {base}); "
            "write 'service.py:svc' or 'module:svc', or pass --working-dir"
        )
    module = resolve_module(module_part, base)
    if module is None:
        return None
    return _find_service(module, attr or None, module_part)
