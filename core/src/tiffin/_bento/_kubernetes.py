"""Kubernetes manifests for a containerized bento: Deployment, Service, HorizontalPodAutoscaler.

Readiness is ``/readyz`` (runners loaded: traffic may come), liveness ``/livez`` (the process
answers: no restart needed). Resource requests are a class service's ``resources=`` where it
declares them, else modest defaults meant to be edited.
"""

from __future__ import annotations

from typing import Any

from tiffin._bento._docker import PORT

__all__ = ["kubernetes_manifests"]


def _k8s_name(name: str) -> str:
    """A DNS-1035 label: lowercase alphanumerics and '-', starting with a letter."""
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "bento-" + cleaned
    return cleaned[:63].rstrip("-")


def _container_resources(resources: dict[str, Any] | None) -> dict[str, Any]:
    """Requests and limits: a class service's ``resources=`` where given, else the defaults."""
    requests: dict[str, Any] = {"cpu": "500m", "memory": "512Mi"}
    limits: dict[str, Any] = {"memory": "2Gi"}
    resources = resources or {}
    if resources.get("cpu") is not None:
        requests["cpu"] = str(resources["cpu"])
    if resources.get("memory") is not None:
        requests["memory"] = limits["memory"] = str(resources["memory"])
    gpu = resources.get("gpu")
    if gpu:
        limits["nvidia.com/gpu"] = int(gpu)
    return {"requests": requests, "limits": limits}


def kubernetes_manifests(
    name: str, version: str, image: str, resources: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    app = _k8s_name(name)
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/version": version[:63]}
    selector = {"app.kubernetes.io/name": app}

    def probe(path: str, period: int, failures: int) -> dict[str, Any]:
        return {
            "httpGet": {"path": path, "port": "http"},
            "initialDelaySeconds": 5,
            "periodSeconds": period,
            "timeoutSeconds": 3,
            "failureThreshold": failures,
        }

    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 1034,
                        "runAsGroup": 1034,
                    },
                    "containers": [
                        {
                            "name": app,
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                            "env": [{"name": "PORT", "value": str(PORT)}],
                            "readinessProbe": probe("/readyz", 5, 3),
                            "livenessProbe": probe("/livez", 10, 6),
                            "resources": _container_resources(resources),
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": app, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }
    # plain trees, no shared objects: a YAML dumper writes a dict used twice as &anchor/*alias,
    # which some tools (and readers) do not follow
    import json

    return [json.loads(json.dumps(doc)) for doc in (deployment, service, hpa)]
