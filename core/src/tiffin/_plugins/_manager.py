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
import sys
import threading
import warnings
from collections.abc import Callable
from importlib import metadata
from typing import Any

import attrs
import pluggy

from tiffin import hookspecs
from tiffin.exceptions import PluginError
from tiffin.hookspecs import ENTRY_POINT_GROUP, PROJECT_NAME

__all__ = [
    "DEFAULT_PLUGINS",
    "KNOWN_DISTRIBUTIONS",
    "PluginRecord",
    "TiffinPluginWarning",
    "distribution_of",
    "plugin_manager",
    "plugin_records",
    "reset",
]

#: Built-in plugins, registered exactly like third-party ones: (name, module).
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("builtin.local-storage", "tiffin.builtin.local_storage"),
    ("builtin.data-containers", "tiffin.builtin.data_containers"),
    ("builtin.io-descriptors", "tiffin.builtin.io_descriptors"),
    ("builtin.proxy-transfer", "tiffin.builtin.proxy_transfer"),
    ("builtin.batch-engines", "tiffin.builtin.batch_engines"),
    ("builtin.registry-remote", "tiffin.builtin.registry_remote"),
    ("builtin.serving-engines", "tiffin.builtin.serving_engines"),
)

#: Entry-point groups that look like a typo of ``tiffin``'s: a distribution declaring one is
#: told so, instead of its plugin silently never loading.
_GROUP_TYPOS = (
    "tiffin.plugins",
    "tiffin_plugins",
    "tiffin-plugins",
    "tiffin.plugin",
    "tifin",
    "tiffen",
    "tiffins",
    "tiffin_plugin",
    "tiffin-plugin",
    "Tiffin",
)

