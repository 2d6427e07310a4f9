"""A team's first hour, end to end: muon's wheel installed into a fresh virtual environment inside
an application repository that has its own requirements.txt, Dockerfile and .gitignore; `muon init`,
`muon env add`, then the offline plan of every stack it wrote. Nothing of the app is overwritten,
and the pipeline installs muon from the source the team configured."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.test_package import build_wheel, fresh_venv, muon

WHEEL_URL = "https://artifacts.acme.example/muon/muon_platform-0.2.0-py3-none-any.whl"
APP = {
    "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\n",
    "Dockerfile": (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        'COPY . .\nEXPOSE 5000\nCMD ["gunicorn", "-b", "0.0.0.0:5000", "app:app"]\n'
    ),
    ".gitignore": ".venv\n*.log\n",
    "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
}


def application(root: Path) -> Path:
    app = root / "shop"
    (app / "src").mkdir(parents=True)
    for name, content in APP.items():
        (app / name).write_text(content, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(app)], check=True)
    return app


def buildspec(plan: dict, key: str) -> dict:
    project = next(
        r["inputs"]
        for r in plan["resources"]
        if r["type"] == "aws:codebuild/project:Project" and r["name"].endswith(f"-{key}")
    )
    return yaml.safe_load(project["source"]["buildspec"])


@pytest.mark.slow
def test_a_team_adopts_muon_in_its_repository(tmp_path: Path) -> None:
    app = application(tmp_path)
    venv = fresh_venv(app / ".venv", build_wheel(tmp_path / "dist"))
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import muon; print(muon.__file__, muon.__version__)"],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert version[0].startswith(str(venv)) and version[1] == "0.2.0"  # the metadata of muon-platform

    init = muon(
        venv, app, "init", "--name", "shop", "--database", "--pipeline", "github:acme/shop",
        "--region", "eu-west-1", "--muon-source", WHEEL_URL,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert "next: muon plan dev   (then: muon plan prod, muon plan pipeline)" in init.stdout
    # The app's own requirements.txt is what its image installs: muon goes beside it.
    assert "muon goes into requirements-infra.txt" in init.stdout
    added = muon(venv, app / "src", "env", "add", "staging")  # from a subfolder: found upward
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[-1] == "next: muon plan staging"

    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in app.glob("Pulumi.*.yaml"))
    assert stacks == ["dev", "pipeline", "prod", "staging"]
    plans = {}
    for stack in stacks:
        plan = muon(venv, app, "plan", stack, "--quiet", "--json-file", f"{stack}.plan.json")
        assert plan.returncode == 0, f"{stack}: {plan.stderr}"
        plans[stack] = json.loads((app / f"{stack}.plan.json").read_text())
    assert "eu-west-1" in json.dumps(plans["staging"]["resources"])

    # Nothing of the app was overwritten; .gitignore only gained what it lacked.
    for name in ("requirements.txt", "Dockerfile", "app.py"):
        assert (app / name).read_text() == APP[name], name
    ignore = (app / ".gitignore").read_text()
    assert ignore.startswith(APP[".gitignore"]) and ".venv/" not in ignore  # `.venv` covers it
    lines = [line for line in ignore.splitlines() if line and not line.startswith("#")]
    assert len(lines) == len(set(lines))
    (app / "src" / "__pycache__").mkdir(exist_ok=True)
    ignored = subprocess.run(
        ["git", "-C", str(app), "check-ignore", ".venv", "dev.plan.json", "src/__pycache__"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".venv", "dev.plan.json", "src/__pycache__"]

    # The pipeline's Pulumi steps install muon from the configured source, and only from there.
    assert (app / "requirements-infra.txt").read_text().splitlines()[-1] == f"muon-platform @ {WHEEL_URL}"
    for key in ("update", "deploy"):
        install = buildspec(plans["pipeline"], key)["phases"]["install"]["commands"]
        pip = [c for c in install if "pip install" in c]
        assert pip == ['cd "$CODEBUILD_SRC_DIR/." && .venv/bin/pip install -q -r requirements-infra.txt'], key
    assert "--extra-index-url" not in json.dumps(plans["pipeline"])
