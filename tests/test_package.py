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

WHEEL_URL = "https://artifacts.acme.example/muon/muon_platform-0.2.0-py3-none-any.whl"


def build_wheel(target: Path) -> Path:
    """The wheel of this repository, built offline (setuptools from this environment)."""
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
            str(target),
            ".",
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    (wheel,) = target.glob("muon_platform-*.whl")
    return wheel


def fresh_venv(venv: Path, wheel: Path) -> Path:
    """A new virtual environment with muon-platform installed from ``wheel``'s folder, as from an
    index (``--no-index --find-links``; ``--ignore-installed``: this environment's editable muon is
    visible through the path entry and would otherwise count as installed).

    The third-party dependencies come from this environment's site-packages (a path entry, so its
    editable install of muon is not active there): the test stays offline and fast, and `muon`
    itself can only come from the wheel.
    """
    # No pip of its own (its bootstrap costs more than the rest of this): this environment's pip
    # installs into it (--python).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    pip += ["--no-index", "--ignore-installed"]
    subprocess.run(
        [*pip, "--find-links", str(wheel.parent), "muon-platform"],
        check=True,
        capture_output=True,
    )
    return venv


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel built from this repository installed in it."""
    return fresh_venv(tmp_path_factory.mktemp("package") / "venv", wheel)


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


@pytest.mark.slow
def test_the_wheel_holds_one_muon_namespace(installed: Path, wheel: Path) -> None:
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
    assert "muon/py.typed" in zipfile.ZipFile(wheel).namelist()  # PEP 561: checkers read muon's hints


@pytest.mark.slow
def test_the_wheel_ships_what_a_team_must_run(installed: Path, wheel: Path, tmp_path: Path) -> None:
    """The JSON Schemas and the deploy roles' policy come from the installed muon, in a folder that
    is not muon's repository."""
    names = zipfile.ZipFile(wheel).namelist()
    assert {"muon/schema/muon.schema.json", "muon/schema/organization.schema.json"} <= set(names)
    for name, path in (("muon", "muon.schema.json"), ("organization", "organization.schema.json")):
        printed = muon(installed, tmp_path, "schema", name)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout == (PROJECT_DIR / "schema" / path).read_text()
    policy = muon(
        installed, tmp_path, "--cwd", str(PROJECT_DIR), "deploy-role-policy", "--account", "123456789012"
    )
    assert policy.returncode == 0, policy.stderr
    assert {
        "Sid": "WhoAmI",
        "Effect": "Allow",
        "Action": "sts:GetCallerIdentity",
        "Resource": "*",
    } in json.loads(policy.stdout)["Statement"]


@pytest.mark.slow
def test_init_then_plan_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    team = tmp_path / "banana"
    team.mkdir()
    result = muon(
        installed, team, "init", "--name", "banana", "--port", "8080", "--path", "/bananas", "--database"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in team.iterdir()) == [
        ".gitignore",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.yaml",
        "__main__.py",
        "muon.yaml",
        "requirements.txt",
    ]
    assert len((team / "__main__.py").read_text().strip().splitlines()) == 4  # docstring, import, blank, call
    assert "muon-platform==" in (team / "requirements.txt").read_text()
    plan = muon(installed, team, "plan", "dev", "--quiet")
    assert plan.returncode == 0, plan.stderr
    assert "aws:ecs/service:Service" in plan.stdout and "aws:rds/cluster:Cluster" in plan.stdout
    assert "Offline plan of stack 'dev'" in plan.stdout
    # The same from another folder, naming the project.
    elsewhere = muon(installed, tmp_path, "--cwd", str(team), "plan", "dev", "--quiet")
    assert elsewhere.returncode == 0, elsewhere.stderr


@pytest.mark.slow
def test_init_with_a_pipeline_renders_the_delivery_stack(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nEXPOSE 9090\n")
    result = muon(
        installed,
        tmp_path,
        "init",
        "--name",
        "apple",
        "--pipeline",
        "github:acme/apple",
        "--muon-source",
        WHEEL_URL,
    )
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


def test_the_wheel_ships_py_typed_and_the_policy_pack(installed: Path, tmp_path: Path) -> None:
    """A type checker follows the installed package (PEP 561), and `muon policy-pack` writes the
    pack from the wheel alone, naming the environment it is installed in."""
    site = next(installed.glob("lib/python*/site-packages"))
    assert (site / "muon" / "py.typed").is_file()
    result = muon(installed, tmp_path, "policy-pack", "--path", "pack")
    assert (result.returncode, result.stdout) == (0, f"{tmp_path / 'pack'}\n"), result.stderr
    settings = yaml.safe_load((tmp_path / "pack" / "PulumiPolicy.yaml").read_text())
    assert settings["runtime"]["options"]["virtualenv"] == str(installed)
    assert 'PolicyPack(name="muon-compliance"' in (tmp_path / "pack" / "__main__.py").read_text()


def run_entry(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        entry(list(args))
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def test_init_never_overwrites(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - not a terminal: no prompts
    assert run_entry(capsys, "init", "--name", "banana")[0] == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "Pulumi.dev.yaml").write_text("# mine\n")
    code, out, err = run_entry(capsys, "init", "--name", "banana")
    assert (code, err) == (0, "")
    assert "kept Pulumi.yaml, __main__.py, Pulumi.dev.yaml, Pulumi.prod.yaml, requirements.txt" in out
    assert "wrote" not in out and "added" not in out  # nothing missing, nothing duplicated
    assert (tmp_path / "Pulumi.dev.yaml").read_text() == "# mine\n"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "Pulumi.dev.yaml"} == {
        k: v for k, v in before.items() if k != "Pulumi.dev.yaml"
    }


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
        (("init", "--name", "banana", "--region", "mars-1"), "muon: --region: 'mars-1' is not an AWS region"),
        (
            ("init", "--name", "banana", "--region", "eu-wset-1"),
            "muon: --region: 'eu-wset-1' is not an AWS region; did you mean eu-west-1?",
        ),
        (
            ("init", "--name", "banana", "--domain", "Shop.Acme"),
            "muon: --domain: 'Shop.Acme' is not a lowercase",
        ),
        (("init", "--name", "banana", "--zone", "acme.com"), "muon: --zone: only with --domain"),
        (
            ("init", "--name", "banana", "--domain", "shop.acme.com", "--zone", "other.com"),
            "muon: --zone: shop.acme.com is not inside the zone other.com",
        ),
        (
            ("init", "--name", "banana", "--muon-source", "http://pypi.acme.example/simple/"),
            "muon: --muon-source: 'http://pypi.acme.example/simple/': expected https://",
        ),
        (
            ("init", "--name", "banana", "--muon-source", "https://me:secret@pypi.acme.example/simple/"),
            "muon: --muon-source: credentials never go in a requirement",
        ),
        (("init", "--name", "banana", "--muon-source", "muon"), "muon: --muon-source: 'muon' is neither"),
        (
            ("init", "--name", "banana", "--pipeline", "github:acme/banana"),
            "muon: --pipeline: the pipeline must know where muon comes from: give --muon-source",
        ),
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
