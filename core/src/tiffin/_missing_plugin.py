"""Why a named transfer strategy or batch engine is not there, and the fix that applies.

``pip install`` is advised only for the project's own packages, never for a guessed name
(``--strategy s3magic`` must not send anyone to a ``tiffin-s3magic`` nobody owns): an unknown
name gets the installed ones and the closest match; a plugin installed but disabled or broken
is reported as such.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from tiffin import _plugins

__all__ = ["KNOWN", "missing_message"]

#: The project's own packages that provide each kind of object, by the object's name.
KNOWN: dict[str, dict[str, str]] = {
    "transfer strategy": {"presigned": "tiffin-presigned", "multipart": "tiffin-multipart"},
    "batch engine": {"ray": "tiffin-ray"},
}


def missing_message(kind: str, name: str, installed: Iterable[str], option: str) -> str:
    """One line: no ``kind`` called ``name`` here; ``option`` is the flag that named it."""
    names = sorted(installed)
    listed = ", ".join(names) or "none"
    for record in _plugins.plugin_records():
        if record.name != name or record.builtin:
            continue
        where = f"{record.distribution} {record.version}"
        if record.status == "disabled":
            return (
                f"the {kind} {name!r} ({where}) is installed but disabled by "
                f"{record.disabled_by}; remove {name!r} from that variable to use {option} {name}"
            )
        if record.error:
            return f"the {kind} {name!r} ({where}) is installed but failed: {record.error}"
    dist = KNOWN.get(kind, {}).get(name)
    if dist is not None:
        return f"no {kind} named {name!r} is installed (installed: {listed}); install it with: pip install {dist}"
    close = difflib.get_close_matches(name, [*names, *KNOWN.get(kind, {})], n=1, cutoff=0.5)
    guess = f"; did you mean {close[0]!r}?" if close else ""
    return f"no {kind} named {name!r} is installed (installed: {listed}){guess}"
