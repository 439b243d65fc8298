"""What each hook kind registers: the per-kind getters and the checks made at registration.

Every registered object is checked when it is registered, so that a plugin's mistake is one
warning naming the plugin (an error under ``TIFFIN_STRICT_PLUGINS=1``), never a traceback
later: a class where an instance is wanted, a missing member, ``schemes`` given as a string,
a name that is not lowercase, a ``priority`` that is not an int.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any

from tiffin import hookspecs
from tiffin._plugins._manager import KNOWN_DISTRIBUTIONS, _get
from tiffin.exceptions import MissingPlugin, PluginError

if TYPE_CHECKING:
    from tiffin.io import IODescriptor

__all__ = [
    "CUSTOM_FRAMEWORK",
    "batch_engines",
    "collect_all",
    "data_containers",
    "framework",
    "frameworks",
    "io_descriptors",
    "missing_framework_message",
    "plugins_used_by",
    "remotes",
    "serving_engines",
    "storage_backends",
    "transfer_strategies",
]

#: A registered object's name: lowercase letters and digits, ``-`` or ``_`` inside.
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
#: A URL scheme as RFC 3986 spells it, lowercase.
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")


def collect_all() -> None:
    """Call every ``register_*`` hook now, so that every plugin's problems are known."""
    for collect in (
        frameworks,
        data_containers,
        storage_backends,
        transfer_strategies,
        io_descriptors,
        batch_engines,
        serving_engines,
        remotes,
    ):
        collect()


# -- per kind ---------------------------------------------------------------------------------


def _require(*attributes: str, kind: str, protocol: str = "") -> Callable[[Any], None]:
    """A check that ``obj`` is an instance (not a class) with every one of ``attributes``."""
    where = f"tiffin.hookspecs.{protocol}" if protocol else "tiffin.hookspecs"

    def check(obj: Any) -> None:
        if isinstance(obj, type):
            raise PluginError(
                f"registers the class {obj.__qualname__} as a {kind}; register an instance: "
                f"register({obj.__qualname__}())"
            )
        missing = [a for a in attributes if getattr(obj, a, None) is None]
        if missing:
            raise PluginError(f"{kind} {obj!r} lacks {', '.join(missing)}; see {where}")

    return check


def _check_name(obj: Any, kind: str) -> None:
    name = obj.name
    if not (isinstance(name, str) and _NAME_RE.match(name)):
        raise PluginError(
            f"{kind} {obj!r} has the name {name!r}; a {kind}'s name must be a lowercase string "
            f"of letters, digits, '-' and '_' (like 'presigned')"
        )


def _check_strings(obj: Any, attribute: str, kind: str, pattern: re.Pattern[str] | None) -> None:
    value = getattr(obj, attribute)
    if isinstance(value, str) or not isinstance(value, tuple | list | frozenset | set):
        raise PluginError(
            f"{kind} {obj!r} has {attribute} = {value!r}; it must be a tuple of strings, "
            f"like ({value!r},)"
            if isinstance(value, str)
            else f"{kind} {obj!r} has {attribute} = {value!r}; it must be a tuple of strings"
        )
    bad = [v for v in value if not isinstance(v, str) or (pattern and not pattern.match(v))]
    if bad or not value:
        raise PluginError(
            f"{kind} {obj!r} has {attribute} = {tuple(value)!r}: each must be a "
            + ("lowercase URL scheme (like 's3')" if pattern else "non-empty string")
            + (f"; {bad[0]!r} is not" if bad else "; it is empty")
        )


def _named(*attributes: str, kind: str, protocol: str) -> Callable[[Any], None]:
    require = _require("name", *attributes, kind=kind, protocol=protocol)

    def check(obj: Any) -> None:
        require(obj)
        _check_name(obj, kind)

    return check


def _check_container(obj: Any) -> None:
    _named(
        "type_names",
        "batch",
        "split",
        "to_payload",
        "from_payload",
        kind="data container",
        protocol="DataContainer",
    )(obj)
    _check_strings(obj, "type_names", "data container", None)


