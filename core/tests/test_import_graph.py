"""Core has no import circles: a module never needs, even lazily, a module that needs it.

The graph is read from the source with :mod:`ast`: every ``import`` anywhere in a module counts
(a deferred import inside a function is still a dependency; only ``if TYPE_CHECKING:`` blocks
are skipped), and importing ``a.b.c`` counts as importing the packages ``a.b`` and ``a`` too,
since Python runs their ``__init__`` first. A circle found here names its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tiffin

ROOT = Path(tiffin.__file__).parent

#: Circles known and accepted, each with the reason; shrink it, never grow it.
ACCEPTED: dict[frozenset[str], str] = {
    frozenset({"tiffin._plugins", "tiffin.io"}): (
        "_plugins checks registered IO descriptor classes against tiffin.io.IODescriptor, and "
        "tiffin.io resolves third-party descriptors through _plugins; goes when the IO "
        "descriptor contract is a protocol in tiffin.hookspecs (issue 9, section 1)"
    ),
    frozenset(
        {
            "tiffin._bento._api",
            "tiffin._bento.loader",
            "tiffin._registry._auto",
            "tiffin._registry._kinds",
            "tiffin._registry._pull",
            "tiffin._registry._push",
            "tiffin.models",
        }
    ): (
        "arrived with the registry client: models.get pulls a missing model through "
        "_registry._auto, which knows the model and bento stores; to break next, e.g. by "
        "putting the registry as one more store at the end of models.stores()"
    ),
    frozenset({"tiffin._server._app", "tiffin._server._openapi", "tiffin._server._v2"}): (
        "arrived with the V2 protocol routes; to break next by moving what _openapi and _v2 "
        "share with _app into a module below them"
    ),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = ["tiffin", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The tiffin modules ``name`` imports, with the packages each import runs."""
    names: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
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
