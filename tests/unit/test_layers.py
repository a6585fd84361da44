"""The package's shape: imports point down the data flow, and no module imports itself
back through others. Both read the source (grimp, as import-linter does); nothing runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_layers_contract_holds() -> None:
    """import-linter's layers contract in pyproject.toml: interfaces on top, types last."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 1 kept, 0 broken." in done.stdout


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("assistant", cache_dir=None)
    modules = sorted(graph.modules)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in modules:
        if module not in state:
            visit(module, [module])
    assert cycles == [], "\n".join(" → ".join(c) for c in cycles)


def test_no_module_over_350_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "assistant").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350
    }
    assert long == {}