def _check_backend(obj: Any) -> None:
    _require("schemes", "filesystem", kind="storage backend", protocol="StorageBackend")(obj)
    _check_strings(obj, "schemes", "storage backend", _SCHEME_RE)


def _check_remote(obj: Any) -> None:
    _require("schemes", "open", kind="remote", protocol="Remote")(obj)
    _check_strings(obj, "schemes", "remote", _SCHEME_RE)


def _check_strategy(obj: Any) -> None:
    _named("priority", kind="transfer strategy", protocol="TransferStrategy")(obj)
    priority = obj.priority
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise PluginError(
            f"transfer strategy {obj.name!r} has priority = {priority!r}; it must be an int "
            f"(proxy is 0; higher is preferred)"
        )


def _check_framework(adapter: Any) -> None:
    _require(
        "name",
        "framework_version",
        "save",
        "load",
        kind="framework adapter",
        protocol="FrameworkAdapterProtocol",
    )(adapter)
    name = adapter.name
    if not (isinstance(name, str) and name.isidentifier() and name == name.lower()):
        raise PluginError(
            f"framework adapter {adapter!r} has the name {name!r}; a framework's name is what "
            f"users type as tiffin.<name>: use lowercase letters, digits and '_'"
        )
    import tiffin

    if name.startswith("_") or name in tiffin.__all__ or name in dir(tiffin):
        raise PluginError(
            f"framework adapter {adapter!r} is named {name!r}, which tiffin itself uses "
            f"(tiffin.{name}); choose another name"
        )


def _check_framework_owner(adapter: Any, plugin_name: str) -> None:
    """An adapter's name is its plugin's entry-point name: ``tiffin.<name>`` finds it by that."""
    if plugin_name.startswith("builtin.") or adapter.name == plugin_name:
        return
    raise PluginError(
        f"its framework adapter is named {adapter.name!r} but the plugin's entry point is named "
        f"{plugin_name!r}; the adapter is refused. Give both the same name (the adapter's "
        f"`name` and the [project.entry-points.tiffin] key)"
    )


def frameworks() -> dict[str, hookspecs.FrameworkAdapterProtocol]:
    """Installed framework adapters by name."""
    return _get().collect(
        "register_frameworks",
        key=lambda a: [a.name],
        check=_check_framework,
        kind="framework",
        check_owner=_check_framework_owner,
    )


#: The framework ``tiffin.models.create`` records when none is given: no adapter owns it.
CUSTOM_FRAMEWORK = "custom"


def framework(name: str) -> hookspecs.FrameworkAdapterProtocol:
    """The adapter called ``name``, or :class:`MissingPlugin` naming the package to install."""
    found = frameworks().get(name)
    if found is not None:
        return found
    if name == CUSTOM_FRAMEWORK:
        raise MissingPlugin(
            f"models of framework {CUSTOM_FRAMEWORK!r} were saved with tiffin.models.create and no "
            f"adapter loads them or builds their runner: read their files from model.path, and to "
            f"serve one write a tiffin.Runnable that loads it (see docs/runners.md)"
        )
    raise MissingPlugin(missing_framework_message(name))


def missing_framework_message(name: str) -> str:
    """Why ``tiffin.<name>`` has no adapter: what actually happened, and the fix.

    A plugin of that name that is installed but failed, was disabled or had its adapter
    refused is reported as such; ``pip install`` is advised only for the project's own
    packages, never for a guessed name.
    """
    manager = _get()
    installed = ", ".join(sorted(frameworks())) or "none"
    record = manager.record(name)
    if record is not None and not record.builtin:
        where = f"{record.distribution} {record.version}"
        if record.status == "disabled":
            return (
                f"the tiffin plugin {name!r} ({where}) is installed but disabled by "
                f"{record.disabled_by}; remove {name!r} from that variable to use tiffin.{name}"
            )
        if record.error:
            return (
                f"the tiffin plugin {name!r} ({where}) is installed but provides no framework "
                f"adapter named {name!r}: {record.error}"
            )
        return (
            f"the tiffin plugin {name!r} ({where}) is installed but registers no framework "
            f"adapter named {name!r} (installed adapters: {installed})"
        )
    dist = KNOWN_DISTRIBUTIONS.get(name)
    if dist is not None and _installed(dist):
        return (
            f"{dist} is installed but declares no tiffin plugin named {name!r} in the entry-point "
            f"group 'tiffin' (installed adapters: {installed}); reinstall it "
            f"(pip install --force-reinstall {dist}) and check its [project.entry-points.tiffin]"
        )
    if dist is not None:
        return (
            f"no tiffin framework adapter named {name!r} is installed (installed: {installed}); "
            f"install it with: pip install {dist}"
        )
    return (
        f"tiffin has no attribute or framework adapter named {name!r} (installed adapters: "
        f"{installed}); check the spelling, or install the plugin that provides it"
    )


