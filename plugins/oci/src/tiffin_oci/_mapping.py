"""How a tiffin version looks in an OCI registry.

A model ``NAME:VERSION`` is the tag ``VERSION`` of repository ``NAMESPACE/models/NAME``; a bento
lives in ``NAMESPACE/bentos/NAME``. The tag points at an OCI image manifest (schema 2) whose

- ``artifactType`` is ``application/vnd.tiffin.model.v1`` or ``application/vnd.tiffin.bento.v1``,
- ``config`` is the exact ``model.yaml`` / ``bento.yaml`` bytes (media type
  ``application/vnd.tiffin.model.config.v1+yaml``...),
- ``layers`` are the files, one per file in manifest order, each with its sha256 and the
  ``org.opencontainers.image.title`` annotation holding its path (so ORAS clients pull the
  same files), and
- ``annotations`` carry the name, version, creation time and labels (``dev.tiffin.label.K``).

A bento's layers are its own files; each model it carries is a model manifest of its own in the
bento's repository whose ``subject`` is the bento's manifest (OCI 1.1 referrers). Registries
without the referrers API (Distribution 2.8) get the tag-schema fallback: an image index tagged
``sha256-<hex of the bento manifest's digest>`` lists those model manifests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import yaml

from tiffin.exceptions import InvalidArgument

__all__ = [
    "INDEX_TYPE",
    "MANIFEST_TYPE",
    "artifact_type",
    "build_index",
    "build_manifest",
    "carried_models",
    "descriptor",
    "encode",
    "parse_tiffin_manifest",
    "referrers_tag",
]

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
LAYER_TYPE = "application/octet-stream"
TITLE = "org.opencontainers.image.title"
CREATED = "org.opencontainers.image.created"
PREFIX = "dev.tiffin."
LABEL_PREFIX = PREFIX + "label."
MODELS_DIR = "models"


def artifact_type(kind: str) -> str:
    return f"application/vnd.tiffin.{kind}.v1"


def config_type(kind: str) -> str:
    return f"application/vnd.tiffin.{kind}.config.v1+yaml"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, digest: str, size: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"mediaType": media_type, "digest": digest, "size": size}
    out.update({k: v for k, v in extra.items() if v})
    return out


def parse_tiffin_manifest(manifest: bytes) -> dict[str, Any]:
    """The plain data of a ``model.yaml`` / ``bento.yaml`` (name, version, labels, ...)."""
    try:
        data = yaml.safe_load(manifest)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"the manifest is not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not data.get("name") or not data.get("version"):
        raise InvalidArgument("the manifest names no name and version")
    return data


def encode(data: dict[str, Any]) -> bytes:
    # one spelling for one content: a re-push produces the same digest
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def version_annotations(
    kind: str, info: dict[str, Any], extra: dict[str, str] | None = None
) -> dict[str, str]:
    notes = {
        PREFIX + "kind": kind,
        PREFIX + "name": str(info["name"]),
        PREFIX + "version": str(info["version"]),
    }
    created = info.get("created_at")
    if created is not None:
        notes[CREATED] = created if isinstance(created, str) else created.isoformat()
    for key, value in sorted((info.get("labels") or {}).items()):
        notes[LABEL_PREFIX + str(key)] = str(value)
    notes.update(extra or {})
    return notes


def build_manifest(
    kind: str,
    manifest: bytes,
    files: Sequence[Any],
    *,
    subject: dict[str, Any] | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    """The OCI image manifest of one version: config = ``manifest``, layers = ``files``."""
    info = parse_tiffin_manifest(manifest)
    data: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "artifactType": artifact_type(kind),
        "config": descriptor(config_type(kind), sha256_digest(manifest), len(manifest)),
        "layers": [
            descriptor(LAYER_TYPE, "sha256:" + f.sha256, f.size, annotations={TITLE: f.path})
            for f in files
        ],
        "annotations": version_annotations(kind, info, extra),
    }
    if subject is not None:
        data["subject"] = subject
    return encode(data)


def build_index(referrers: Sequence[dict[str, Any]]) -> bytes:
    """The referrers tag-schema fallback: an image index listing ``referrers`` descriptors."""
    return encode({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": list(referrers)})


def is_alias(oci: dict[str, Any], tag: str) -> bool:
    """Whether ``tag`` is another tag for a version whose own tag differs (``prod``)."""
    version = (oci.get("annotations") or {}).get(PREFIX + "version")
    return version is not None and version != tag


def referrers_tag(digest: str) -> str:
    """``sha256-<hex>``: where the fallback index of ``digest``'s referrers is tagged."""
    return digest.replace(":", "-")


def carried_models(info: dict[str, Any], files: Sequence[Any]) -> dict[str, list[Any]]:
    """``{"name:version": [its files, paths relative to its folder]}`` of a bento's models;
    a file under ``models/NAME/VERSION/`` belongs to that model."""
    out: dict[str, list[Any]] = {}
    for model in info.get("models") or ():
        tag = str(model.get("tag") if isinstance(model, dict) else model)
        out[tag] = []
    for f in files:
        parts = f.path.split("/")
        if len(parts) >= 4 and parts[0] == MODELS_DIR:
            tag = f"{parts[1]}:{parts[2]}"
            if tag in out:
                out[tag].append(f)
    return out


def load_json(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise InvalidArgument(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} is not a JSON object")
    return value
