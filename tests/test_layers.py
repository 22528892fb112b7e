"""The house has four floors and one direction: bot > handlers > storage > locales. A module
imports only from its own floor and the floors under it, and no two modules import each other,
even through others or from inside a function."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ("bot", "handlers", "storage", "locales")  # top to bottom


def modules() -> dict[str, Path]:
    found = {}
    for floor in FLOORS:
        for path in (ROOT / floor).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imported(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, wherever in the file the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:  # `from handlers import market` imports a module
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    targets |= {parent for target in targets for parent in outer_packages(target, name)}
    return {t for t in targets if t.split(".")[0] in FLOORS and t != name}


def outer_packages(target: str, importer: str) -> list[str]:
    """The packages whose `__init__` Python runs first when `importer` imports `target`: those
    of `target` that `importer` is not inside of (`handlers.directory` for
    `handlers.registration` importing `handlers.directory.consent`)."""
    parts = target.split(".")
    parents = (".".join(parts[:n]) for n in range(2, len(parts)))  # the floors: no imports
    return [p for p in parents if p in MODULES and not f"{importer}.".startswith(f"{p}.")]


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def floor(module: str) -> int:
    return FLOORS.index(module.split(".")[0])


def test_every_import_points_down():
    upward = sorted(f"{name} imports {target}" for name, targets in GRAPH.items()
                    for target in targets if floor(target) < floor(name))
    assert upward == []


def test_no_module_imports_itself_through_others():
    loops, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                loops.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert loops == []


@pytest.mark.parametrize("source, expected", [
    ("from bot.engine import Engine", {"bot.engine"}),
    ("from handlers import market", {"handlers.market"}),
    ("from handlers.market.deals import deal", {"handlers.market.deals", "handlers.market"}),
    ("def f():\n    from bot import jobs", {"bot"}),
    ("import storage.models", {"storage.models"}),
    ("from . import turn", {"handlers.turn"}),
    ("import json", set()),
])
def test_imports_are_read_wherever_they_are(tmp_path, source, expected):
    path = tmp_path / "probe.py"
    path.write_text(source)
    assert imported("handlers.probe", path) == expected


def test_an_upward_import_would_be_seen():
    """The checks above look at real modules: the graph is not empty and a handler's import of
    the engine would break the first rule."""
    assert "storage.models" in GRAPH["handlers.turn"]
    assert floor("bot.engine") < floor("handlers.turn")
