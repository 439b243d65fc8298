"""bentofile keys a BentoML user brings: envs, an inline setup_script, include after exclude."""

from __future__ import annotations

import httpx
import pytest

import tiffin
from tiffin.exceptions import InvalidArgument

ENVS = """\
service: service.py:svc
envs:
  - name: GREETING_STYLE
    value: loud
  - name: OMP_NUM_THREADS
    value: 1
"""

ENV_SERVICE = """
import os

import tiffin
from tiffin.io import JSON

svc = tiffin.Service("env-svc")


@svc.api(input=JSON(), output=JSON())
def style(_):
    return {"style": os.environ.get("GREETING_STYLE"), "omp": os.environ.get("OMP_NUM_THREADS")}
"""


def test_envs_go_into_the_dockerfile_and_the_served_bento(tmp_path, serve, monkeypatch):
    monkeypatch.delenv("GREETING_STYLE", raising=False)
    project = tmp_path / "p"
    project.mkdir()
    (project / "bentofile.yaml").write_text(ENVS)
    (project / "service.py").write_text(ENV_SERVICE)
    bento = tiffin.build(build_ctx=project)
    assert bento.info.envs == ({"name": "GREETING_STYLE", "value": "loud"}, {"name": "OMP_NUM_THREADS", "value": "1"})
    dockerfile = (bento.path / "env/docker/Dockerfile").read_text()
    assert 'GREETING_STYLE="loud"' in dockerfile and 'OMP_NUM_THREADS="1"' in dockerfile
    server = serve(str(bento.tag), cwd=tmp_path)
    answer = httpx.post(server.url + "/style", json={}, timeout=30)
    assert answer.json() == {"style": "loud", "omp": "1"}


@pytest.mark.parametrize(
    ("envs", "message"),
    [("envs: {A: b}\n", "'envs' must be a list"), ("envs: [{nam: A}]\n", "'envs' items look like")],
)
def test_bad_envs_are_one_clear_error(project, envs, message):
    with pytest.raises(InvalidArgument, match=message):
        tiffin.build(build_ctx=project(bentofile="service: service.py:svc\n" + envs))


def test_setup_script_may_be_written_inline(project):
    bentofile = (
        "service: service.py:svc\n"
        "docker:\n"
        "  setup_script: |\n"
        "    apt-get update\n"
        "    echo ready > /etc/ready\n"
    )
    bento = tiffin.build(build_ctx=project(bentofile=bentofile))
    script = (bento.path / "env/docker/setup_script").read_text()
    assert script.startswith("#!/bin/sh\n") and "echo ready > /etc/ready\n" in script
    assert "env/docker/setup_script" in (bento.path / "env/docker/Dockerfile").read_text()


def test_an_include_whose_matches_were_all_excluded_is_not_an_error(project):
    folder = project(bentofile="service: service.py:svc\ninclude: ['*.py', '.env']\nexclude: ['.env']\n")
    bento = tiffin.build(build_ctx=folder)
    paths = {f.path for f in bento.info.files}
    assert "src/service.py" in paths and "src/.env" not in paths
    with pytest.raises(InvalidArgument, match=r"include pattern '\*.csv' matches no file"):
        tiffin.build(build_ctx=folder, include=["*.py", "*.csv"])
