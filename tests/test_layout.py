"""The package's layout: each folder is one layer, imports run only downward, no module is a tangle.

The walk reads every ``import`` in the package, at module level or inside a function (a lazy
import is still a dependency), so a circle cannot hide behind a deferred import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forecast"

#: Layers from the bottom up; a module may import its own layer's modules and any layer below.
LAYERS = (
    ("forecast.version", "forecast.errors", "forecast.dims", "forecast.priors"),
    ("forecast.io",),
    ("forecast.data",),
    ("forecast.features",),
    ("forecast.model",),
    ("forecast.results",),
    ("forecast.inference",),
    ("forecast.evaluation",),
    ("forecast.report",),
    ("forecast.cli",),
    ("forecast", "forecast.__main__"),
)
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """Return the package modules ``path`` imports (``from a.b import c`` counts ``a.b.c`` if a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "forecast":
                continue
            subs = {f"{node.module}.{a.name}" for a in node.names} & known
            found |= subs or {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "forecast"}
    return found


def layer_of(name: str) -> int:
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or (prefix != "forecast" and name.startswith(prefix + ".")):
                best = rank
    if best is None and name in ("forecast", "forecast.__main__"):
        best = len(LAYERS) - 1
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS"
    return best


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods)) - {name} for name, path in mods.items()}


def test_imports_run_only_downward():
    deps = graph()
    wrong = [f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
             for a, uses in deps.items() for b in uses
             if b in deps and layer_of(b) > layer_of(a)]
    assert not wrong, "\n".join(wrong)


def test_no_import_circles():
    deps = graph()
    state: dict[str, int] = {}
    circles = []

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(deps):
        if name not in state:
            visit(name, [name])
    assert not circles, "\n".join(circles)


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_is_small_and_says_what_it_holds(name):
    path = modules()[name]
    text = path.read_text()
    assert ast.get_docstring(ast.parse(text)), f"{path} has no module docstring"
    assert len(text.splitlines()) <= MAX_LINES, f"{path}: {len(text.splitlines())} lines"


def test_the_walk_sees_a_circle(tmp_path, monkeypatch):
    """The checks above can fail: a planted deferred import upward is caught."""
    deps = graph()
    deps["forecast.data.scenario"] = deps["forecast.data.scenario"] | {"forecast.report.render"}
    assert any(layer_of(b) > layer_of("forecast.data.scenario")
               for b in deps["forecast.data.scenario"])


def test_only_the_cli_prints():
    """Library code returns text and data; printing (and exit codes) belong to forecast.cli."""
    printing = []
    for name, path in modules().items():
        if name.startswith("forecast.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                printing.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.Name) and node.id == "print" and not isinstance(node.ctx, ast.Store):
                printing.append(f"{path}:{node.lineno} (passes print on)")
    assert not printing, "\n".join(sorted(set(printing)))


def test_importing_the_plots_keeps_the_users_matplotlib_backend():
    code = ("import matplotlib; matplotlib.use('svg'); import forecast.report.render; "
            "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
