"""No module imports another module's private (``_``) names (DESIGN.md, "No module imports
another's private (`_`) names"): a helper two modules share gets a public name in the module
that owns it. Checked over every first-party package by reading the imports (``ast``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "chain",
    "common",
    "config",
    "ledger",
    "identity",
    "issuance",
    "corporate_actions",
    "settlement",
    "compliance",
    "frontend",
    "demo",
)


def private_imports(path: Path) -> list[str]:
    """``module:line name`` of each ``from X import _name`` in ``path`` where X is another
    first-party module (a package's own ``__init__`` re-exports are not imports of it)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
            continue
        if node.module.split(".")[0] not in PACKAGES or node.module == "__future__":
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}.{alias.name}")
    return found


def test_the_checker_finds_a_private_import(tmp_path):
    module = ROOT / "tests" / "_private_import_probe.py"
    module.write_text("from settlement.services import _record, instruction_create\n")
    try:
        assert private_imports(module) == ["tests/_private_import_probe.py:1 settlement.services._record"]
    finally:
        module.unlink()


def test_no_module_imports_a_private_name_of_another():
    offenders = [
        line
        for package in (*PACKAGES, "tests", "scripts", "bench")
        if (ROOT / package).is_dir()
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line in private_imports(path)
    ]
    assert offenders == []
