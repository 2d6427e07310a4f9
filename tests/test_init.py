"""`muon init` adopts an existing repository, `muon env add` adds an environment, and every
command finds its project upward from the working directory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from muon.cli.adopt import installed_source
from muon.plan.command import render_stack
from tests.test_package import run_entry

WHEEL = "https://artifacts.acme.example/muon/muon_platform-0.2.0-py3-none-any.whl"
INDEX = "https://pypi.acme.example/simple/"
REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """An application repository (``.git``) as the working directory; no terminal: no prompts."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    return tmp_path


def test_muon_goes_into_the_apps_requirements_once(repo: Path, capsys) -> None:
    (repo / "requirements.txt").write_text("flask==3.0.3\ngunicorn==22.0.0")  # no final newline
    code, out, _ = run_entry(capsys, "init", "--name", "shop", "--muon-source", WHEEL)
    assert code == 0 and "added muon-platform to requirements.txt" in out
    text = (repo / "requirements.txt").read_text()
    assert text.startswith("flask==3.0.3\ngunicorn==22.0.0\n# muon")
    assert text.endswith(f"\nmuon-platform @ {WHEEL}\n")
    code, out, _ = run_entry(capsys, "init", "--name", "shop", "--muon-source", WHEEL)
    assert code == 0 and "requirements.txt (requires muon-platform already)" in out
    assert (repo / "requirements.txt").read_text() == text


def test_requirements_the_dockerfile_installs_stay_the_apps(repo: Path, capsys) -> None:
    (repo / "requirements.txt").write_text("flask==3.0.3\n")
    (repo / "Dockerfile").write_text("FROM python:3.12\nCOPY requirements.txt .\nEXPOSE 5000\n")
    args = ("init", "--name", "shop", "--pipeline", "codecommit:shop", "--muon-source", WHEEL)
    code, out, _ = run_entry(capsys, *args)
    assert code == 0
    assert "muon goes into requirements-infra.txt, which Pulumi does not install by itself" in out
    assert (repo / "requirements.txt").read_text() == "flask==3.0.3\n"
    assert f"muon-platform @ {WHEEL}" in (repo / "requirements-infra.txt").read_text()
    definition = yaml.safe_load((repo / "muon.yaml").read_text())
    assert definition["services"]["shop"]["port"] == 5000
    assert definition["pipeline"]["muonSource"] == {"requirements": "requirements-infra.txt"}


def test_pypis_muon_in_the_requirements_is_refused(repo: Path, capsys) -> None:
    (repo / "requirements.txt").write_text("# app\nmuon==0.1.9\n")
    code, _, err = run_entry(capsys, "init", "--name", "shop", "--muon-source", WHEEL)
    assert (code, err.count("\n")) == (2, 1)
    assert err.startswith(
        "muon: requirements.txt line 2: 'muon' is PyPI's project of that name, not this muon"
    )
    assert (repo / "requirements.txt").read_text() == "# app\nmuon==0.1.9\n"


def test_gitignore_gains_only_what_it_lacks(repo: Path, capsys) -> None:
    (repo / ".gitignore").write_text("/.venv\n__pycache__\n*.log\n")
    assert run_entry(capsys, "init", "--name", "shop")[0] == 0
    lines = (repo / ".gitignore").read_text().splitlines()
    assert lines[:3] == ["/.venv", "__pycache__", "*.log"]
    assert [line for line in lines[3:] if line and not line.startswith("#")] == ["*.pyc", "*.plan.json"]
    before = (repo / ".gitignore").read_text()
    assert run_entry(capsys, "init", "--name", "shop")[0] == 0
    assert (repo / ".gitignore").read_text() == before


