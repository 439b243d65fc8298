"""``tiffin serve TARGET --engine ray``: the bento as a Ray Serve application, in the foreground.

Without ``--address`` (or ``RAY_ADDRESS``) a local, closed cluster starts in this process (no
dashboard, so no job-submission API; its node on the loopback address) and stops with it. With
one, the application is deployed on that cluster, and removed from it on SIGTERM or Ctrl-C; the
cluster keeps running. Ray's token authentication, when the cluster has it on, is read by
``ray.init`` from the usual environment and file.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from tiffin.exceptions import InvalidArgument, TiffinError

__all__ = ["RayServingEngine"]

logger = logging.getLogger("tiffin.ray")

APP_NAME = "tiffin"


class RayServeFailed(TiffinError):
    """Ray could not be reached, or the application could not be deployed."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:400]


class RayServingEngine:
    """Deploys the service on Ray Serve, stays in the foreground, removes it on the way out."""

    name = "ray"

    def serve(self, target: str, options: Any) -> None:
        from tiffin.serving import configure_logging

        configure_logging(options.log_level)
        if options.reload:
            raise InvalidArgument("--reload is not supported with --engine ray")
        if options.workers not in (None, 1):
            raise InvalidArgument(
                "--api-workers is for --engine local; with --engine ray, scale with --replicas "
                "or tiffin_ray.deployment(..., api_config={'num_replicas': N})"
            )
        import ray
        from ray import serve

        address = options.address or os.environ.get("RAY_ADDRESS") or None
        local = address is None
        try:
            if local:
                ray.init(
                    address="local",
                    include_dashboard=False,
                    log_to_driver=False,
                    _node_ip_address="127.0.0.1",
                )
            else:
                ray.init(address=address, log_to_driver=False)
        except Exception as exc:  # Ray raises plain exceptions for an unreachable cluster
            raise RayServeFailed(
                f"cannot join the Ray cluster at {address or 'a new local cluster'!r}: "
                f"{_one_line(exc)}; check --address / RAY_ADDRESS"
            ) from None
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        deployed = False
        try:
            from tiffin_ray._serve import deployment

            serve.start(http_options={"host": options.host, "port": options.port})
            _check_port(options.port)
            defaults = {"num_replicas": options.replicas} if options.replicas else {}
            app = deployment(target, working_dir=options.working_dir, _runner_defaults=defaults)
            try:
                serve.run(app, name=APP_NAME, route_prefix="/")
            except TiffinError:
                raise
            except Exception as exc:
                raise RayServeFailed(f"the application did not deploy: {_one_line(exc)}") from None
            deployed = True
            logger.info(
                "serving %r on Ray Serve at http://%s:%d (Ctrl-C stops)",
                target,
                options.host,
                options.port,
            )
            while not stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if deployed and not local:
                _delete(serve)  # a local cluster goes as a whole with ray.shutdown()
            ray.shutdown()  # a local cluster stops; a user's keeps running


def _check_port(port: int) -> None:
    """A cluster has one Serve HTTP proxy port: say so when Serve already runs on another."""
    from ray.serve.context import _get_global_client  # no public way to read it

    running = getattr(getattr(_get_global_client(), "http_config", None), "port", port)
    if running != port:
        raise RayServeFailed(
            f"Ray Serve already runs on this cluster with its HTTP port {running}, and a cluster "
            f"has one: pass --port {running}"
        )


def _delete(serve: Any, timeout_s: float = 60.0) -> None:
    """Remove the application from the user's cluster, giving up after ``timeout_s``."""
    done = threading.Event()

    def delete() -> None:
        try:
            serve.delete(APP_NAME)
        except Exception as exc:
            logger.warning("could not remove the application %r: %s", APP_NAME, _one_line(exc))
        finally:
            done.set()

    threading.Thread(target=delete, daemon=True).start()
    if not done.wait(timeout_s):
        logger.warning(
            "the application %r was not removed within %gs: remove it with `serve delete %s`",
            APP_NAME,
            timeout_s,
            APP_NAME,
        )
