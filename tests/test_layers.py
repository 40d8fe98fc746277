"""The package's folders follow the flow, and imports only point down it.

Layers, lowest first: what a layer may import is its own folder and the layers below it. An
import inside a function counts as much as one at the top (hiding a circle in a function does
not remove it)."""

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "model"
LAYERS = ["domain", "io", "inputs", "formulation", "solver", "results", "analyses", "report",
          "pipeline"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    parts = module.split(".")
    assert parts[0] == "model" and len(parts) > 1, f"{module}: not inside a stage folder"
    assert parts[1] in LAYERS, f"{module}: model/{parts[1]} is not a stage of the flow"
    return LAYERS.index(parts[1])


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("model")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("model"):
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for target in imports_of(path):
            while target not in modules and "." in target:  # `from pkg import name`
                target = target.rsplit(".", 1)[0]
            if target != name:
                targets.add(target)
        edges[name] = targets
    return edges


@functools.cache
def package_graph() -> dict[str, set[str]]:
    """The package's import graph, read once for the tests that only look at it."""
    return graph()


def test_every_module_lives_in_a_stage_folder():
    strays = [m for m in package_graph() if m != "model" and m.split(".")[1] not in LAYERS]
    assert strays == []


def test_imports_only_point_down_the_flow():
    upward = [f"{a} imports {b}" for a, targets in package_graph().items() if a != "model"
              for b in targets if layer_of(b) > layer_of(a)]
    assert upward == []


def test_no_import_circle():
    edges = package_graph()
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_the_check_itself_sees_an_upward_import(tmp_path):
    # A function-level import upward must be caught, as the circles it used to hide were.
    probe = PACKAGE / "domain" / "_probe_upward.py"
    probe.write_text("def f():\n    from model.pipeline import run\n")
    try:
        upward = [b for b in graph()["model.domain._probe_upward"]]
        assert upward == ["model.pipeline"]
        assert layer_of("model.pipeline") > layer_of("model.domain._probe_upward")
    finally:
        probe.unlink()
