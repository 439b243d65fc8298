"""The build configuration: ``bentofile.yaml`` or ``[tool.tiffin]`` in ``pyproject.toml``.

Typed with attrs so a typo is caught before anything is built: an unknown key is an error
that names the key and the keys allowed at that place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from tiffin._converter import converter, load_yaml
from tiffin.exceptions import InvalidArgument, NotFound

__all__ = ["BuildConfig", "CondaOptions", "DockerOptions", "PythonOptions", "load_config"]

#: Always left out of a bento, whatever ``include`` says.
ALWAYS_EXCLUDED = (
    ".git/",
    ".hg/",
    ".svn/",
    "__pycache__/",
    "*.pyc",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".tiffinignore",
)


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _str_dict(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"expected a mapping of strings, got {value!r}")
    return {str(k): str(v) for k, v in value.items()}


@attrs.frozen
class PythonOptions:
    """What goes into ``env/python/requirements.txt``.

    ``lock`` on (the default) pins every package the service needs, and everything those
    packages depend on, to the versions installed where the bento is built; off, only the
    direct requirements are listed (first-party ones still pinned).
    """

    packages: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    requirements_txt: str | None = None
    lock: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    #: where pip finds packages, used by ``env/python/install.sh`` (and so by the Dockerfile)
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    find_links: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    #: more ``pip install`` arguments, as one shell-quoted string (``"--pre --timeout 60"``)
    pip_args: str | None = None


@attrs.frozen
class DockerOptions:
    """How the generated Dockerfile builds the image."""

    base_image: str | None = None
    distro: str = attrs.field(default="debian", validator=attrs.validators.in_(("debian",)))
    system_packages: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    setup_script: str | None = None
    env: dict[str, str] = attrs.field(factory=dict, converter=_str_dict)


@attrs.frozen
class CondaOptions:
    """``conda:``: packages from conda channels, installed in the image before pip's.

    ``channels`` and ``dependencies`` as in an ``environment.yml``, or ``environment_yml``, the
    path of one (relative to the build context); they become ``env/conda/environment.yml``.
    """

    channels: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    dependencies: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    environment_yml: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.channels or self.dependencies or self.environment_yml)


def _envs(value: Any) -> tuple[tuple[str, str], ...]:
    """``envs:`` as BentoML writes it: a list of ``{name: ..., value: ...}``."""
    if value is None:
        return ()
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        return value
    if not isinstance(value, list):
        raise InvalidArgument(f"'envs' must be a list of {{name: ..., value: ...}}, got {value!r}")
    out = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) - {"name", "value"}
            or not isinstance(item.get("name"), str)
            or not item["name"]
        ):
            raise InvalidArgument(
                f"'envs' items look like {{name: OMP_NUM_THREADS, value: \"1\"}}, got {item!r}"
            )
        out.append((item["name"], "" if item.get("value") is None else str(item["value"])))
    return tuple(out)


@attrs.frozen
class BuildConfig:
    """Everything ``tiffin build`` needs to know besides the files themselves."""

    service: str | None = None
    name: str | None = None
    description: str | None = None
    labels: dict[str, str] = attrs.field(factory=dict, converter=_str_dict)
    include: tuple[str, ...] = attrs.field(default=("*",), converter=_str_tuple)
    exclude: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    python: PythonOptions = attrs.field(factory=PythonOptions)
    docker: DockerOptions = attrs.field(factory=DockerOptions)
    conda: CondaOptions = attrs.field(factory=CondaOptions)
    models: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    #: environment variables for the service, set in the image and by ``tiffin serve``
    envs: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_envs)

    def to_dict(self) -> dict[str, Any]:
        data = converter.unstructure(self)
        data["envs"] = [{"name": n, "value": v} for n, v in self.envs]
        return data


_NESTED = {"python": PythonOptions, "docker": DockerOptions, "conda": CondaOptions}


_SCALARS: dict[tuple[str, str], type] = {
    ("BuildConfig", "service"): str,
    ("BuildConfig", "name"): str,
    ("BuildConfig", "description"): str,
    ("PythonOptions", "requirements_txt"): str,
    ("PythonOptions", "lock"): bool,
    ("PythonOptions", "index_url"): str,
    ("PythonOptions", "pip_args"): str,
    ("DockerOptions", "base_image"): str,
    ("DockerOptions", "distro"): str,
    ("DockerOptions", "setup_script"): str,
    ("CondaOptions", "environment_yml"): str,
}
_WORDS = {str: "a string", bool: "true or false"}

#: Lists of strings; a single string is taken as a one-item list (``include: "*.py"``).
_LISTS = {
    ("BuildConfig", "include"),
    ("BuildConfig", "exclude"),
    ("BuildConfig", "models"),
    ("PythonOptions", "packages"),
    ("PythonOptions", "extra_index_urls"),
    ("PythonOptions", "find_links"),
    ("DockerOptions", "system_packages"),
    ("CondaOptions", "channels"),
    ("CondaOptions", "dependencies"),
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {("DockerOptions", "distro"): ("debian",)}


def _one_item_lists(data: dict[str, Any], cls: type) -> dict[str, Any]:
    return {
        k: [v] if (cls.__name__, k) in _LISTS and isinstance(v, str) else v for k, v in data.items()
    }


def _check_keys(data: Any, cls: type, where: str) -> None:
    if not isinstance(data, dict):
        raise InvalidArgument(f"{where} must be a mapping of options, got {data!r}")
    allowed = [f.name for f in attrs.fields(cls)]
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InvalidArgument(
            f"{where} has unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)}; allowed: {', '.join(allowed)}"
        )
    for field in attrs.fields(cls):
        value = data.get(field.name)
        if value is None:
            continue
        expected = _SCALARS.get((cls.__name__, field.name))
        if expected is not None and not isinstance(value, expected):
            raise InvalidArgument(
                f"{where} '{field.name}' must be {_WORDS[expected]}, got {value!r}"
            )
        if (cls.__name__, field.name) in _LISTS and not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            raise InvalidArgument(
                f"{where} '{field.name}' must be a list of strings, got {value!r}"
            )
        choices = _CHOICES.get((cls.__name__, field.name))
        if choices is not None and value not in choices:
            raise InvalidArgument(
                f"{where} '{field.name}' must be one of {', '.join(choices)}, got {value!r}"
            )
    if cls is BuildConfig:
        for key, nested in _NESTED.items():
            if data.get(key) is not None:
                _check_keys(data[key], nested, f"{where} '{key}'")


def config_from_dict(data: Any, source: str = "build config") -> BuildConfig:
    """Check and structure a plain mapping; errors name ``source`` and the offending key."""
    if data is None:
        data = {}
    _check_keys(data, BuildConfig, source)
    data = _one_item_lists({k: v for k, v in data.items() if v is not None}, BuildConfig)
    for key, nested in _NESTED.items():
        if key in data:
            data[key] = _one_item_lists(
                {k: v for k, v in data[key].items() if v is not None}, nested
            )
    try:
        envs = _envs(data.pop("envs", None))
        return attrs.evolve(converter.structure(data, BuildConfig), envs=envs)
    except InvalidArgument as exc:
        raise InvalidArgument(f"{source}: {exc}") from None
    except Exception as exc:  # cattrs wraps field errors in an exception group
        import cattrs

        details = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise InvalidArgument(f"{source} is invalid: {details}") from None


def load_config(build_ctx: Path, bentofile: str | Path | None = "bentofile.yaml") -> BuildConfig:
    """The build config for ``build_ctx``: its bentofile, else ``[tool.tiffin]``, else defaults.

    A bentofile named explicitly (not the default name) must exist.
    """
    default_name = bentofile in (None, "bentofile.yaml")
    path = Path(bentofile or "bentofile.yaml")
    if not path.is_absolute():
        path = build_ctx / path
    if path.is_file():
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except InvalidArgument as exc:
            raise InvalidArgument(f"{path}: {exc}") from None
        except UnicodeDecodeError:
            raise InvalidArgument(f"{path}: not a text file (it is not UTF-8)") from None
        return config_from_dict(data, str(path.name))
    if path.exists():
        raise InvalidArgument(
            f"bentofile {str(path)!r} is a directory or a special file; give the YAML file's path"
        )
    if not default_name:
        raise NotFound(
            f"bentofile {str(path)!r} does not exist; check the path given with -f/bentofile"
        )
    pyproject = build_ctx / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidArgument(f"{pyproject} is not valid TOML: {exc}") from None
        section = data.get("tool", {}).get("tiffin")
        if section is not None:
            return config_from_dict(section, "[tool.tiffin] in pyproject.toml")
    return BuildConfig()