#: Well-known plugins, so that a missing one gets an exact ``pip install`` hint.
KNOWN_DISTRIBUTIONS = {
    "sklearn": "tiffin-sklearn",
    "torch": "tiffin-torch",
    "pytorch": "tiffin-torch",
    "xgboost": "tiffin-xgboost",
    "onnx": "tiffin-onnx",
    "s3": "tiffin-s3",
    "presigned": "tiffin-presigned",
    "multipart": "tiffin-multipart",
    "ray": "tiffin-ray",
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
    status: str  # "loaded", "failed", "disabled", "refused" (a registration was refused)
    hooks: tuple[str, ...] = ()
    error: str | None = None
    builtin: bool = False
    #: what the plugin registered, as ``kind:name`` (``framework:sklearn``, ``scheme:s3``,
    #: ``io:Text``, ``command:registry``); filled as the hooks are called
    registered: tuple[str, ...] = ()
    #: why a disabled plugin is disabled (the environment variable that did it)
    disabled_by: str | None = None


def _env_list(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _strict() -> bool:
    return os.environ.get("TIFFIN_STRICT_PLUGINS", "").lower() in {"1", "true", "yes"}


def _one_line(text: str) -> str:
    """A plugin's error on one line: pluggy's and others' messages span several."""
    return " ".join(text.split())


def _complain(message: str) -> None:
    message = _one_line(message)
    if _strict():
        raise PluginError(message)
    warnings.warn(message, TiffinPluginWarning, stacklevel=3)


class _Manager:
    """The loaded plugins and, per kind, the objects they registered (computed on demand)."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.records: list[PluginRecord] = []
        self._registered: dict[str, Any] = {}
        self._problems: dict[str, list[str]] = {}
        self._failed: set[str] = set()
        self._refused: set[str] = set()
        self._registered_by: dict[str, list[str]] = {}
        self._lock = threading.RLock()
        self._load()

    # -- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        version = _tiffin_version()
        # read through the package: tests extend tiffin._plugins.DEFAULT_PLUGINS there
        package = sys.modules.get("tiffin._plugins")
        for name, module_name in getattr(package, "DEFAULT_PLUGINS", DEFAULT_PLUGINS):
            module = importlib.import_module(module_name)
            self.pm.register(module, name=name)
            self.records.append(
                PluginRecord(
                    name,
                    "tiffin",
                    version,
                    module_name,
                    "loaded",
                    self._hooks_of(name),
                    builtin=True,
                )
            )

        only = _env_list("TIFFIN_PLUGINS")
        disabled = _env_list("TIFFIN_DISABLE_PLUGINS") or set()
        seen: dict[str, str] = {}
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else "?"
            dist_version = ep.dist.version if ep.dist else "?"
            if ep.name in seen:
                if seen[ep.name] != dist:
                    _complain(
                        f"tiffin plugin name {ep.name!r} is claimed by both {seen[ep.name]} and "
                        f"{dist}; keeping {seen[ep.name]}'s. Uninstall one of them"
                    )
                continue
            seen[ep.name] = dist
            if ep.name in disabled or (only is not None and ep.name not in only):
                by = (
                    f"TIFFIN_DISABLE_PLUGINS={os.environ.get('TIFFIN_DISABLE_PLUGINS', '')}"
                    if ep.name in disabled
                    else f"TIFFIN_PLUGINS={os.environ.get('TIFFIN_PLUGINS', '')}"
                )
                self.records.append(
                    PluginRecord(ep.name, dist, dist_version, ep.value, "disabled", disabled_by=by)
                )
                continue
            try:
                module = ep.load()
                self.pm.register(module, name=ep.name)
            # a broken plugin must not take the CLI down with it, not even by sys.exit()
            except (Exception, SystemExit) as exc:
                error = _one_line(f"{type(exc).__name__}: {exc}")
                self.records.append(
                    PluginRecord(ep.name, dist, dist_version, ep.value, "failed", error=error)
                )
                _complain(
                    f"tiffin plugin {ep.name!r} (from {dist} {dist_version}) failed to load and is "
                    f"skipped: {error}. Fix or reinstall it (pip install -U {dist}), or skip it "
                    f"with TIFFIN_DISABLE_PLUGINS={ep.name}"
                )
                continue
            self._check_hook_names(ep.name, module)
            self.records.append(
                PluginRecord(
                    ep.name, dist, dist_version, ep.value, "loaded", self._hooks_of(ep.name)
                )
            )
        self._check_group_typos()
        for var, names in (("TIFFIN_PLUGINS", only or set()), ("TIFFIN_DISABLE_PLUGINS", disabled)):
            for name in sorted(names - set(seen)):
                _complain(
                    f"{var} names {name!r}, but no installed plugin has that name "
                    f"(installed: {', '.join(sorted(seen)) or 'none'}); check the spelling"
                )

    def _check_group_typos(self) -> None:
        """A distribution whose entry points sit in a misspelt group never loads: say so."""
        for group in _GROUP_TYPOS:
            for ep in metadata.entry_points(group=group):
                dist = ep.dist.name if ep.dist else "a distribution"
                _complain(
                    f"{dist} declares the entry point {ep.name} = {ep.value!r} in the group "
                    f"{group!r}, which tiffin never reads; declare it under "
                    f"[project.entry-points.{ENTRY_POINT_GROUP}] and reinstall {dist}"
                )

    def _check_hook_names(self, plugin_name: str, module: Any) -> None:
        """A misspelt or undecorated hook is never called; say so instead of ignoring it."""
        for attr in dir(module):
            if self.pm.parse_hookimpl_opts(module, attr) is None:
                if (
                    attr.startswith("register_")
                    and callable(getattr(module, attr, None))
                    and getattr(getattr(self.pm.hook, attr, None), "spec", None) is not None
                ):
                    self._problem(
                        plugin_name,
                        f"tiffin plugin {plugin_name!r} defines {attr}() without "
                        f"@tiffin.hookimpl, so tiffin never calls it; decorate it with "
                        f"@tiffin.hookimpl",
                    )
                continue
            if getattr(self.pm.hook, attr).spec is None:
                self._problem(
                    plugin_name,
                    f"tiffin plugin {plugin_name!r} implements {attr!r}, which is not a tiffin hook "
                    f"(see tiffin.hookspecs for the hook names); it is never called",
                )

    def _hooks_of(self, plugin_name: str) -> tuple[str, ...]:
        plugin = self.pm.get_plugin(plugin_name)
        return tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))

    def _problem(
        self, plugin_name: str, message: str, *, failed: bool = False, refused: bool = False
    ) -> None:
        """Remember a plugin's problem for ``tiffin plugins``, then warn (or raise if strict)."""
        self._problems.setdefault(plugin_name, []).append(_one_line(message))
        if failed:
            self._failed.add(plugin_name)
        if refused:
            self._refused.add(plugin_name)
        _complain(message)

    def note_registered(self, plugin_name: str, what: str) -> None:
        """Remember that ``plugin_name`` registered ``what`` (``kind:name``)."""
        self._registered_by.setdefault(plugin_name, []).append(what)

    def current_records(self) -> list[PluginRecord]:
        """The records, with what each registered and the problems found since loading.

        A hook that raised makes its plugin ``failed``; a refused registration ``refused``.
        """
        out = []
        for record in self.records:
            record = attrs.evolve(
                record, registered=tuple(sorted(self._registered_by.get(record.name, ())))
            )
            problems = self._problems.get(record.name)
            if problems:
                status = record.status
                if record.name in self._failed:
                    status = "failed"
                elif record.name in self._refused and status == "loaded":
                    status = "refused"
                error = "; ".join(filter(None, [record.error, *problems]))
                record = attrs.evolve(record, status=status, error=error)
            out.append(record)
        return out

    def record(self, name: str) -> PluginRecord | None:
        for record in self.current_records():
            if record.name == name:
                return record
        return None

    # -- registration --------------------------------------------------------------------------

    def collect(
        self,
        hook_name: str,
        key: Callable[[Any], list[str]],
        check: Callable[[Any], None],
        *,
        kind: str,
        check_owner: Callable[[Any, str], None] | None = None,
    ) -> dict[str, Any]:
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
            # registration order: built-ins first, then entry points by name (get_hookimpls
            # lists them in that order; pluggy only *calls* them last-registered first)
            for impl in caller.get_hookimpls():
                plugin_name = impl.plugin_name

                def register(obj: Any, _plugin: str = plugin_name) -> None:
                    try:
                        check(obj)
                        if check_owner is not None:
                            check_owner(obj, _plugin)
                    except PluginError as exc:
                        self._problem(_plugin, f"tiffin plugin {_plugin!r}: {exc}", refused=True)
                        return
                    for k in key(obj):
                        if k in found:
                            self._problem(
                                _plugin,
                                f"tiffin plugin {_plugin!r} registers {k!r} for {hook_name}, "
                                f"which plugin {owners[k]!r} already registered; keeping "
                                f"{owners[k]!r}'s. Disable one with TIFFIN_DISABLE_PLUGINS",
                                refused=True,
                            )
                            continue
                        found[k] = obj
                        owners[k] = _plugin
                        self.note_registered(_plugin, f"{kind}:{k}")

                try:
                    impl.function(register)
                except Exception as exc:
                    self._problem(
                        plugin_name,
                        f"tiffin plugin {plugin_name!r} failed in {hook_name}: "
                        f"{type(exc).__name__}: {exc}",
                        failed=True,
                    )
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
    """What ``tiffin plugins`` shows: every plugin, its hooks, status and problems so far."""
    return _get().current_records()


def plugin_manager() -> pluggy.PluginManager:
    """The pluggy manager itself, for tests and diagnostics."""
    return _get().pm


def distribution_of(kind: str, key: str) -> str:
    """Who registered ``kind:key`` (``strategy:presigned``), as ``tiffin-presigned 0.1.0``, or
    ``plugin 'NAME'`` for a plugin registered in-process; for warnings that name the culprit."""
    manager = _get()
    what = f"{kind}:{key}"
    for plugin, items in manager._registered_by.items():
        if what in items:
            record = next((r for r in manager.records if r.name == plugin), None)
            if record is None:
                return f"plugin {plugin!r}"
            return f"{record.distribution} {record.version} (plugin {plugin!r})"
    return "an unknown plugin"
