"""The rooms keep to their jobs: ``stacks/definition`` and ``stacks/resolve`` decide plain values
and never touch Pulumi (no import of its SDK or a provider's, no resource class within reach);
declaring resources and wiring Outputs is ``stacks/compose*.py``'s and ``stacks/wiring``'s job.
And no module of ``stacks/``, ``plan/`` or ``components/`` grows past what one reading holds."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pulumi
import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_ROOMS = ("stacks/definition", "stacks/resolve")
PURE_MODULES = sorted(
    path for room in PURE_ROOMS for path in (ROOT / room).glob("*.py") if path.name != "__init__.py"
)
MODULE_LINES = 400
"""About the size one reading holds (the brief's "modules < ~400 lines"); a module over it is
split along its seams."""
SIZED_ROOMS = ("stacks", "plan", "components")
GENERATED = ("stacks/definition/shape_table.py",)
"""Data a command writes and a test compares (shape_build.py), not code anyone reads through."""


def _module_name(path: Path) -> str:
    return "muon." + ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names (at any depth: a function's own imports too)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pure_module_imports_no_pulumi_sdk(path: Path) -> None:
    """Not ``pulumi``, ``pulumi_aws`` or any provider SDK: the resolve stage runs (and is tested)
    without the engine, and an Output or a resource cannot creep in through a type."""
    offending = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for line, module in _imported(ast.parse(path.read_text()))
        if module.split(".")[0] == "pulumi" or module.startswith("pulumi_")
    ]
    assert offending == []


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pure_module_has_no_resource_in_reach(path: Path) -> None:
    """A module that holds no resource class (a component, a StackReference) cannot declare one:
    what it imports of ``components/`` are arguments and facts, never the components."""
    module = importlib.import_module(_module_name(path))
    resources = sorted(
        name
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, pulumi.Resource) and name != "StackReference"
    )
    assert resources == []


def test_a_resolve_module_is_handed_a_stack_reference_never_makes_one() -> None:
    """``StackReference`` is named in resolve only as the type of what ``stacks/facts.py`` read:
    no call of it (nor of ``ResourceOptions``, ``Output``) appears in the pure rooms' source."""
    calls = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in PURE_MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("StackReference", "ResourceOptions", "Output")
    ]
    assert calls == []


def test_the_rule_sees_what_it_guards() -> None:
    """The checks above find an import and a resource where there is one (not vacuous)."""
    tree = ast.parse("def f():\n    import pulumi_aws as aws\nfrom pulumi.runtime import config\n")
    assert sorted(module for _, module in _imported(tree)) == ["pulumi.runtime", "pulumi_aws"]
    compose = importlib.import_module("muon.stacks.compose_workloads")
    assert any(inspect.isclass(v) and issubclass(v, pulumi.Resource) for v in vars(compose).values())
    assert len(PURE_MODULES) > 30


def test_no_module_outgrows_one_reading() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for room in SIZED_ROOMS
        for path in (ROOT / room).rglob("*.py")
        if str(path.relative_to(ROOT)) not in GENERATED
    }
    assert len(sizes) > 100
    assert {path: lines for path, lines in sizes.items() if lines > MODULE_LINES} == {}


def test_the_definition_package_exports_what_a_type_checker_reads() -> None:
    """stacks/definition/__init__.py loads its names on first use (HOMES); a type checker reads the
    imports under TYPE_CHECKING instead: the two name the same homes, and every name loads."""
    package = importlib.import_module("muon.stacks.definition")
    tree = ast.parse((ROOT / "stacks" / "definition" / "__init__.py").read_text())
    guarded = next(node for node in tree.body if isinstance(node, ast.If))
    seen = {
        alias.asname or alias.name: str(node.module).rsplit(".", 1)[-1]
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == package.HOMES
    for name, home in package.HOMES.items():
        assert getattr(package, name) is getattr(
            importlib.import_module(f"muon.stacks.definition.{home}"), name
        )
