"""The plugin manager: built once, on first use, and the only module that touches pluggy.

Entry points in the group ``tiffin`` are scanned and imported lazily, the first time anything
asks for a registered object, never at ``import tiffin``. A plugin that fails to import is a
:class:`TiffinPluginWarning` naming the package and the fix (``TIFFIN_STRICT_PLUGINS=1`` makes
it an error). ``TIFFIN_PLUGINS=a,b`` loads only those entry-point plugins;
``TIFFIN_DISABLE_PLUGINS=a,b`` skips those. Built-ins always load.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from collections.abc import Callable
from importlib import metadata
from typing import Any

import attrs
import pluggy

from tiffin import hookspecs
from tiffin.exceptions import MissingPlugin, PluginError

__all__ = [
    "PluginRecord",
    "TiffinPluginWarning",
    "add_commands",
    "data_containers",
    "framework",
    "frameworks",
    "io_descriptors",
    "plugin_records",
    "reset",
    "storage_backends",
    "transfer_strategies",
]

#: Built-in plugins, registered exactly like third-party ones: (name, module).
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("builtin.local-storage", "tiffin.builtin.local_storage"),
    ("builtin.data-containers", "tiffin.builtin.data_containers"),
    ("builtin.io-descriptors", "tiffin.builtin.io_descriptors"),
)

#: Well-known plugins, so that a missing one gets an exact ``pip install`` hint.
KNOWN_DISTRIBUTIONS = {
    "sklearn": "tiffin-sklearn",
    "torch": "tiffin-torch",
    "pytorch": "tiffin-torch",
    "xgboost": "tiffin-xgboost",
    "s3": "tiffin-s3",
    "presigned": "tiffin-presigned",
    "multipart": "tiffin-multipart",
}


class TiffinPluginWarning(UserWarning):
    """A plugin could not be loaded or broke the contract; tiffin goes on without it."""


@attrs.frozen
class PluginRecord:
    """What ``tiffin plugins`` shows about one plugin."""

    name: str
    distribution: str
    version: str
    module: str
    status: str  # "loaded", "failed", "disabled"
    hooks: tuple[str, ...] = ()
    error: str | None = None
    builtin: bool = False


def _env_list(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _strict() -> bool:
    return os.environ.get("TIFFIN_STRICT_PLUGINS", "").lower() in {"1", "true", "yes"}


def _complain(message: str) -> None:
    if _strict():
        raise PluginError(message)
    warnings.warn(message, TiffinPluginWarning, stacklevel=3)


class _Manager:
    """The loaded plugins and, per kind, the objects they registered (computed on demand)."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.records: list[PluginRecord] = []
        self._registered: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._load()

    # -- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        version = _tiffin_version()
        for name, module_name in DEFAULT_PLUGINS:
            module = importlib.import_module(module_name)
            self.pm.register(module, name=name)
            self.records.append(
                PluginRecord(name, "tiffin", version, module_name, "loaded", self._hooks_of(name), builtin=True)
            )

        only = _env_list("TIFFIN_PLUGINS")
        disabled = _env_list("TIFFIN_DISABLE_PLUGINS") or set()
        seen: set[str] = set()
        for ep in sorted(metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in seen:
                continue
            seen.add(ep.name)
            dist = ep.dist.name if ep.dist else "?"
            dist_version = ep.dist.version if ep.dist else "?"
            if ep.name in disabled or (only is not None and ep.name not in only):
                self.records.append(PluginRecord(ep.name, dist, dist_version, ep.value, "disabled"))
                continue
            try:
                module = ep.load()
                self.pm.register(module, name=ep.name)
            except Exception as exc:  # a broken plugin must not take the CLI down with it
                error = f"{type(exc).__name__}: {exc}"
                self.records.append(PluginRecord(ep.name, dist, dist_version, ep.value, "failed", error=error))
                _complain(
                    f"tiffin plugin {ep.name!r} (from {dist} {dist_version}) failed to load and is "
                    f"skipped: {error}. Fix or reinstall it (pip install -U {dist}), or skip it "
                    f"with TIFFIN_DISABLE_PLUGINS={ep.name}"
                )
                continue
            self.records.append(
                PluginRecord(ep.name, dist, dist_version, ep.value, "loaded", self._hooks_of(ep.name))
            )

    def _hooks_of(self, plugin_name: str) -> tuple[str, ...]:
        plugin = self.pm.get_plugin(plugin_name)
        return tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))

    # -- registration --------------------------------------------------------------------------

    def collect(self, hook_name: str, key: Callable[[Any], list[str]], check: Callable[[Any], None]) -> dict[str, Any]:
        """Call ``hook_name`` on every plugin with a ``register`` callback; return key -> object.

        Each plugin's implementation is called on its own, so a bad registration is reported
        against the plugin that made it and never stops the others.
        """
        with self._lock:
            if hook_name in self._registered:
                return self._registered[hook_name]
            found: dict[str, Any] = {}
            owners: dict[str, str] = {}
            caller = getattr(self.pm.hook, hook_name)
            # registration order: built-ins first, then entry points by name (pluggy returns
            # implementations last-registered first, so reverse)
            for impl in reversed(caller.get_hookimpls()):
                plugin_name = impl.plugin_name

                def register(obj: Any, _plugin: str = plugin_name) -> None:
                    try:
                        check(obj)
                    except PluginError as exc:
                        _complain(f"tiffin plugin {_plugin!r}: {exc}")
                        return
                    for k in key(obj):
                        if k in found:
                            _complain(
                                f"tiffin plugin {_plugin!r} registers {k!r} for {hook_name}, "
                                f"which plugin {owners[k]!r} already registered; keeping "
                                f"{owners[k]!r}'s. Disable one with TIFFIN_DISABLE_PLUGINS"
                            )
                            continue
                        found[k] = obj
                        owners[k] = _plugin

                try:
                    impl.function(register)
                except Exception as exc:
                    _complain(f"tiffin plugin {plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}")
            self._registered[hook_name] = found
            return found


