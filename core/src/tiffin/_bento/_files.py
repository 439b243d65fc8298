"""Which files of a project go into a bento's ``src/``.

``include`` and ``exclude`` are gitignore-style patterns (``pathspec``), relative to the build
context; ``.tiffinignore`` adds exclusions in the same syntax. Version-control folders,
virtual environments (any folder holding ``pyvenv.cfg``) and caches are always left out, so a
secret ``.env`` or a 2 GB venv only ends up in a bento when nobody excluded it on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

from tiffin._bento._config import ALWAYS_EXCLUDED
from tiffin.exceptions import InvalidArgument, NotFound

__all__ = ["IGNORE_FILE", "select_files"]

IGNORE_FILE = ".tiffinignore"


def _spec(lines: list[str]):  # -> pathspec.GitIgnoreSpec
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignore_lines(build_ctx: Path) -> list[str]:
    file = build_ctx / IGNORE_FILE
    if not file.is_file():
        return []
    return file.read_text(encoding="utf-8").splitlines()


def _walk(build_ctx: Path, excluded) -> list[str]:
    """Every file under ``build_ctx`` not excluded, as sorted POSIX relative paths."""
    found: list[str] = []
    for root, dirs, files in os.walk(build_ctx, followlinks=False):
        rel_root = Path(root).relative_to(build_ctx).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        kept = []
        for d in sorted(dirs):
            full = Path(root, d)
            if full.is_symlink() or (full / "pyvenv.cfg").exists():
                continue
            if excluded.match_file(prefix + d + "/"):
                continue
            kept.append(d)
        dirs[:] = kept
        for f in sorted(files):
            rel = prefix + f
            full = Path(root, f)
            if not full.is_file() or excluded.match_file(rel):
                continue
            found.append(rel)
    return sorted(found)


def select_files(build_ctx: Path, include: tuple[str, ...], exclude: tuple[str, ...]) -> list[str]:
    """The relative paths to copy into ``src/``, sorted.

    An include pattern that matches no file at all is an error (a typo); one whose matches
    were all removed by ``exclude`` or ``.tiffinignore`` is not.
    """
    if not build_ctx.is_dir():
        raise NotFound(f"build context {str(build_ctx)!r} is not a directory")
    excluded = _spec([*ALWAYS_EXCLUDED, *exclude, *_ignore_lines(build_ctx)])
    candidates = _walk(build_ctx, excluded)
    patterns = include or ("*",)
    selected = _spec(list(patterns))
    chosen = [rel for rel in candidates if selected.match_file(rel)]
    unfiltered: list[str] | None = None  # walked only when a pattern matched nothing
    for pattern in patterns:
        if pattern.startswith("!") or pattern.strip() in ("*", "**", "") or pattern.startswith("#"):
            continue
        if any(_spec([pattern]).match_file(rel) for rel in candidates):
            continue
        if unfiltered is None:  # the project's files before exclude and .tiffinignore
            unfiltered = _walk(build_ctx, _spec(list(ALWAYS_EXCLUDED)))
        if any(_spec([pattern]).match_file(rel) for rel in unfiltered):
            continue  # it matched files that exclude then removed: what the user asked for
        raise InvalidArgument(
            f"include pattern {pattern!r} matches no file in {str(build_ctx)!r} "
            f"(outside the always-excluded folders); fix or remove it"
        )
    return chosen
