"""Fast feedback: `muon --help`, `muon init` and a definition error answer without importing Pulumi or
the AWS SDK (what made them slow: bench/feedback.py measures it; no test here is timed)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel

from muon.cli.main import _commands, help_of
from muon.stacks.definition import Definition
from tests.conftest import PROJECT_DIR

HEAVY = ("pulumi", "pulumi_aws", "pulumi_policy", "boto3", "botocore")

PROBE = """
import atexit, json, sys
heavy = {heavy!r}
atexit.register(lambda: sys.stderr.write("LOADED " + json.dumps(sorted(
    m for m in heavy if m in sys.modules)) + "\\n"))
from muon.cli.main import entry
entry({args!r})
"""


def loaded(args: list[str], cwd: Path, heavy: tuple[str, ...] = HEAVY) -> tuple[int, list[str], str]:
    """Run `muon ARGS` in a fresh interpreter: (exit status, heavy modules it imported, stderr)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy, args=args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )
    marker = [line for line in result.stderr.splitlines() if line.startswith("LOADED ")]
    assert marker, result.stderr
    return result.returncode, json.loads(marker[-1][len("LOADED ") :]), result.stderr


def bad_project(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_feedback", PROJECT_DIR / "bench" / "feedback.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.bad_project(folder)


def test_help_imports_neither_pulumi_nor_the_aws_sdk(tmp_path: Path) -> None:
    for args in (["--help"], ["init", "--help"], ["plan", "--help"]):
        code, heavy, _ = loaded(args, tmp_path)
        assert (code, heavy) == (0, []), args


def test_a_command_s_help_builds_no_option(tmp_path: Path) -> None:
    """`muon init --help` does not process the global options first: typer would build a pydantic
    adapter for each (its model machinery, pydantic.main, and importlib.metadata for its plugins)."""
    for args in (["--help"], ["init", "--help"], ["env", "add", "--help"], ["db", "password", "--help"]):
        code, heavy, _ = loaded(args, tmp_path, (*HEAVY, "pydantic.main", "importlib.metadata"))
        assert (code, heavy) == (0, []), args


def command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    context = command.context_class(command, info_name=path[-1] if path else "muon")
    names = command.list_commands(context) if hasattr(command, "list_commands") else []
    return [path] + [
        p for name in names for p in command_paths(command.get_command(context, name), (*path, name))
    ]


def test_a_command_s_help_is_typer_s(capsys: pytest.CaptureFixture[str]) -> None:
    """The help `muon` prints without processing the global options is the one typer prints, for
    every command and group (`muon plan --help` is the plan's own parser's)."""
    commands = _commands()
    paths = [p for p in command_paths(typer.main.get_command(commands.app)) if p[:1] != ("plan",)]
    assert ("init",) in paths and ("db", "password", "set") in paths
    for path in paths:
        assert help_of(commands.app, [*path, "--help"]), path
        ours = capsys.readouterr().out
        with pytest.raises(SystemExit) as exit_:
            commands.app(args=[*path, "--help"], prog_name="muon")
        assert (exit_.value.code, capsys.readouterr().out) == (0, ours), path
    # What is not a command's help is left to typer: an option first, an unknown command.
    for args in (["--json", "init", "--help"], ["banana", "--help"], ["init", "--name"], ["init"]):
        assert not help_of(commands.app, args), args


def test_a_definition_error_imports_neither_pulumi_nor_the_aws_sdk(tmp_path: Path) -> None:
    project = bad_project(tmp_path)
    code, heavy, err = loaded(["plan", "dev"], project, (*HEAVY, "importlib.metadata", "pydantic.main"))
    assert (code, heavy) == (2, [])  # nor a model: the shape check answers first (stacks/definition/shape.py)
    assert "error: muon.yaml: services.banana.port: expected a whole number, got 'banana'" in err
    # The same through `python -m muon.plan`, and for a stack file's own error.
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: mars-1\n  muon:environments: [dev]\n")
    probe = "import sys\nfrom muon.plan.command import main\ncode = main(['dev'])\n"
    probe += f"print(sorted(m for m in {HEAVY!r} if m in sys.modules)); sys.exit(code)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    assert (result.returncode, result.stdout) == (2, "[]\n")
    assert "aws:region: 'mars-1' is not an AWS region" in result.stderr


def test_muon_init_imports_neither_pulumi_nor_the_aws_sdk(tmp_path: Path) -> None:
    code, heavy, err = loaded(["init", "--name", "banana"], tmp_path)
    assert (code, heavy) == (0, []), err
    assert (tmp_path / "muon.yaml").is_file()


def test_the_definition_check_scans_no_plugin_and_leaves_pydantic_s_loader() -> None:
    """While the definition is checked pydantic finds no plugin without importing its loader
    (importlib.metadata); validators built afterwards get pydantic's own loader."""
    probe = """
import sys
from pydantic import BaseModel
from muon.plan.quick import LOADER, without_plugin_scan
with without_plugin_scan():
    class Inside(BaseModel):
        size: int
    assert Inside(size="2").size == 2
    assert "importlib.metadata" not in sys.modules
assert LOADER not in sys.modules
class After(BaseModel):
    size: int
assert After(size="3").size == 3
from pydantic.plugin import _loader
assert sys.modules[LOADER] is _loader and _loader.__file__ and "importlib.metadata" in sys.modules
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=300
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


def nested_models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """``model`` and every model its fields hold, however deep."""

    def types(annotation: Any) -> Iterator[Any]:
        yield annotation
        for argument in typing.get_args(annotation):
            yield from types(argument)

    if model not in seen:
        seen.add(model)
        for field in model.model_fields.values():
            for inner in types(field.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    nested_models(inner, seen)
    return seen


def test_a_nested_object_s_default_is_what_validating_nothing_gives() -> None:
    """A nested object's default is its model's field defaults (model_construct: no validator built
    for it alone), equal to what validating {} gives: the same definition as before."""
    defaults = [
        (model, name, field.default_factory)
        for model in nested_models(Definition, set())
        for name, field in model.model_fields.items()
        if field.default_factory is not None
    ]
    nested = [(m, n, f) for m, n, f in defaults if getattr(f, "__name__", "") == "model_construct"]
    assert len(nested) >= 17
    for model, name, factory in nested:
        owner = factory.__self__  # type: ignore[union-attr]
        value = factory()  # type: ignore[call-arg]
        assert type(value) is owner and value == owner.model_validate({}), f"{model.__name__}.{name}"
        assert value.model_fields_set == set(), f"{model.__name__}.{name}"
    # A model class as a default would build its own validator again.
    assert not [(m, n) for m, n, f in defaults if isinstance(f, type) and issubclass(f, BaseModel)]