def test_a_subfolder_project_sets_project_dir(repo: Path, capsys) -> None:
    (repo / ".gitignore").write_text("/.venv\n")  # the root's only: infra/.venv is not covered
    (repo / "Dockerfile").write_text("FROM scratch\nEXPOSE 9000\n")
    args = ("init", "--name", "shop", "--dir", "infra", "--pipeline", "github:acme/shop")
    code, out, _ = run_entry(capsys, *args, "--muon-source", INDEX)
    assert code == 0
    assert "next: cd infra && muon plan dev" in out
    infra = repo / "infra"
    definition = yaml.safe_load((infra / "muon.yaml").read_text())
    assert definition["services"]["shop"]["port"] == 9000  # the root's Dockerfile
    pipeline = definition["pipeline"]
    assert pipeline["projectDir"] == "infra"
    assert pipeline["muonSource"] == {"indexUrl": INDEX}
    assert [s["test"] for s in pipeline["stages"]] == ["infra/buildspec-test.yml"] * 2
    assert (infra / "requirements.txt").read_text().splitlines()[1:] == [
        f"--index-url {INDEX}",
        "# muon, the infrastructure program (`muon init`): the distribution muon-platform, never `muon`",
        "# (PyPI's `muon` is another project). It brings pulumi, pulumi-aws and boto3.",
        "muon-platform==0.2.0",
    ]
    assert ".venv/" in (repo / ".gitignore").read_text().splitlines()
    rendering = render_stack("pipeline", infra)
    deploy = next(p for p in rendering.of_type("aws:codebuild/project:Project") if p.name.endswith("-deploy"))
    install = yaml.safe_load(deploy.inputs["source"]["buildspec"])["phases"]["install"]["commands"]
    assert (
        install[-1]
        == f'cd "$CODEBUILD_SRC_DIR/infra" && .venv/bin/pip install -q --index-url {INDEX} -r requirements.txt'
    )


def test_production_has_its_domain_or_says_it_is_plain(repo: Path, capsys) -> None:
    code, out, _ = run_entry(capsys, "init", "--name", "shop")
    assert code == 0
    assert "note: environments.production serves plain HTTP (loadBalancer.allowPlainHttp" in out
    text = (repo / "muon.yaml").read_text()
    assert "      # No domain yet: plain HTTP, on purpose and warned by every plan." in text
    assert yaml.safe_load(text)["environments"]["production"] == {"loadBalancer": {"allowPlainHttp": True}}
    assert "production serves plain HTTP" in render_stack("prod", repo).warnings[0]
    (repo / "elsewhere").mkdir()
    os.chdir(repo / "elsewhere")
    assert run_entry(capsys, "init", "--name", "shop", "--domain", "shop.acme.com")[0] == 0
    production = yaml.safe_load((repo / "elsewhere" / "muon.yaml").read_text())["environments"]["production"]
    assert production == {"domain": {"name": "shop.acme.com", "zone": "acme.com"}}
    code, _, err = run_entry(capsys, "init", "--name", "shop", "--domain", "acme.com")
    assert (code, err) == (
        2,
        "muon: --domain: acme.com is a zone's apex: give --zone acme.com to serve it there\n",
    )


def test_dev_takes_the_cheapest_defaults(repo: Path, capsys) -> None:
    """A NAT instance rather than a gateway, tasks on Fargate Spot, a database that pauses."""
    assert run_entry(capsys, "init", "--name", "shop", "--database")[0] == 0
    assert yaml.safe_load((repo / "muon.yaml").read_text())["environments"]["dev"] == {}
    rendering = render_stack("dev", repo)
    assert rendering.of_type("aws:ec2/natGateway:NatGateway") == []
    assert len(rendering.of_type("aws:ec2/instance:Instance")) == 1  # the NAT instance
    service = rendering.one("aws:ecs/service:Service")
    assert [s["capacityProvider"] for s in service.inputs["capacityProviderStrategies"]] == ["FARGATE_SPOT"]
    assert (
        rendering.one("aws:rds/cluster:Cluster").inputs["serverlessv2ScalingConfiguration"]["minCapacity"]
        == 0
    )