def _tiffin_version() -> str:
    from tiffin._version import __version__

    return __version__


_manager: _Manager | None = None
_manager_lock = threading.Lock()


def _get() -> _Manager:
    global _manager
    if _manager is None:
        with _manager_lock:
            if _manager is None:
                _manager = _Manager()
    return _manager


def reset() -> None:
    """Forget the loaded plugins; the next use rescans entry points and the environment."""
    global _manager
    with _manager_lock:
        _manager = None


def plugin_records() -> list[PluginRecord]:
    return list(_get().records)


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager itself, for tests and diagnostics."""
    return _get().pm


# -- per kind ---------------------------------------------------------------------------------


def _require(*attributes: str, kind: str) -> Callable[[Any], None]:
    def check(obj: Any) -> None:
        missing = [a for a in attributes if getattr(obj, a, None) is None]
        if missing:
            raise PluginError(f"{kind} {obj!r} lacks {', '.join(missing)}; see tiffin.hookspecs")

    return check


def frameworks() -> dict[str, Any]:
    """Installed framework adapters by name."""
    return _get().collect(
        "register_frameworks",
        key=lambda a: [a.name],
        check=_require("name", "framework_version", "save", "load", kind="framework adapter"),
    )


def framework(name: str) -> Any:
    """The adapter called ``name``, or :class:`MissingPlugin` naming the package to install."""
    found = frameworks().get(name)
    if found is not None:
        return found
    dist = KNOWN_DISTRIBUTIONS.get(name, f"tiffin-{name.replace('_', '-')}")
    installed = ", ".join(sorted(frameworks())) or "none"
    raise MissingPlugin(
        f"no tiffin framework adapter named {name!r} is installed (installed: {installed}); "
        f"install it with: pip install {dist}"
    )


def data_containers() -> dict[str, Any]:
    """Data containers by the fully qualified type names they handle."""
    return _get().collect(
        "register_data_containers",
        key=lambda c: list(c.type_names),
        check=_require("name", "type_names", "batch", "split", "to_payload", "from_payload", kind="data container"),
    )


def storage_backends() -> dict[str, Any]:
    """Storage backends by URL scheme."""
    return _get().collect(
        "register_storage_backends",
        key=lambda b: list(b.schemes),
        check=_require("schemes", "filesystem", kind="storage backend"),
    )


def transfer_strategies() -> dict[str, Any]:
    """Transfer strategies by name."""
    return _get().collect(
        "register_transfer_strategies",
        key=lambda s: [s.name],
        check=_require("name", "priority", kind="transfer strategy"),
    )


def io_descriptors() -> dict[str, type]:
    """IO descriptor classes by class name."""

    def check(cls: Any) -> None:
        from tiffin.io import IODescriptor

        if not (isinstance(cls, type) and issubclass(cls, IODescriptor)):
            raise PluginError(f"IO descriptor {cls!r} is not a subclass of tiffin.io.IODescriptor")

    return _get().collect("register_io_descriptors", key=lambda c: [c.__name__], check=check)


def add_commands(app: Any) -> None:
    """Let every plugin add its CLI commands to ``app``; one plugin's failure is a warning."""
    manager = _get()
    for impl in reversed(manager.pm.hook.register_commands.get_hookimpls()):
        try:
            impl.function(app)
        except Exception as exc:
            _complain(f"tiffin plugin {impl.plugin_name!r} failed to add its commands: {type(exc).__name__}: {exc}")
