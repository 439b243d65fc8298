"""Small modules, one concept each: no module of core over 500 lines (the test kit aside)."""

from __future__ import annotations

from pathlib import Path

import tiffin

LIMIT = 500
#: The plugin author's kit: conformance suites read best as one class per kind of plugin.
EXEMPT = ("testing",)


def test_no_core_module_is_over_500_lines() -> None:
    root = Path(tiffin.__file__).parent
    sizes = {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] not in EXEMPT
    }
    assert len(sizes) > 50, f"found only {len(sizes)} modules under {root}"
    too_big = {
        name: lines
        for name, lines in sorted(sizes.items())
        if lines > LIMIT
    }
    assert not too_big, (
        f"core modules over {LIMIT} lines: {too_big}; split each into modules of one concept "
        "(keep the old import path working by re-exporting)"
    )