IMPORTED = """# Converted from mu.yml by `muon import`
environments:
  acceptance: {}
  production: {}
services:
  banana: {port: 8080, pathPatterns: [/bananas]}
pipeline:
  source: {provider: codecommit, repo: banana-service}
  stages: [{environment: acceptance}]
"""


def test_init_completes_an_imported_definition(repo: Path, capsys) -> None:
    (repo / "muon.yaml").write_text(IMPORTED)
    (repo / "buildspec.yml").write_text("version: 0.2\n")  # a mu repository's build, which mu ran
    code, _, err = run_entry(capsys, "init", "--port", "9000")
    assert (code, err) == (
        2,
        f"muon: --port: {repo / 'muon.yaml'} exists: init completes the project around it\n",
    )
    code, out, _ = run_entry(capsys, "init", "--muon-source", WHEEL)
    assert code == 0
    assert out.splitlines()[0] == (
        "wrote Pulumi.yaml, __main__.py, Pulumi.acceptance.yaml, Pulumi.prod.yaml, Pulumi.pipeline.yaml, "
        "requirements.txt"
    )
    assert "note: environments.production: production is HTTPS-only: give it a domain" in out
    assert (repo / "muon.yaml").read_text() == IMPORTED
    assert yaml.safe_load((repo / "Pulumi.yaml").read_text())["name"] == "banana"
    assert yaml.safe_load((repo / "Pulumi.acceptance.yaml").read_text())["config"] == {
        "aws:region": "us-east-1",
        "muon:environments": ["acceptance"],
    }
    assert render_stack("acceptance", repo).of_type("aws:ecs/service:Service")
    assert render_stack("pipeline", repo).of_type("aws:codepipeline/pipeline:Pipeline")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"__main__.py": "print('my app')\n"}, "__main__.py exists and is not muon's program"),
        ({"Pulumi.yaml": "name: network\nruntime: go\n"}, "Pulumi.yaml is another Pulumi project's"),
    ],
)
def test_another_programs_files_are_left_alone(repo: Path, capsys, files, expected: str) -> None:
    for name, content in files.items():
        (repo / name).write_text(content)
    code, _, err = run_entry(capsys, "init", "--name", "shop")
    assert code == 2 and expected in err and "(--dir infra)" in err
    assert sorted(p.name for p in repo.iterdir()) == sorted([".git", *files])


@pytest.mark.parametrize(
    ("source", "requirement"),
    [
        (WHEEL, f"muon-platform @ {WHEEL}"),
        (
            "git+https://github.com/acme/muon@v0.2.0",
            "muon-platform @ git+https://github.com/acme/muon@v0.2.0",
        ),
        (INDEX, "muon-platform==0.2.0"),
        ("wheels/muon_platform-0.2.0-py3-none-any.whl", "./wheels/muon_platform-0.2.0-py3-none-any.whl"),
    ],
)
def test_the_muon_source_becomes_one_requirement(repo: Path, capsys, source: str, requirement: str) -> None:
    (repo / "wheels").mkdir()
    (repo / "wheels" / "muon_platform-0.2.0-py3-none-any.whl").write_bytes(b"")
    code, out, _ = run_entry(capsys, "--json", "init", "--name", "shop", "--muon-source", source)
    assert code == 0
    assert json.loads(out)["muonRequirement"] == requirement
    assert (repo / "requirements.txt").read_text().splitlines()[-1] == requirement


