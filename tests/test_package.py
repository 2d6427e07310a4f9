"""muon as a package: built into a wheel, installed elsewhere, scaffolding and planning a team's repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from muon.cli.main import entry, hoist_global_options
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel built from this repository installed in it.

    The third-party dependencies come from this environment's site-packages (a path entry, so its
    editable install of muon is not active there): the test stays offline and fast, and `muon`
    itself can only come from the wheel.
    """
    root = tmp_path_factory.mktemp("package")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root),
            ".",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    (wheel,) = root.glob("muon-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True
    )
    return venv


def muon(venv: Path, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / "muon"), *args],
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_wheel_holds_one_muon_namespace(installed: Path) -> None:
    result = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import muon.stacks.compose as p, importlib.util as u; print(p.__file__); "
            "print([n for n in ('stacks', 'components', 'cli', 'policy') if u.find_spec(n)])",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    where, top_level = result.stdout.splitlines()
    assert where.startswith(str(installed)) and not where.startswith(str(PROJECT_DIR))
    assert top_level == "[]"  # no top-level `stacks`, `cli`… to collide with a team's packages
    (wheel,) = installed.parent.glob("muon-*.whl")
    assert "muon/py.typed" in zipfile.ZipFile(wheel).namelist()  # PEP 561: checkers read muon's hints


def test_init_then_plan_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    team = tmp_path / "banana"
    team.mkdir()
    result = muon(
        installed, team, "init", "--name", "banana", "--port", "8080", "--path", "/bananas", "--database"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in team.iterdir()) == [
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.yaml",
        "__main__.py",
        "buildspec-test.yml",
        "muon.yaml",
        "requirements.txt",
    ]
    assert len((team / "__main__.py").read_text().strip().splitlines()) == 4  # docstring, import, blank, call
    assert "muon==" in (team / "requirements.txt").read_text()
    plan = muon(installed, team, "plan", "dev", "--quiet")
    assert plan.returncode == 0, plan.stderr
    assert "aws:ecs/service:Service" in plan.stdout and "aws:rds/cluster:Cluster" in plan.stdout
    assert "Offline plan of stack 'dev'" in plan.stdout
    # The same from another folder, naming the project.
    elsewhere = muon(installed, tmp_path, "--cwd", str(team), "plan", "dev", "--quiet")
    assert elsewhere.returncode == 0, elsewhere.stderr


def test_init_with_a_pipeline_renders_the_delivery_stack(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nEXPOSE 9090\n")
    result = muon(installed, tmp_path, "init", "--name", "apple", "--pipeline", "github:acme/apple")
    assert result.returncode == 0, result.stderr
    assert "port: 9090" in (tmp_path / "muon.yaml").read_text()  # the Dockerfile's EXPOSE
    assert "- /apple" in (tmp_path / "muon.yaml").read_text()
    plan = muon(installed, tmp_path, "plan", "pipeline", "--quiet", "--json-file", "plan.json")
    assert plan.returncode == 0, plan.stderr
    assert (
        "aws:codepipeline/pipeline:Pipeline" in plan.stdout and "aws:ecr/repository:Repository" in plan.stdout
    )
    # The pipeline installs muon from the team's requirements.txt and deploys with it.
    document = json.loads((tmp_path / "plan.json").read_text())
    deploy = next(
        r["inputs"]
        for r in document["resources"]
        if r["type"] == "aws:codebuild/project:Project" and r["name"].endswith("-deploy")
    )
    spec = yaml.safe_load(deploy["source"]["buildspec"])
    assert any("pip install -q -r requirements.txt" in c for c in spec["phases"]["install"]["commands"])
    build = spec["phases"]["build"]["commands"]
    assert any(c.startswith(".venv/bin/python -m muon.stacks.deploy set-images") for c in build)


def run_entry(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        entry(list(args))
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def test_init_never_overwrites_without_force(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - not a terminal: no prompts
    assert run_entry(capsys, "init", "--name", "banana")[0] == 0
    (tmp_path / "muon.yaml").write_text("# mine\n")
    code, _, err = run_entry(capsys, "init", "--name", "banana")
    assert (code, err) == (
        2,
        f"muon: {tmp_path / 'Pulumi.yaml'} exists; muon init never overwrites a file (use --force)\n",
    )
    assert (tmp_path / "muon.yaml").read_text() == "# mine\n"
    assert run_entry(capsys, "init", "--name", "banana", "--force")[0] == 0
    assert "banana" in (tmp_path / "muon.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("init", "--bogus"), "muon: No such option: --bogus"),
        (
            ("init", "--name", "Banana"),
            "muon: --name: 'Banana' is not a service name: 2-22 lowercase letters",
        ),
        (("init", "--name", "b"), "muon: --name: 'b' is not a service name"),
        (("init", "--name", "banana", "--port", "70000"), "muon: --port: 70000 is not a port (1-65535)"),
        (("init", "--name", "banana", "--port", "0"), "muon: --port: 0 is not a port (1-65535)"),
        (("init", "--name", "banana", "--port", "http"), "muon: Invalid value for '--port'"),
        (("init", "--name", "banana", "--path", "bananas"), "muon: --path: 'bananas' must start with '/'"),
        (
            ("init", "--name", "banana", "--pipeline", "gitlab:a/b"),
            "muon: --pipeline: expected github:OWNER/REPO",
        ),
        (("init",), "muon: --name is required"),
    ],
)
def test_bad_init_input_is_one_line(tmp_path: Path, monkeypatch, capsys, args, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    code, _, err = run_entry(capsys, *args)
    assert code == 2
    assert err.startswith(expected) and err.count("\n") == 1, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_global_flags_may_follow_the_subcommand() -> None:
    assert hoist_global_options(["env", "list", "--json"]) == ["--json", "env", "list"]
    assert hoist_global_options(["plan", "dev", "--json-file", "x.json"]) == [
        "plan",
        "dev",
        "--json-file",
        "x.json",
    ]
