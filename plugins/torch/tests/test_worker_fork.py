"""A runner worker replaced while torch's intra-op threads are busy in the server.

Forking the live server at that moment would copy locks held by its OpenMP threads into the
new worker, whose first parallel torch op could then hang for good. Workers come from the fork
server started before any thread existed (``tiffin._runner._forkserver``), so the replacement
answers like the first one did."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import httpx
import pytest

SERVICE = textwrap.dedent(
    """
    import os
    import threading

    import torch

    import tiffin
    from tiffin.io import JSON

    class TorchWork(tiffin.Runnable):
        # not declared thread-safe: served by a worker process
        def __init__(self):
            torch.set_num_threads(2)

        @tiffin.Runnable.method
        def work(self, n):
            a = torch.ones(256, 256)
            for _ in range(n):  # parallel ops on the worker's own intra-op threads
                a = torch.mm(a, torch.ones(256, 256)) / 256
            return {"pid": os.getpid(), "value": float(a[0, 0])}

        @tiffin.Runnable.method
        def die(self):
            os._exit(3)

    runner = tiffin.Runner(TorchWork, name="torch_work", workers=1)
    svc = tiffin.Service("torch_fork", runners=[runner])

    def spin():
        a = torch.ones(384, 384)
        while True:  # keeps the server's own intra-op threads busy all the time
            torch.mm(a, a)

    @svc.on_startup
    def start_spinning(ctx):
        torch.set_num_threads(2)
        threading.Thread(target=spin, daemon=True).start()

    @svc.api(input=JSON(), output=JSON())
    async def work(n):
        return await runner.work.async_run(n)

    @svc.api(input=JSON(), output=JSON())
    async def die(x):
        return await runner.die.async_run()
    """
)


@pytest.mark.slow
def test_a_worker_replaced_while_torch_threads_are_busy_answers(
    tmp_path: Path, serve: object
) -> None:
    (tmp_path / "service.py").write_text(SERVICE)
    url = serve("service.py:svc", cwd=tmp_path).url  # type: ignore[operator]
    with httpx.Client(timeout=60) as client:
        first = client.post(f"{url}/work", json=3)
        assert first.status_code == 200, first.text
        pid = first.json()["pid"]
        for _ in range(3):  # several replacements, each forked while the server spins
            assert client.post(f"{url}/die", json=0).status_code == 503
            answer = None
            deadline = time.monotonic() + 120  # a hung replacement never answers
            while time.monotonic() < deadline:
                r = client.post(f"{url}/work", json=3)
                if r.status_code == 200:
                    answer = r.json()
                    break
                assert r.status_code == 503, r.text  # no worker yet: retry
                time.sleep(0.1)
            assert answer is not None, "the replacement worker never answered"
            assert answer["pid"] != pid and answer["value"] == pytest.approx(1.0)
            pid = answer["pid"]
