"""The code's shape: no module reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingest", "rag", "api", "ui", "eval", "radslag")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_here(tree: ast.Module) -> set[str]:
    """Private names a module defines itself (functions, classes, attributes it assigns)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if _private(n)}


def test_no_module_uses_another_modules_private_names() -> None:
    """Strategies call the retriever's and the snapshot's public methods, and callers use a
    module's interface, not its internals. (Third-party private-looking names such as
    SQLAlchemy's ``row._mapping`` are not the project's: only names a project module defines
    count.)"""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}
    ours = set().union(*(_defined_here(tree) for tree in trees.values()))
    found = []
    for path, tree in trees.items():
        own = _defined_here(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
                found += [f"{path.relative_to(ROOT)}: from {node.module} import {a.name}" for a in node.names if _private(a.name)]
            elif isinstance(node, ast.Attribute) and node.attr in ours and node.attr not in own:
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert not found, "\n".join(found)