def _installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def data_containers() -> dict[str, hookspecs.DataContainer]:
    """Data containers by the fully qualified type names they handle."""
    return _get().collect(
        "register_data_containers",
        key=lambda c: list(c.type_names),
        kind="container",
        check=_check_container,
    )


def storage_backends() -> dict[str, hookspecs.StorageBackend]:
    """Storage backends by URL scheme."""
    return _get().collect(
        "register_storage_backends",
        key=lambda b: list(b.schemes),
        check=_check_backend,
        kind="scheme",
    )


def remotes() -> dict[str, hookspecs.Remote]:
    """Remotes (push, pull, ``--remote``, auto-pull) by URL scheme."""
    return _get().collect(
        "register_remotes", key=lambda r: list(r.schemes), check=_check_remote, kind="remote"
    )


def transfer_strategies() -> dict[str, hookspecs.TransferStrategy]:
    """Transfer strategies by name."""
    return _get().collect(
        "register_transfer_strategies",
        key=lambda s: [s.name],
        check=_check_strategy,
        kind="strategy",
    )


def io_descriptors() -> dict[str, type[IODescriptor]]:
    """IO descriptor classes by class name."""

    def check(cls: Any) -> None:
        # the protocol, not tiffin.io's base class: tiffin.io itself resolves through here
        if not (isinstance(cls, type) and isinstance(cls, hookspecs.IODescriptorProtocol)):
            raise PluginError(
                f"IO descriptor {cls!r} is not a subclass of tiffin.io.IODescriptor (it must "
                f"implement tiffin.hookspecs.IODescriptorProtocol)"
            )

    return _get().collect(
        "register_io_descriptors", key=lambda c: [c.__name__], check=check, kind="io"
    )


def batch_engines() -> dict[str, hookspecs.BatchEngine]:
    """Batch engines (``tiffin batch --engine NAME``) by name."""
    return _get().collect(
        "register_batch_engines",
        key=lambda e: [e.name],
        check=_named("run", kind="batch engine", protocol="BatchEngine"),
        kind="engine",
    )


def serving_engines() -> dict[str, hookspecs.ServingEngine]:
    """Serving engines (``tiffin serve --engine NAME``) by name."""
    return _get().collect(
        "register_serving_engines",
        key=lambda e: [e.name],
        check=_named("serve", kind="serving engine", protocol="ServingEngine"),
        kind="serving-engine",
    )


def plugins_used_by(objects: Any) -> set[str]:
    """Names of the entry-point plugins whose code ``objects`` come from, or that they rely on.

    An object counts when its class is defined in a plugin's package (a third-party IO
    descriptor, a runnable); a plugin's data container counts when a type it handles is from
    a module already imported (the service works with such values). Built-ins never count.
    """
    manager = _get()
    packages = {
        record.module.split(":")[0].split(".")[0]: record.name
        for record in manager.records
        if not record.builtin and record.status == "loaded"
    }
    used = set()
    for obj in objects:
        cls = obj if isinstance(obj, type) else type(obj)
        for klass in cls.__mro__:
            top = (klass.__module__ or "").split(".")[0]
            if top in packages:
                used.add(packages[top])
    owners = {item: plugin for plugin, items in manager._registered_by.items() for item in items}
    for type_name in data_containers():
        owner = owners.get(f"container:{type_name}")
        if (
            owner is not None
            and owner in packages.values()
            and type_name.split(".")[0] in sys.modules
        ):
            used.add(owner)
    return used
