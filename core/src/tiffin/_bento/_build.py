"""``tiffin.build``: a project folder and its service become a bento in the store.

Everything is written into a staging folder of the bento store and committed with its manifest
last, so a failure at any step (a missing service, a syntax error, an unknown model, an include
matching nothing) leaves nothing behind. Every generated file is deterministic (sorted, no
times, no versions), so two builds of the same inputs differ only in ``bento.yaml``.
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tiffin._bento import _conda, _docker, _install, _package, _requirements
from tiffin._bento._carried import bento_store
from tiffin._bento._config import BuildConfig, config_from_dict, load_config
from tiffin._bento._files import select_files
from tiffin._bento._info import (
    DOCKERFILE,
    MODELS_DIR,
    OPENAPI,
    REQUIREMENTS,
    SRC_DIR,
    Bento,
    BentoInfo,
    BentoModel,
)
from tiffin._version import __version__
from tiffin.exceptions import InvalidArgument, NotFound
from tiffin.store.tag import new_version, validate_name

__all__ = ["build"]


def _merge(config: BuildConfig, overrides: dict[str, Any], source: str) -> BuildConfig:
    if not overrides:
        return config
    data = config.to_dict()
    for key, value in overrides.items():
        if (
            key in ("python", "docker", "conda")
            and isinstance(value, dict)
            and isinstance(data.get(key), dict)
        ):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    # check the overrides' keys on their own, so the error names what the caller passed
    config_from_dict({k: v for k, v in overrides.items() if v is not None}, source)
    return config_from_dict(data, source)


def _runner_models(svc: Any) -> list[Any]:
    found = []
    for runner in svc.runners:
        found.extend(getattr(runner, "models", None) or [])
    return found


def _plugins_of_service(svc: Any) -> set[str]:
    """The tiffin plugins the service's code uses: IO descriptors, runnables, data containers."""
    from tiffin import _plugins

    objects: list[Any] = []
    for api in svc.apis.values():
        objects += [api.input, api.output]
    for runner in svc.runners:
        objects.append(getattr(runner, "runnable_class", type(runner)))
    return _plugins.plugins_used_by(objects)


def _setup_script(value: str | None, ctx: Path) -> str | None:
    """``docker.setup_script``: the script's text, given inline (several lines) or as a path."""
    if not value:
        return None
    if "\n" in value.strip():
        return value if value.startswith("#!") else "#!/bin/sh\nset -e\n" + value
    script = Path(value)
    script = script if script.is_absolute() else ctx / script
    if not script.is_file():
        raise NotFound(
            f"docker.setup_script {str(script)!r} does not exist; fix the path in the build config "
            "(or write the script itself there, on several lines)"
        )
    return script.read_text(encoding="utf-8")


def _runtime_requirements(model_list: list[Any]) -> list[str]:
    """What the models' adapters say the saved models need at load time."""
    from tiffin import _plugins

    found: list[str] = []
    for model in model_list:
        adapter = _plugins.frameworks().get(model.info.framework)
        declare = getattr(adapter, "runtime_requirements", None)
        if declare is not None:
            found.extend(declare(model))
    return found


def _collect_models(svc: Any, extra: Iterable[str]) -> list[Any]:
    """The service's runners' models, then the config's extra ones; one per tag, sorted."""
    from tiffin import models

    chosen: dict[str, Any] = {}
    for model in _runner_models(svc):
        chosen[str(model.tag)] = model
    for tag in extra:
        try:
            model = models.get(tag)
        except NotFound as exc:
            raise NotFound(
                f"build config 'models' names {tag!r}, which is not stored: {exc}"
            ) from None
        chosen[str(model.tag)] = model
    return [chosen[k] for k in sorted(chosen)]


