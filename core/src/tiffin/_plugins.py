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
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from tiffin import hookspecs
from tiffin.exceptions import MissingPlugin, PluginError

if TYPE_CHECKING:
    from tiffin.io import IODescriptor

__all__ = [
    "PluginRecord",
    "TiffinPluginWarning",
    "add_commands",
    "batch_engines",
    "collect_all",
    "data_containers",
    "framework",
    "frameworks",
    "io_descriptors",
    "plugin_records",
    "remotes",
    "reset",
    "storage_backends",
    "transfer_strategies",
]

#: Built-in plugins, registered exactly like third-party ones: (name, module).
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (
    ("builtin.local-storage", "tiffin.builtin.local_storage"),
    ("builtin.data-containers", "tiffin.builtin.data_containers"),
    ("builtin.io-descriptors", "tiffin.builtin.io_descriptors"),
    ("builtin.proxy-transfer", "tiffin.builtin.proxy_transfer"),
    ("builtin.batch-engines", "tiffin.builtin.batch_engines"),
    ("builtin.registry-remote", "tiffin.builtin.registry_remote"),
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
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
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
        for name, module_name in DEFAULT_PLUGINS:
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
        for ep in sorted(
            metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP), key=lambda e: e.name
        ):
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
        for var, names in (("TIFFIN_PLUGINS", only or set()), ("TIFFIN_DISABLE_PLUGINS", disabled)):
            for name in sorted(names - set(seen)):
                _complain(
                    f"{var} names {name!r}, but no installed plugin has that name "
                    f"(installed: {', '.join(sorted(seen)) or 'none'}); check the spelling"
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


def collect_all() -> None:
    """Call every ``register_*`` hook now, so that every plugin's problems are known."""
    for collect in (
        frameworks,
        data_containers,
        storage_backends,
        transfer_strategies,
        io_descriptors,
        batch_engines,
        remotes,
    ):
        collect()


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


def _check_framework(adapter: Any) -> None:
    _require("name", "framework_version", "save", "load", kind="framework adapter")(adapter)
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
    if dist is not None:
        return (
            f"no tiffin framework adapter named {name!r} is installed (installed: {installed}); "
            f"install it with: pip install {dist}"
        )
    return (
        f"tiffin has no attribute or framework adapter named {name!r} (installed adapters: "
        f"{installed}); check the spelling, or install the plugin that provides it"
    )


def data_containers() -> dict[str, hookspecs.DataContainer]:
    """Data containers by the fully qualified type names they handle."""
    return _get().collect(
        "register_data_containers",
        key=lambda c: list(c.type_names),
        kind="container",
        check=_require(
            "name",
            "type_names",
            "batch",
            "split",
            "to_payload",
            "from_payload",
            kind="data container",
        ),
    )


def storage_backends() -> dict[str, hookspecs.StorageBackend]:
    """Storage backends by URL scheme."""
    return _get().collect(
        "register_storage_backends",
        key=lambda b: list(b.schemes),
        check=_require("schemes", "filesystem", kind="storage backend"),
        kind="scheme",
    )


def transfer_strategies() -> dict[str, hookspecs.TransferStrategy]:
    """Transfer strategies by name."""
    return _get().collect(
        "register_transfer_strategies",
        key=lambda s: [s.name],
        check=_require("name", "priority", kind="transfer strategy"),
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


def batch_engines() -> dict[str, Any]:
    """Batch engines (``tiffin batch --engine NAME``) by name."""
    return _get().collect(
        "register_batch_engines",
        key=lambda e: [e.name],
        check=_require("name", "run", kind="batch engine"),
        kind="engine",
    )


def remotes() -> dict[str, hookspecs.Remote]:
    """Remotes (push, pull, ``--remote``, auto-pull) by URL scheme."""
    return _get().collect(
        "register_remotes",
        key=lambda r: [s.lower() for s in r.schemes],
        check=_require("schemes", "open", kind="remote"),
        kind="remote",
    )


def add_commands(app: Any) -> None:
    """Let every plugin add its CLI commands to ``app`` (a Typer app).

    One plugin's failure is a warning; a command name already taken is a warning and the
    plugin's command is dropped, so no plugin can replace a built-in command.
    """
    manager = _get()
    for impl in manager.pm.hook.register_commands.get_hookimpls():
        before_commands = len(app.registered_commands)
        before_groups = len(app.registered_groups)
        taken = _command_names(app)
        try:
            impl.function(app)
        except Exception as exc:
            manager._problem(
                impl.plugin_name,
                f"tiffin plugin {impl.plugin_name!r} failed to add its commands: "
                f"{type(exc).__name__}: {exc}",
                failed=True,
            )
            del app.registered_commands[before_commands:]
            del app.registered_groups[before_groups:]
            continue
        for registry, start in (
            (app.registered_commands, before_commands),
            (app.registered_groups, before_groups),
        ):
            added = registry[start:]
            del registry[start:]
            for info in added:
                name = _info_name(info)
                if name in taken:
                    manager._problem(
                        impl.plugin_name,
                        f"tiffin plugin {impl.plugin_name!r} adds the command {name!r}, which is "
                        f"already taken; the plugin's command is not added",
                        refused=True,
                    )
                    continue
                taken.add(name)
                registry.append(info)
                manager.note_registered(impl.plugin_name, f"command:{name}")


def _info_name(info: Any) -> str:
    """The name a Typer command or group registration will have on the command line."""
    if info.name:
        return info.name
    callback = getattr(info, "callback", None)
    if callback is None and getattr(info, "typer_instance", None) is not None:
        callback = info.typer_instance.registered_callback
        callback = getattr(callback, "callback", None)
        if getattr(info.typer_instance.info, "name", None):
            return info.typer_instance.info.name
    return callback.__name__.lower().replace("_", "-") if callback is not None else "?"


def _command_names(app: Any) -> set[str]:
    return {_info_name(i) for i in (*app.registered_commands, *app.registered_groups)}


def plugins_used_by(objects: Any) -> set[str]:
    """Names of the entry-point plugins whose code ``objects`` come from, or that they rely on.

    An object counts when its class is defined in a plugin's package (a third-party IO
    descriptor, a runnable); a plugin's data container counts when a type it handles is from
    a module already imported (the service works with such values). Built-ins never count.
    """
    import sys

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
    owners = {
        item: plugin for plugin, items in manager._registered_by.items() for item in items
    }
    for type_name in data_containers():
        owner = owners.get(f"container:{type_name}")
        if owner is not None and owner in packages.values() and type_name.split(".")[0] in sys.modules:
            used.add(owner)
    return used
