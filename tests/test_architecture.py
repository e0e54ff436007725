"""The package's import graph, read from the source (ast): no cycle, and only the arrows the
architecture allows (autograd never imports nn, optim or kissgrad; kernels import no node)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn", "optim", "kissgrad")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path, name, modules):
    """Every package module ``path`` imports, at its top or inside a function
    (``from . import engine`` imports ``autograd.engine``, not the package's ``__init__``)."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            anchor = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(anchor + ([node.module] if node.module else []))
            submodules = {f"{module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {module})
    return {m for m in found if m.split(".")[0] in PACKAGES}


def import_graph():
    modules = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    return {name: {m for m in imported_modules(path, name, set(modules)) if m in modules and m != name}
            for name, path in modules.items()}


GRAPH = import_graph()


def find_cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search, iterative)."""
    state = {}
    for start in sorted(graph):
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = "open"
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def test_the_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_package_modules():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


FORBIDDEN = [("autograd", ("nn", "optim", "kissgrad")), ("nn", ("kissgrad",)),
             ("optim", ("nn", "kissgrad")), ("autograd.kernels", ("autograd.node", "autograd.tensor",
                                                                  "autograd.value", "autograd.engine"))]


@pytest.mark.parametrize("layer, below", FORBIDDEN, ids=[layer for layer, _ in FORBIDDEN])
def test_no_forbidden_arrow(layer, below):
    arrows = [(a, b) for a, targets in GRAPH.items() if a == layer or a.startswith(layer + ".")
              for b in targets if any(b == f or b.startswith(f + ".") for f in below)]
    assert not arrows, arrows


def test_the_graph_is_read():
    assert "autograd.node" in GRAPH["autograd.engine"] and "autograd.ops" in GRAPH["autograd.engine"]
