"""Tags: parsing, name validation, and generated versions (unique, sorted by creation time)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tiffin
from tiffin._storage.tag import new_version
from tiffin.exceptions import InvalidArgument, TiffinError


@pytest.mark.parametrize(
    ("text", "name", "version"),
    [
        ("iris", "iris", None),
        ("iris:latest", "iris", None),
        ("iris_clf:v1", "iris_clf", "v1"),
        ("a.b-c_d:01m80", "a.b-c_d", "01m80"),
        ("  iris:v2  ", "iris", "v2"),
        ("9lives", "9lives", None),
    ],
)
def test_parse(text: str, name: str, version: str | None) -> None:
    tag = tiffin.Tag.parse(text)
    assert (tag.name, tag.version) == (name, version)
    assert tag.is_latest == (version is None)
    assert str(tag) == f"{name}:{version or 'latest'}"
    assert tiffin.Tag.parse(tag) is tag


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "non-empty"),
        ("Iris", "try 'iris'"),
        ("iris clf", "not valid"),
        ("-iris", "starting with a letter or digit"),
        ("a" * 64, "at most 63"),
        ("iris:", "empty version"),
        ("iris:v1:v2", "more than one"),
        ("iris:V1", "version"),
        ("iris/evil", "not valid"),
        ("../etc", "not valid"),
    ],
)
def test_bad_tags_are_clear_errors(text: str, fragment: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        tiffin.Tag.parse(text)
    assert isinstance(info.value, TiffinError)
    assert fragment in str(info.value)


def test_names_up_to_63_characters_are_valid() -> None:
    assert tiffin.Tag.parse("a" * 63).name == "a" * 63


def test_non_string_tag_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="must be a string"):
        tiffin.Tag.parse(42)  # type: ignore[arg-type]


def test_tags_order_by_name_then_version() -> None:
    tags = [tiffin.Tag("b", "2"), tiffin.Tag("a", "9"), tiffin.Tag("b", "1")]
    assert sorted(tags) == [tiffin.Tag("a", "9"), tiffin.Tag("b", "1"), tiffin.Tag("b", "2")]


def test_many_versions_generated_quickly_are_unique_and_sorted() -> None:
    versions = [new_version() for _ in range(20_000)]
    assert len(set(versions)) == len(versions)
    assert versions == sorted(versions)
    for v in versions[:100]:
        assert tiffin.Tag("x", v).version == v  # every generated version is a valid version


def test_versions_from_several_processes_are_unique() -> None:
    code = (
        "from tiffin._storage.tag import new_version\nprint('\\n'.join(new_version() for _ in range(2000)))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    everything = [v for out in outputs for v in out]
    assert len(everything) == 8000
    assert len(set(everything)) == 8000
    for out in outputs:
        assert out == sorted(out)


def test_versions_sort_by_creation_time_across_calls() -> None:
    import time

    first = new_version()
    time.sleep(0.002)
    second = new_version()
    assert first < second
    assert len(first) == len(second) == 16
