"""A bounded schemathesis run over ``/api/v1/openapi.json`` with a write token: no 5xx from
anything the schema lets a client send (issue 25)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import TOKENS

pytestmark = pytest.mark.slow


def test_no_server_errors_from_generated_requests(start_registry_factory, tmp_path) -> None:
    server = start_registry_factory(tokens=True)
    auth = f"Bearer {TOKENS['write']}"
    schema = httpx.get(f"{server.url}/api/v1/openapi.json", headers={"Authorization": auth})
    assert schema.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(schema.json()))
    st = Path(sys.executable).with_name("schemathesis")
    done = subprocess.run(
        [str(st), "run", str(path), "--url", f"{server.url}/api/v1",
         "-H", f"Authorization: {auth}", "--checks", "not_a_server_error",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "10", "--max-time", "75",
         "--seed", "25", "--request-timeout", "30", "--no-color"],
        capture_output=True, text=True, timeout=400,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "error id" not in server.logs()  # no internal error was logged either
