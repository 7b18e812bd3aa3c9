"""Packages import only downward, and no module takes part in an import circle.

The order is written here (and in DESIGN.md): pipeline < tokenizer < model < trainer < evaluation < webapp. A module
may import its own package and any package left of it; `model` imports nothing of the project (it is the model,
generation, the chat format and the HF/GGUF formats, usable on its own). bench/ and tests/ may import anything.
Every import counts, including those inside functions and under `if TYPE_CHECKING:`: a deferred import is still
an arrow, and a deferred circle still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

ORDER = ("pipeline", "tokenizer", "model", "trainer", "evaluation", "webapp")
IMPORTS_NOTHING = {"model"}


def module_files() -> dict[str, Path]:
    """module name → file, for every module of the packages in ORDER."""
    modules = {}
    for package in ORDER:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(path: Path, module: str, modules) -> list[tuple[str, int]]:
    """(project module, line) of every import in the file, relative ones resolved against `module`:
    `from a.b import c` is an arrow to a.b.c when that is a module, else to a.b."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base, node.lineno)
                      for alias in node.names]
    return [(name, line) for name, line in found if name in modules and name != module]


def import_graph() -> dict[str, dict[str, str]]:
    """module → {project module it imports: where (file:line)}."""
    modules = module_files()
    graph: dict[str, dict[str, str]] = {name: {} for name in modules}
    for name, path in modules.items():
        for target, line in imported_modules(path, name, modules):
            graph[name].setdefault(target, f"{path.relative_to(REPO)}:{line}")
    return graph


def circles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def upward_arrows(graph: dict[str, dict[str, str]]) -> list[str]:
    arrows = []
    for source, targets in graph.items():
        low = source.split(".")[0]
        for target, where in targets.items():
            high = target.split(".")[0]
            if high == low:
                continue
            if low in IMPORTS_NOTHING or ORDER.index(high) > ORDER.index(low):
                arrows.append(f"{where}: {source} imports {target}")
    return arrows


def test_no_package_imports_a_higher_one():
    assert upward_arrows(import_graph()) == []


def test_no_module_is_in_an_import_circle():
    assert circles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}}, [["a", "b", "c"]]),
    ({"a": {"b": ""}, "b": {}, "c": {"b": ""}}, []),
])
def test_circles_are_found(graph, expected):
    assert circles(graph) == expected


def test_an_upward_or_deferred_import_is_an_arrow(tmp_path):
    source = tmp_path / "step.py"
    source.write_text("from pipeline.x import y\n\ndef f():\n    from trainer.loop import Trainer\n", encoding="utf-8")
    names = [name for name, _ in imported_modules(source, "tokenizer.step", {"trainer.loop", "pipeline.x"})]
    assert names == ["pipeline.x", "trainer.loop"]
    graph = {"tokenizer.step": {"trainer.loop": "step.py:4", "pipeline.x": "step.py:1"}, "model.a": {"pipeline.x": ""}}
    assert upward_arrows(graph) == ["step.py:4: tokenizer.step imports trainer.loop", ": model.a imports pipeline.x"]
