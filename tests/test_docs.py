"""Every code block in docs/ runs, so the docs cannot drift from the code.

How each block is checked, by its fence's language:

- ``python``: the blocks of one page run in order, in one namespace (a page is a tutorial), in a
  fresh folder with an empty ``$TIFFIN_HOME``. A block written as a file the page then uses
  (``service.py``) is also written to that folder when a ``<!-- file: NAME -->`` comment
  precedes it... unless the comment names a path in the repository, whose file it must equal.
- ``yaml`` / ``toml`` / ``json``: parsed; a ``bentofile.yaml`` example (it has ``service:``) or a
  ``[tool.tiffin]`` table must also be a valid build config.
- ``bash`` / ``console`` / ``sh``: every ``tiffin ...`` command line is checked against the CLI
  itself: the command exists and each ``--option`` it uses is one the command takes (its
  ``--help``). Other lines (``pip``, ``curl``, ``docker``) are not run, but every ``pip install``
  (in a shell block or in prose, README included) must install from a checkout: a first-party
  package is named by its folder (``./plugins/registry``), and an extra
  (``'./core[batch]'``) must exist in that folder's ``pyproject.toml``.

A block can opt out with ``<!-- docs-test: skip (why) -->`` on the line before it; the reason is
required and shown in the test report. Keep those few: a block that needs a live registry, S3
or a Ray cluster, or a test module of a plugin package.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tiffin.testing.fixtures import run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").rglob("*.md"))
BLOCK = re.compile(
    r"(?:<!-- (?P<marker>[^>]*?) -->\n)?^```(?P<lang>[\w-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$",
    re.S | re.M,
)
SKIP = re.compile(r"docs-test: skip \((?P<why>[^)]+)\)")


def blocks(page: Path) -> list[tuple[str, str, str | None, int]]:
    """``(lang, code, marker, line)`` of every fenced block on ``page``."""
    text = page.read_text()
    found = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start("code"))
        found.append((m["lang"].lower(), m["code"], m["marker"], line))
    return found


def _id(page: Path) -> str:
    return page.relative_to(ROOT / "docs").as_posix()


def test_every_skip_marker_gives_a_reason() -> None:
    for page in DOCS:
        for _, _, marker, line in blocks(page):
            if marker and "docs-test" in marker:
                assert SKIP.search(marker), (
                    f"{_id(page)}:{line}: write the marker as <!-- docs-test: skip (why) -->"
                )


def _skipped(marker: str | None) -> str | None:
    match = SKIP.search(marker or "")
    return match["why"] if match else None


# -- data blocks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_data_blocks_parse(page: Path) -> None:
    from tiffin._bento._config import config_from_dict
    from tiffin._converter import load_yaml

    for lang, code, marker, line in blocks(page):
        if _skipped(marker) or lang not in ("yaml", "yml", "toml", "json"):
            continue
        where = f"{_id(page)}:{line}"
        if lang in ("yaml", "yml"):
            data = load_yaml(code)
            if isinstance(data, dict) and "service" in data:
                config_from_dict(data, where)
        elif lang == "toml":
            import tomllib

            data = tomllib.loads(code)
            section = data.get("tool", {}).get("tiffin")
            if section is not None:
                config_from_dict(section, where)
        else:
            json.loads(code)


# -- shell blocks: the tiffin commands and options exist ------------------------------------------


def _tiffin_lines(code: str) -> list[list[str]]:
    out = []
    for raw in code.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip().removeprefix("$ ")
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part.strip())
            except ValueError:
                continue
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]  # VAR=value tiffin ...
            if words[:1] == ["tiffin"]:
                out.append(words[1:])
    return out


_HELP: dict[tuple[str, ...], str] = {}


def _help(command: tuple[str, ...]) -> str | None:
    if command not in _HELP:
        done = run_cli(*command, "--help", env={"COLUMNS": "200"})
        _HELP[command] = done.stdout if done.returncode == 0 else None
    return _HELP[command]


@pytest.mark.slow
@pytest.mark.parametrize("page", DOCS, ids=_id)
def test_shell_blocks_use_commands_and_options_that_exist(page: Path) -> None:
    for lang, code, marker, line in blocks(page):
        if _skipped(marker) or lang not in ("bash", "sh", "console", "shell"):
            continue
        for words in _tiffin_lines(code):
            words = [w for w in words if w not in ("-q", "--quiet", "-v", "--verbose")]
            command: tuple[str, ...] = ()
            for word in words:  # the longest prefix of words that is a command or group
                if word.startswith("-") or _help((*command, word)) is None:
                    break
                command = (*command, word)
            assert command or not words or words[0] in ("--help", "--version"), (
                f"{_id(page)}:{line}: `tiffin {' '.join(words)}`: no such command"
            )
            text = _help(command) or ""
            for word in words[len(command) :]:
                if word.startswith("--"):
                    option = word.split("=", 1)[0]
                    assert option in text, (
                        f"{_id(page)}:{line}: `tiffin {' '.join(command)}` has no {option}"
                    )


# -- python blocks: a page runs as a tutorial -----------------------------------------------------


#: Pages whose Python does not run as written yet, and why (each must still fail: xfail is
#: strict, so fixing a page fails this list until its entry goes). Fix the page, not the list.
NOT_YET_RUNNABLE: dict[str, str] = {}


def _python_pages() -> list:
    pages = [p for p in DOCS if any(lang == "python" for lang, *_ in blocks(p))]
    return [
        pytest.param(
            p,
            id=_id(p),
            marks=[pytest.mark.xfail(reason=NOT_YET_RUNNABLE[_id(p)], strict=True)]
            if _id(p) in NOT_YET_RUNNABLE
            else [],
        )
        for p in pages
    ]


@pytest.mark.slow
@pytest.mark.parametrize("page", _python_pages())
def test_python_blocks_run(page: Path, tmp_path: Path) -> None:
    runner = tmp_path / "run_page.py"
    chunks = []
    for lang, code, marker, line in blocks(page):
        if lang != "python" or _skipped(marker):
            continue
        target = (marker or "").removeprefix("file:").strip() if (marker or "").startswith("file:") else None
        if target and (ROOT / target).exists():
            continue  # a repository file: tests/test_plugin_walkthrough.py compares them
        chunks.append({"code": code, "line": line, "file": target})
    runner.write_text(
        "import json, sys, traceback\n"
        "chunks = json.loads(sys.stdin.read())\n"
        "ns = {'__name__': '__docs__'}\n"
        "for chunk in chunks:\n"
        "    if chunk['file']:\n"
        "        open(chunk['file'], 'w').write(chunk['code'])\n"
        "    try:\n"
        "        exec(compile(chunk['code'], f\"{sys.argv[1]}:{chunk['line']}\", 'exec'), ns)\n"
        "    except BaseException:\n"
        "        traceback.print_exc()\n"
        "        sys.exit(f\"block at {sys.argv[1]}:{chunk['line']} failed\")\n"
    )
    done = subprocess.run(
        [sys.executable, str(runner), _id(page)],
        input=json.dumps(chunks),
        cwd=tmp_path,
        env={**os.environ, "TIFFIN_PROGRESS": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


# -- install lines: every `pip install` works from a checkout -------------------------------------

#: Options of ``pip install`` whose next word is their value, not a requirement.
_PIP_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-c", "-r"}
_INLINE = re.compile(r"`(pip install [^`]+)`")
_REQUIREMENT = re.compile(r"^(?P<name>[^\[<>=!~;]+)(?:\[(?P<extras>[^\]]*)\])?")


def _pip_lines(page: Path) -> list[tuple[int, str]]:
    """``(line, command)`` of each ``pip install`` in the page's shell blocks and in its prose."""
    text = page.read_text()
    found = []
    for lang, code, _, line in blocks(page):
        if lang not in ("bash", "sh", "console", "shell"):
            continue
        for offset, raw in enumerate(code.replace("\\\n", " ").splitlines()):
            command = raw.split(" #", 1)[0].strip().removeprefix("$ ")
            for part in re.split(r"&&|\|\||;", command):
                words = part.split()
                while words and "pip" not in words[0]:
                    words = words[1:]  # .venv/bin/pip, python3 -m pip
                if "install" in words[:4]:
                    found.append((line + offset + 1, part.strip()))
    prose = BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for m in _INLINE.finditer(prose):
        found.append((prose.count("\n", 0, m.start()) + 1, m[1]))
    return found