def _apis_with_schemas(spec: dict[str, Any], openapi: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Each API's spec plus its OpenAPI request body and success response (the schemas)."""
    out = []
    for api in spec.get("apis", ()):
        operation = openapi.get("paths", {}).get(api.get("route", ""), {}).get("post", {})
        out.append(
            {
                **api,
                "input_schema": operation.get("requestBody"),
                "output_schema": operation.get("responses", {}).get("200"),
            }
        )
    return tuple(out)


def _write(path: Path, text: str, *, executable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    if executable:
        path.chmod(0o755)


def _service_target(target: str, build_ctx: Path) -> str:
    """The target as it will be found inside ``src/``: a path relative to the build context."""
    module_part, sep, attr = target.partition(":")
    candidate = Path(module_part)
    if module_part.endswith(".py") or candidate.is_absolute():
        full = candidate if candidate.is_absolute() else build_ctx / candidate
        try:
            module_part = full.resolve().relative_to(build_ctx).as_posix()
        except ValueError:
            raise InvalidArgument(
                f"service {target!r} is outside the build context {str(build_ctx)!r}; "
                "build from the folder that holds the service"
            ) from None
    return module_part + (sep + attr if sep else "")


def _check_service_included(target: str, ctx: Path, files: list[str]) -> None:
    """The service's own file must be in ``src/`` when it lives in the build context."""
    module_part = target.partition(":")[0]
    if module_part.endswith(".py"):
        candidates = [module_part]
    else:
        dotted = module_part.replace(".", "/")
        candidates = [c for c in (dotted + ".py", dotted + "/__init__.py") if (ctx / c).is_file()]
    for candidate in candidates:
        if candidate not in files:
            raise InvalidArgument(
                f"the service file {candidate!r} is left out of the bento by include/exclude or "
                ".tiffinignore; include it"
            )


def build(
    service: str | None = None,
    *,
    build_ctx: str | Path = ".",
    bentofile: str | Path | None = "bentofile.yaml",
    version: str | None = None,
    **overrides: Any,
) -> Bento:
    """Build a bento from ``build_ctx`` and store it; return it.

    :param service: the service target (``"service.py:svc"``); else the config's ``service``.
    :param build_ctx: the project folder whose files go into ``src/``.
    :param bentofile: the build config, relative to ``build_ctx``; when the default name is
        absent, ``[tool.tiffin]`` of ``pyproject.toml`` is used, else defaults.
    :param version: the bento's version (default: a fresh, time-ordered one).
    :param overrides: any build-config key (``labels=``, ``include=``, ``python={...}``),
        taking precedence over the file.
    """
    from tiffin._target import resolve_target

    ctx = Path(build_ctx).expanduser().resolve()
    if not ctx.is_dir():
        raise NotFound(f"build context {str(ctx)!r} is not a directory")
    config = _merge(load_config(ctx, bentofile), overrides, "tiffin.build() arguments")
    target = service or config.service
    if not target:
        raise InvalidArgument(
            "no service to build: pass one (tiffin build --service service.py:svc, "
            "tiffin.build('service.py:svc')) or set 'service' in bentofile.yaml"
        )
    svc = resolve_target(target, working_dir=ctx)
    target = _service_target(target, ctx)
    name = validate_name(config.name or svc.name, what="bento name")
    version = version or new_version()
    files = select_files(ctx, config.include, config.exclude)
    _check_service_included(target, ctx, files)
    model_list = _collect_models(svc, config.models)
    frameworks = sorted({m.info.framework for m in model_list} - {"custom"})
    plugins = sorted(set(frameworks) | _plugins_of_service(svc))
    requirements = _requirements.requirements_for(
        plugins, config.python, ctx, runtime=_runtime_requirements(model_list)
    )
    setup_script = _setup_script(config.docker.setup_script, ctx)
    python_version = platform.python_version()
    conda_env = _conda.environment(config.conda, ctx, python_version)
    spec = svc.to_spec()

    from tiffin._server._openapi import openapi_document

    openapi = openapi_document(svc)
    store = bento_store()
    with store.staging(name) as stage:
        for rel in files:
            dest = stage / SRC_DIR / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ctx / rel, dest)
            shutil.copymode(ctx / rel, dest)
        for model in model_list:
            shutil.copytree(model.path, stage / MODELS_DIR / model.tag.name / model.tag.version)
        requirements_txt = _requirements.render_requirements(requirements, lock=config.python.lock)
        _write(stage / REQUIREMENTS, requirements_txt)
        carried = ["bento.yaml", "src", "apis", "env"] + (["models"] if model_list else [])
        for rel, text in _package.files(  # `pip install ./<bento>` installs it as a package
            name,
            description=config.description,
            requirements=_package.requirement_lines(requirements_txt),
            python_version=python_version,
            folders=carried,
        ).items():
            _write(stage / rel, text)
        _write(
            stage / _install.INSTALL_SCRIPT,
            _install.render_install_script(config.python),
            executable=True,
        )
        _write(
            stage / DOCKERFILE,
            _docker.render_dockerfile(
                config.docker, python_version, envs=config.envs, conda=conda_env is not None
            ),
        )
        if conda_env is not None:
            _write(stage / _conda.ENVIRONMENT_YML, conda_env)
        _write(stage / _docker.ENTRYPOINT, _docker.render_entrypoint(), executable=True)
        if setup_script is not None:
            _write(stage / "env/docker/setup_script", setup_script, executable=True)
        _write(stage / OPENAPI, json.dumps(openapi, indent=2, sort_keys=True) + "\n")
        info = BentoInfo(
            name=name,
            version=version,
            service=target,
            created_at=datetime.now(UTC),
            python_version=python_version,
            tiffin_version=__version__,
            description=config.description,
            labels=dict(sorted(config.labels.items())),
            apis=_apis_with_schemas(spec, openapi),
            runners=tuple(spec.get("runners", ())),
            models=tuple(BentoModel(str(m.tag), m.info.framework) for m in model_list),
            envs=tuple({"name": n, "value": v} for n, v in config.envs),
            python={
                "lock": config.python.lock,
                "requirements": requirements,
                "pip_args": _install.pip_options(config.python),
            },
            docker={
                "base_image": config.docker.base_image
                or _docker.default_base_image(python_version),
                "distro": config.docker.distro,
                "system_packages": sorted(config.docker.system_packages),
                "env": dict(sorted(config.docker.env.items())),
                "setup_script": config.docker.setup_script is not None,
            },
        )
        return store.commit(stage, info)
