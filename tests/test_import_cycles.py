"""The services and tasks import each other in one direction only, with no import hidden in a function.

assessments.services ↔ assessments.tasks ↔ incentives.services once formed a loop that only
loaded because some of its imports ran inside functions. This reads the source (no imports
run) and builds the graph of every import in the apps, at module level or inside a function,
counting that importing `a.b.c` runs the package `a.b` first.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APPS = (
    "assessments",
    "incentives",
    "surveys",
    "dealers",
    "workbench",
    "config",
    "goals",
    "insights",
    "support",
)
WATCHED = ("assessments.services", "assessments.tasks", "incentives.services")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, tuple[Path, bool]]:
    """Every module of the apps: its file, and whether it is a package."""
    found = {}
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = (path, path.name == "__init__.py")
    return found


def _imports(name: str, path: Path, is_package: bool, modules: set[str]) -> dict[str, bool]:
    """The project modules this one imports, each with whether the import is inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, bool] = {}

    def add(target: str, nested: bool) -> None:
        while target and target not in modules:  # `from a.b import name` where name is no module
            target = target.rpartition(".")[0]
        # Importing a.b.c runs the packages a and a.b first, except those this module is inside
        # of: they are already being imported when it runs.
        while target and not (name == target or name.startswith(f"{target}.")):
            found[target] = found.get(target, False) or nested
            target = target.rpartition(".")[0]

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, inner)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    add(f"{base}.{alias.name}", inner)
            visit(child, inner)

    visit(tree, False)
    return found


def _graph() -> dict[str, dict[str, bool]]:
    sources = _sources()
    modules = set(sources)
    return {name: _imports(name, path, is_package, modules) for name, (path, is_package) in sources.items()}


def _watched(name: str) -> bool:
    return any(name == w or name.startswith(f"{w}.") or name.startswith(f"{w}_") for w in WATCHED)


def _cycles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                connect(target)
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
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return out


def test_the_graph_sees_the_imports_that_matter():
    # The scan must see the edges the design rests on, or an empty graph would pass.
    graph = _graph()
    assert "assessments.services.recompute" in graph["assessments.tasks"]
    assert "assessments.services.queueing" in graph["incentives.services.vetoes"]
    assert "incentives.services" in graph["assessments.services.closing"]
    assert "assessments.services" in graph["incentives.services.vetoes"]  # the package runs first
    assert graph["incentives.services.actions"]["incentives.services.rectification"] is False


def test_no_import_cycle_runs_through_the_services_or_tasks():
    cycles = [c for c in _cycles(_graph()) if any(_watched(m) for m in c)]
    assert cycles == []


def test_the_services_and_tasks_import_each_other_at_module_level_only():
    # An import inside a function is how the old loop stayed hidden; the cycle check above
    # counts such imports too, this one keeps them from coming back between these modules.
    hidden = sorted(
        f"{name} → {target}"
        for name, targets in _graph().items()
        if _watched(name)
        for target, nested in targets.items()
        if nested and _watched(target)
    )
    assert hidden == []
