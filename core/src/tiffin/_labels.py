"""Labels edited after a save or a push: ``tiffin models label TAG key=value ... [--remove key]``.

Locally the model's ``model.yaml`` is rewritten (atomically: a new file renamed over the old);
with ``--remote`` the registry changes its labels, which it keeps beside the manifest (the
manifest and its digest never change there), with a write token, in its audit log.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

from tiffin._converter import dump_yaml
from tiffin.exceptions import InvalidArgument

__all__ = ["label_local_model", "label_remote", "parse_changes"]


def parse_changes(
    pairs: list[str] | None, remove: list[str] | None
) -> tuple[dict[str, str], list[str]]:
    """``["stage=prod"]``, ``["owner"]`` -> ``({"stage": "prod"}, ["owner"])``; one line per
    mistake."""
    to_set: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidArgument(f"labels look like KEY=VALUE, got {pair!r}")
        to_set[key.strip()] = value
    to_remove = [k.strip() for k in remove or []]
    if any(not k or "=" in k for k in to_remove):
        raise InvalidArgument("--remove takes a label's KEY alone (no '=')")
    both = sorted(set(to_set) & set(to_remove))
    if both:
        raise InvalidArgument(f"label {both[0]!r} is both set and removed")
    if not to_set and not to_remove:
        raise InvalidArgument("nothing to change: give KEY=VALUE labels to set, or --remove KEY")
    return to_set, to_remove


def label_local_model(tag: str, to_set: dict[str, str], to_remove: list[str]) -> Any:
    """Change a stored model's labels; return the model as it is now."""
    from tiffin import models
    from tiffin._model import MANIFEST_NAME

    model = models.get(tag)
    labels = {k: v for k, v in model.info.labels.items() if k not in to_remove}
    labels.update(to_set)
    info = attrs.evolve(model.info, labels=dict(sorted(labels.items())))
    manifest = model.path / MANIFEST_NAME
    temporary = model.path / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    try:
        temporary.write_text(dump_yaml(info.to_dict()), encoding="utf-8")
        os.replace(temporary, manifest)
    except PermissionError:
        raise InvalidArgument(
            f"cannot change the labels of {model.tag}: {model.path} is read-only (a model a "
            f"bento carries); label the model in the store it came from"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return models.get(str(model.tag))


def label_remote(
    kind: str, tag: str, to_set: dict[str, str], to_remove: list[str]
) -> dict[str, Any]:
    """Change the labels of a version in the configured remote: ``{"tag", "labels"}``.

    ``kind`` is ``"model"`` or ``"bento"`` (``"models"``/``"bentos"`` are accepted too)."""
    import contextlib

    from tiffin.hookspecs import SupportsSetLabels
    from tiffin.store import open_remote

    with contextlib.closing(open_remote()) as remote:
        if not isinstance(remote, SupportsSetLabels):
            raise InvalidArgument(f"the remote at {remote.url} cannot change labels after a push")
        version = remote.set_labels(kind.removesuffix("s"), tag, to_set, to_remove)
    return {"tag": version.tag, "labels": dict(version.labels)}
