"""``tiffin_ray.deployment``'s options are checked before anything starts (no Ray cluster)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import tiffin_ray
from tiffin.exceptions import InvalidArgument


def test_runner_config_names_a_runner_the_service_has(iris_bento: Any) -> None:
    with pytest.raises(
        InvalidArgument,
        match=r"names nope, which the service does not have; its runners are: iris_clf",
    ):
        tiffin_ray.deployment(str(iris_bento.tag), runner_config={"nope": {"num_replicas": 2}})


def test_only_ray_serve_deployment_options_pass_through(iris_bento: Any) -> None:
    with pytest.raises(
        InvalidArgument, match=r"api_config: replicas is not a Ray Serve deployment option"
    ):
        tiffin_ray.deployment(str(iris_bento.tag), api_config={"replicas": 2})
    with pytest.raises(InvalidArgument, match=r"runner_config\['iris_clf'\] must be a dict"):
        tiffin_ray.deployment(str(iris_bento.tag), runner_config={"iris_clf": 3})


def test_cluster_options_need_the_ray_engine() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tiffin", "serve", "x", "--replicas", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "add --engine ray" in done.stderr and "Traceback" not in done.stderr
