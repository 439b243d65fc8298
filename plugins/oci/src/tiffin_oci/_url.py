"""``oci://HOST[:PORT]/NAMESPACE`` URLs and the OCI naming rules tiffin names must meet."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import attrs

from tiffin.exceptions import InvalidArgument

__all__ = ["OCIURL", "check_component", "check_tag", "parse_host", "parse_url", "repository"]

#: One path component of an OCI repository name (distribution-spec, "Pulling manifests").
COMPONENT_RE = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")
#: An OCI tag.
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
COMPONENT_RULE = (
    "lowercase letters and digits, separated by single '.', one or two '_', or any number of "
    "'-', starting and ending with a letter or digit"
)
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def check_component(name: str, what: str) -> str:
    """``name`` if it is a valid OCI repository path component, else a one-line refusal."""
    if not COMPONENT_RE.match(name):
        raise InvalidArgument(
            f"{what} {name!r} cannot name an OCI repository: a repository path component is "
            f"{COMPONENT_RULE} ([a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*); rename it to push it to "
            f"an OCI registry"
        )
    return name


def check_tag(version: str) -> str:
    if not TAG_RE.match(version):
        raise InvalidArgument(
            f"version {version!r} cannot be an OCI tag: at most 128 of [a-zA-Z0-9_.-], not "
            f"starting with '.' or '-'"
        )
    return version


@attrs.frozen
class OCIURL:
    """Where an ``oci://`` remote lives: ``base`` (http(s)://host[:port]) and ``namespace``."""

    host: str  # host[:port], as written
    namespace: str
    insecure: bool  # plain http

    @property
    def base(self) -> str:
        return f"{'http' if self.insecure else 'https'}://{self.host}"

    def __str__(self) -> str:
        return f"oci://{self.host}/{self.namespace}"


def parse_url(url: str, *, insecure: bool | None = None) -> OCIURL:
    """Parse ``oci://HOST[:PORT]/NAMESPACE[?insecure=1]``.

    Plain http is used for loopback hosts (127.0.0.1, localhost, ::1) and wherever
    ``insecure`` (or ``?insecure=1``) asks for it; https everywhere else.
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme != "oci" or not parts.netloc:
        raise InvalidArgument(f"an OCI remote looks like oci://HOST[:PORT]/NAMESPACE, got {url!r}")
    namespace = parts.path.strip("/")
    if not namespace:
        raise InvalidArgument(
            f"{url!r} names no namespace: use oci://HOST[:PORT]/NAMESPACE (e.g. "
            f"oci://ghcr.io/my-org/tiffin)"
        )
    for component in namespace.split("/"):
        check_component(component, "the namespace part")
    query = parse_qs(parts.query)
    if insecure is None:
        flag = (query.get("insecure") or [""])[0].lower()
        insecure = flag in {"1", "true", "yes", "on"}
    hostname = (parts.hostname or "").lower()
    if hostname in _LOOPBACK:
        insecure = True
    return OCIURL(parts.netloc.lower(), namespace, bool(insecure))


def parse_host(url: str) -> str:
    """``HOST[:PORT]`` from ``oci://HOST[:PORT][/NAMESPACE]`` or a bare ``HOST[:PORT]``."""
    text = (url or "").strip()
    if "://" not in text:
        text = "oci://" + text
    parts = urlsplit(text)
    if parts.scheme != "oci" or not parts.hostname or parts.username or parts.password:
        raise InvalidArgument(
            f"name the registry as oci://HOST[:PORT] or HOST[:PORT] (no credentials), got {url!r}"
        )
    return parts.netloc.lower()


def repository(namespace: str, kind: str, name: str) -> str:
    """``NAMESPACE/models/NAME`` or ``NAMESPACE/bentos/NAME``; refuses a non-OCI name."""
    what = "model name" if kind == "models" else "bento name"
    return f"{namespace}/{kind}/{check_component(name, what)}"
