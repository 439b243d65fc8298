"""Core has no import circles, between modules and between packages.

The graph is read from the source with :mod:`ast`: every ``import`` anywhere in a module counts
(a deferred import inside a function is still a dependency), and importing ``a.b.c`` counts as
importing the packages ``a.b`` and ``a`` too, since Python runs their ``__init__`` first. A
circle found here names its modules.

Two checks: between *modules* (``if TYPE_CHECKING:`` blocks skipped: a real import-time or
run-time need), and between *packages* — the units ``tiffin.X`` (``tiffin.store``,
``tiffin._bento``, ``tiffin.models``...) — counting everything, ``TYPE_CHECKING`` imports
included: a package that needs another package's types still depends on it. That one is the
layering: ``tiffin.store`` at the bottom, nothing above it imported by it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tiffin

ROOT = Path(tiffin.__file__).parent

#: Circles known and accepted, each with the reason; shrink it, never grow it.
ACCEPTED: dict[frozenset[str], str] = {}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ["tiffin", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, known: set[str], *, type_checking: bool = False) -> set[str]:
    """The tiffin modules ``name`` imports, with the packages each import runs; imports under
    ``if TYPE_CHECKING:`` count only when ``type_checking``."""
    names: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                not type_checking
                and isinstance(child, ast.If)
                and "TYPE_CHECKING" in ast.unparse(child.test)
            ):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package[: len(package) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    result = set()
    for imported in names:
        if imported not in known:
            continue
        parts = imported.split(".")
        for i in range(2, len(parts) + 1):
            step = ".".join(parts[:i])
            if step in known and step != name and not name.startswith(step + "."):
                result.add(step)
    return result


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.add(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        circles.append(frozenset(component))
    return circles


def test_the_checker_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [frozenset({"a", "b", "c"})]


def test_core_has_no_import_circles() -> None:
    modules = _modules()
    assert "tiffin._storage.store" in modules and "tiffin._target" in modules
    graph = {name: _imported(name, path, set(modules)) for name, path in modules.items()}
    assert "tiffin._service.loader" in graph["tiffin._target"]  # the graph sees imports
    circles = [c for c in _circles(graph) if c not in ACCEPTED]
    shown = "; ".join(" <-> ".join(sorted(c)) for c in circles)
    assert not circles, f"import circles in core: {shown}"


def _unit(module: str) -> str:
    """The package a module belongs to: ``tiffin.store.copying`` -> ``tiffin.store``."""
    return ".".join(module.split(".")[:2])


#: Package edges still to cut, each with the change that cuts it. Shrink it, never grow it: a
#: new edge that closes a loop fails the test below.
PENDING_EDGES: dict[tuple[str, str], str] = {
    # _plugins annotates io_descriptors() with tiffin.io.IODescriptor (TYPE_CHECKING), while
    # tiffin.io looks descriptors up through _plugins; the protocol in hookspecs would do
    ("tiffin._plugins", "tiffin.io"): "_plugins annotation (contract)",
    # _bento/_build.py loads the service to build through tiffin._target (which can also load
    # bentos) and its OpenAPI document from tiffin._server; building needs only
    # tiffin._service.loader and an OpenAPI module below the server
    ("tiffin._bento", "tiffin._target"): "bento build loads its service (bento build)",
    ("tiffin._bento", "tiffin._server"): "bento build's OpenAPI document (bento build)",
}


def _package_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for name, path in modules.items():
        unit = _unit(name)
        graph.setdefault(unit, set())
        for imported in _imported(name, path, set(modules), type_checking=True):
            target = _unit(imported)
            if target not in (unit, "tiffin"):
                graph[unit].add(target)
                where.setdefault((unit, target), name)
    return graph, where


def test_core_packages_have_no_import_loop() -> None:
    graph, where = _package_graph()
    assert "tiffin.store" in graph["tiffin.models"]  # the graph sees packages
    assert "tiffin._model" in graph["tiffin._runner"] or "tiffin.store" in graph["tiffin._runner"]
    for edge in PENDING_EDGES:
        graph[edge[0]].discard(edge[1])
    loops = _circles(graph)
    shown = "; ".join(" <-> ".join(sorted(c)) for c in loops)
    edges = sorted(
        f"{a} -> {b} ({where[a, b]})" for c in loops for a in c for b in graph[a] if b in c
    )
    assert not loops, f"import loops between core's packages: {shown}; edges: {', '.join(edges)}"


def test_pending_edges_are_still_there() -> None:
    """An edge that was cut leaves the list (so the list only shrinks)."""
    graph, _ = _package_graph()
    gone = [f"{a} -> {b}" for a, b in PENDING_EDGES if b not in graph.get(a, set())]
    assert not gone, f"cut already, remove from PENDING_EDGES: {', '.join(gone)}"


def test_the_store_layer_imports_nothing_above_it() -> None:
    """tiffin.store sits at the bottom: below it only the contract, the plugin manager and
    leaves (exceptions, the converter, tiffin.transfer's helpers for strategies)."""
    graph, where = _package_graph()
    allowed = {
        "tiffin.hookspecs",
        "tiffin._plugins",
        "tiffin.exceptions",
        "tiffin._converter",
        "tiffin._version",
        "tiffin.transfer",
        "tiffin._missing_plugin",  # one line naming what to install (reads the plugin records)
    }
    above = sorted(f"{b} ({where['tiffin.store', b]})" for b in graph["tiffin.store"] - allowed)
    assert not above, f"tiffin.store imports packages above it: {', '.join(above)}"
