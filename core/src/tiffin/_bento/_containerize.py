"""``tiffin containerize``: a complete Docker build context for a bento, built when possible.

The context is the bento folder itself (code, models, ``env/``) plus
``env/python/wheels/``: wheels of every required package that is installed here from a local
source folder (tiffin and its plugins while they are not on a package index, or a user's own
packages), made with ``pip wheel --no-deps``, so the image installs exactly the code that was
tested here. A Docker-compatible builder (``docker``, ``podman``, ``nerdctl``) is used when one
is installed and its engine answers; otherwise the context is left for the user to build.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

import attrs

from tiffin._bento._api import get
from tiffin._bento._info import DOCKERFILE, Bento
from tiffin._bento._kubernetes import kubernetes_manifests
from tiffin._converter import dump_yaml
from tiffin.exceptions import InvalidArgument, TiffinError
from tiffin.store.tag import Tag

__all__ = ["BUILDERS", "ContainerizeResult", "containerize", "find_builder"]

BUILDERS = ("docker", "podman", "nerdctl")
WHEELS_DIR = "env/python/wheels"
KUBERNETES_DIR = "kubernetes"


@attrs.frozen
class ContainerizeResult:
    """Where the context was written, the image name, and whether an image was built."""

    context: Path
    image: str
    built: bool
    builder: str | None
    reason: str
    wheels: tuple[str, ...] = ()
    kubernetes: tuple[Path, ...] = ()


def find_builder() -> tuple[str | None, str]:
    """The first installed builder whose engine answers, and a sentence saying what was found."""
    notes = []
    for name in BUILDERS:
        exe = shutil.which(name)
        if exe is None:
            continue
        try:
            probe = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            notes.append(f"{name} is installed but `{name} info` failed ({type(exc).__name__})")
            continue
        if probe.returncode == 0:
            return exe, f"{name} is available"
        detail = (probe.stderr or probe.stdout).strip().splitlines()
        reason = detail[-1] if detail else f"exit code {probe.returncode}"
        notes.append(f"{name} is installed but its engine is not running ({reason})")
    if not notes:
        return None, f"no Docker-compatible builder ({', '.join(BUILDERS)}) is installed"
    return None, "; ".join(notes)


def _local_source(dist_name: str) -> Path | None:
    """The local folder an installed distribution was installed from, if any."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return None
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        url = json.loads(text).get("url", "")
    except ValueError:
        return None
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    folder = Path(unquote(parsed.path))
    return (
        folder if (folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file() else None
    )


def _requirement_names(bento: Bento) -> list[str]:
    from packaging.requirements import Requirement

    names = []
    for line in bento.info.python.get("requirements", []):
        try:
            names.append(Requirement(line).name)
        except Exception:
            continue
    return names


def build_wheels(bento: Bento, wheels_dir: Path) -> list[str]:
    """Wheels of the bento's requirements that are installed from local folders; their names."""
    sources = {
        name: src for name in _requirement_names(bento) if (src := _local_source(name)) is not None
    }
    if not sources:
        return []
    wheels_dir.mkdir(parents=True, exist_ok=True)
    for name, source in sorted(sources.items()):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--quiet",
                "--wheel-dir",
                str(wheels_dir),
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise TiffinError(
                f"could not build a wheel of {name} from {source} (pip wheel exit {done.returncode}): {tail}; "
                "check that pip can reach a package index for the build backend"
            )
    return sorted(p.name for p in wheels_dir.glob("*.whl"))


def _prepare_output(output: str | Path | None, bento: Bento) -> Path:
    if output is None:
        return Path(tempfile.mkdtemp(prefix=f"tiffin-{bento.tag.name}-"))
    folder = Path(output).expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidArgument(
            f"output {str(folder)!r} exists and is not an empty folder; choose a new or empty one"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
#: Docker's image reference: ``[host[:port]/]path[:tag][@sha256:digest]``.
_IMAGE_NAME = re.compile(
    rf"(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)


def _check_image_name(image: str) -> None:
    """Refuse a name every builder would refuse, before any work is done."""
    if not isinstance(image, str) or not _IMAGE_NAME.fullmatch(image):
        raise InvalidArgument(
            f"image name {image!r} is not valid: use lowercase letters, digits and '.', '_', '-' "
            f"separators, optionally a registry host and a ':tag' (e.g. 'registry.local/iris:1.0')"
        )


def containerize(
    tag: str | Tag,
    *,
    output: str | Path | None = None,
    image: str | None = None,
    kubernetes: bool = False,
    build: bool = True,
    wheels: bool = True,
) -> ContainerizeResult:
    """Write the Docker build context of bento ``tag`` to ``output`` and build it if possible.

    :param output: an empty or new folder; default a fresh temporary one.
    :param image: the image name (default ``NAME:VERSION`` of the bento).
    :param kubernetes: also write Deployment, Service and HorizontalPodAutoscaler manifests
        into ``kubernetes/`` of the output.
    :param build: run the builder when one is usable (off: only write the context).
    :param wheels: put wheels of locally installed required packages into the context (off
        when every requirement, tiffin included, can come from a package index).
    """
    if image is not None:
        _check_image_name(image)
    bento = get(tag)
    image = image or f"{bento.tag.name}:{bento.tag.version}"
    folder = _prepare_output(output, bento)
    shutil.copytree(bento.path, folder, dirs_exist_ok=True)
    made = build_wheels(bento, folder / WHEELS_DIR) if wheels else []
    (folder / WHEELS_DIR).mkdir(parents=True, exist_ok=True)
    manifests: list[Path] = []
    if kubernetes:
        k8s = folder / KUBERNETES_DIR
        k8s.mkdir()
        for doc in kubernetes_manifests(bento.tag.name, bento.tag.version or "", image):
            path = k8s / f"{doc['kind'].lower()}.yaml"
            path.write_text(dump_yaml(doc), encoding="utf-8")
            manifests.append(path)
        (folder / ".dockerignore").write_text(f"{KUBERNETES_DIR}/\n", encoding="utf-8")
    if not build:
        return ContainerizeResult(
            folder, image, False, None, "building was not asked for", tuple(made), tuple(manifests)
        )
    builder, reason = find_builder()
    if builder is None:
        return ContainerizeResult(folder, image, False, None, reason, tuple(made), tuple(manifests))
    done = subprocess.run(
        [builder, "build", "-t", image, "-f", str(folder / DOCKERFILE), str(folder)]
    )
    if done.returncode != 0:
        raise TiffinError(
            f"`{Path(builder).name} build` failed with exit code {done.returncode} (its output is above); "
            f"the build context is at {folder}"
        )
    return ContainerizeResult(folder, image, True, builder, reason, tuple(made), tuple(manifests))
