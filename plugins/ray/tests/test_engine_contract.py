"""tiffin-ray's batch engine passes the batch engine kit (the local engine's answers, in order,
in every --on-error mode), on the session's small local Ray cluster."""

from __future__ import annotations

import pytest

from tiffin.testing import BatchEngineContract

pytest.importorskip("pyarrow")
pytest.importorskip("ray")

# Ray starts worker processes by the dozen: on a loaded 2-core machine a job takes minutes
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


class TestRayEngine(BatchEngineContract):
    engine = "ray"
    rows = 700

    @pytest.fixture(autouse=True)
    def _on_the_cluster(self, ray_cluster):
        """Every job joins the session's cluster (started by the ``ray_cluster`` fixture)."""
        return ray_cluster

    def job_options(self):
        return {"workers": 2}