@pytest.mark.parametrize(
    ("direct_url", "requirement"),
    [
        (
            {"url": "https://github.com/acme/muon", "vcs_info": {"vcs": "git", "commit_id": "a" * 40}},
            f"muon-platform @ git+https://github.com/acme/muon@{'a' * 40}",
        ),
        ({"url": WHEEL, "archive_info": {}}, f"muon-platform @ {WHEEL}"),
        (
            {"url": "file:///home/me/muon_platform-9.9.9-py3-none-any.whl", "archive_info": {}},
            "muon-platform==9.9.9",
        ),
        (None, "muon-platform==9.9.9"),
    ],
)
def test_by_default_muon_comes_from_where_it_was_installed_from(
    tmp_path: Path, monkeypatch, direct_url: dict | None, requirement: str
) -> None:
    """pip's record of the install (PEP 610 direct_url.json): a URL or repository anyone can install
    from again; a local file or an index install gives the name, for the team's index."""
    info = tmp_path / "muon_platform-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: muon-platform\nVersion: 9.9.9\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_source("9.9.9").requirement == requirement


def test_env_add_writes_the_stack_and_the_environment_keeping_comments(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    for name in (
        "Pulumi.yaml",
        "__main__.py",
        "muon.yaml",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "requirements.txt",
    ):
        (tmp_path / name).write_text((REPOSITORY / name).read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  muon:environments: [dev]\n"
    )
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  muon:environments: [production]\n"
    )
    (tmp_path / "src" / "app").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "app")  # found upward, as Pulumi finds its project
    before = (tmp_path / "muon.yaml").read_text()
    code, out, _ = run_entry(capsys, "env", "add", "staging")
    assert code == 0
    assert out.splitlines() == [
        "wrote Pulumi.staging.yaml (eu-west-1)",
        "added environments.staging to muon.yaml",
        "next: muon plan staging",
    ]
    after = (tmp_path / "muon.yaml").read_text()
    assert after == before.replace("environments:\n", "environments:\n  staging: {}\n", 1)
    assert yaml.safe_load((tmp_path / "Pulumi.staging.yaml").read_text())["config"] == {
        "aws:region": "eu-west-1",
        "muon:environments": ["staging"],
    }
    code, _, err = run_entry(capsys, "env", "add", "staging")
    assert (code, err) == (
        2,
        f"muon: {tmp_path / 'Pulumi.staging.yaml'} exists; muon never overwrites a stack file\n",
    )
    code, out, _ = run_entry(capsys, "env", "add", "prod-eu", "--region", "eu-central-1")
    assert code == 0 and "note: environments.prod-eu serves plain HTTP (allowPlainHttp)" in out
    assert yaml.safe_load((tmp_path / "muon.yaml").read_text())["environments"]["prod-eu"] == {
        "loadBalancer": {"allowPlainHttp": True}
    }
    rendering = render_stack("staging", tmp_path)
    assert rendering.one("aws:ecs/cluster:Cluster").name == "staging-cluster"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("env", "add", "Staging"), "muon: 'Staging' is not an environment name"),
        (("env", "add", "qa", "--region", "mars-1"), "muon: --region: 'mars-1' is not an AWS region"),
        (
            ("env", "add", "dev", "--domain", "dev.acme.com"),
            "muon: --domain: environments.dev exists in muon.yaml",
        ),
    ],
)
def test_bad_env_add_input_is_one_line(tmp_path: Path, monkeypatch, capsys, args, expected: str) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "muon.yaml").write_text(
        "environments: {dev: {}}\nservices: {shop: {port: 80, pathPatterns: [/]}}\n"
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_entry(capsys, *args)
    assert code == 2 and err.startswith(expected) and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.yaml", "muon.yaml"]


def test_commands_say_where_they_looked_for_the_project(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    code, _, err = run_entry(capsys, "plan", "dev")
    depth = len((tmp_path / "a" / "b").parents)
    assert (code, err) == (
        2,
        f"muon: no muon project: no Pulumi.yaml in {tmp_path / 'a' / 'b'} and the {depth} folders above it "
        "(up to /); run `muon init` here, or give --cwd\n",
    )
    (tmp_path / "Pulumi.yaml").write_text("name: network\nruntime: go\n")
    code, _, err = run_entry(capsys, "env", "add", "qa")
    assert code == 2
    assert err.startswith(f"muon: {tmp_path / 'Pulumi.yaml'} is not a muon project (no muon.yaml beside it")