def _extras(folder: Path) -> set[str]:
    import tomllib

    data = tomllib.loads((folder / "pyproject.toml").read_text())
    return set(data.get("project", {}).get("optional-dependencies", {}))


def _install_problem(word: str) -> str | None:
    """Why ``word`` (one requirement of a ``pip install`` line) does not install from a
    checkout, or ``None``."""
    word = word.strip("'\"")
    if word.startswith(("~", "$")) or "<" in word:
        return None  # a folder of the reader's own (a stored bento, $HOME/...)
    m = _REQUIREMENT.match(word)
    if m is None:
        return None
    name, extras = m["name"], {e.strip() for e in (m["extras"] or "").split(",") if e.strip()}
    if name.endswith(".whl") or name in (".", "./"):
        return None  # a built wheel, or the reader's own project
    if "/" in name or name.startswith("."):
        folder = ROOT / name.removeprefix("/path/to/tiffin/")
        if not (folder / "pyproject.toml").is_file():
            return f"{name} is no package folder of this repository"
        missing = extras - _extras(folder)
        if missing:
            return f"{name} has no extra {', '.join(sorted(missing))}"
        return None
    if name == "tiffin" or name.startswith("tiffin-"):
        return (
            f"{name} is not on any index yet: install from the checkout "
            f"(./core, ./plugins/<folder>) as the README does"
        )
    return None  # a third-party package


@pytest.mark.parametrize("page", [*DOCS, ROOT / "README.md"], ids=lambda p: p.name)
def test_every_pip_install_names_a_path_or_an_extra_that_exists(page: Path) -> None:
    problems = []
    for line, command in _pip_lines(page):
        words = command.split()
        words = words[words.index("install") + 1 :]
        skip_next = False
        for word in words:
            if skip_next:
                skip_next = False
                continue
            if word.startswith("-"):
                skip_next = word in _PIP_VALUE_OPTIONS
                continue
            problem = _install_problem(word)
            if problem:
                problems.append(f"{page.name}:{line}: `{command}`: {problem}")
    assert not problems, "\n".join(problems)


def test_the_install_check_catches_what_a_newcomer_met() -> None:
    assert _install_problem("tiffin-registry") is not None
    assert _install_problem("'tiffin-registry[postgres]'") is not None
    assert _install_problem("'./core[nope]'") == "./core has no extra nope"
    assert _install_problem("./plugins/nothing") is not None
    assert _install_problem("'./plugins/registry[postgres]'") is None
    assert _install_problem("'./core[batch]'") is None
    assert _install_problem("pillow") is None
