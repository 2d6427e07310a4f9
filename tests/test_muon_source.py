"""pipeline.muonSource: the pipeline's Pulumi steps install muon from the source the team
configured, and the plan refuses a requirements file that would install someone else's code."""

from __future__ import annotations

import pytest
import yaml

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.test_pipeline import CONNECTION, PIPELINE_CONFIG, project

WHEEL = "https://artifacts.acme.example/muon/muon_platform-0.2.0-py3-none-any.whl"
INDEX = "https://pypi.acme.example/simple/"


@pytest.fixture
def team(tmp_path, monkeypatch):
    """A team's project folder: its stack files, and the requirements file a test writes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  muon:environments: [dev]\n")
    return tmp_path


def render(render_definition, muon_source: str = "", **config: object) -> Rendering:
    definition = (
        "environments: {dev: {}}\nservices:\n  shop: {port: 5000, pathPatterns: [/shop]}\n"
        f"pipeline:\n  source: {{repo: acme/shop, connection: '{CONNECTION}'}}\n"
        "  stages: [{environment: dev}]\n" + (f"  muonSource: {muon_source}\n" if muon_source else "")
    )
    return render_definition(definition, [], extra_config={**PIPELINE_CONFIG, **config})


def install(rendering: Rendering, key: str) -> list[str]:
    return yaml.safe_load(project(rendering, key).inputs["source"]["buildspec"])["phases"]["install"][
        "commands"
    ]


def test_a_direct_reference_installs_from_pypi_for_the_rest(team, render_definition) -> None:
    (team / "requirements.txt").write_text(f"flask==3.0.3\nmuon-platform @ {WHEEL}\n")
    rendering = render(render_definition)
    for key in ("update", "deploy"):
        assert [c for c in install(rendering, key) if "pip" in c] == [
            'cd "$CODEBUILD_SRC_DIR/." && .venv/bin/pip install -q -r requirements.txt'
        ]


def test_the_team_index_is_pips_only_index_with_credentials_from_a_secure_string(
    team, render_definition
) -> None:
    (team / "requirements-infra.txt").write_text("muon-platform==0.2.0\n")
    rendering = render(
        render_definition,
        f"{{requirements: requirements-infra.txt, indexUrl: '{INDEX}', credentialsParameter: /acme/ci/pypi}}",
    )
    for key in ("update", "deploy"):
        spec = yaml.safe_load(project(rendering, key).inputs["source"]["buildspec"])
        assert spec["env"]["parameter-store"] == {"MUON_PIP_CREDENTIALS": "/acme/ci/pypi"}
        assert "MUON_PIP_CREDENTIALS" not in (spec["env"].get("variables") or {})  # never plain
        commands = spec["phases"]["install"]["commands"]
        netrc = next(i for i, c in enumerate(commands) if ".netrc" in c)
        assert commands[netrc] == (
            "(umask 077 && printf 'machine %s login %s password %s\\n' pypi.acme.example "
            '"${MUON_PIP_CREDENTIALS%%:*}" "${MUON_PIP_CREDENTIALS#*:}" > "$HOME/.netrc")'
        )
        assert commands[netrc + 1] == (
            'cd "$CODEBUILD_SRC_DIR/." && .venv/bin/pip install -q '
            f"--index-url {INDEX} -r requirements-infra.txt"
        )
        assert commands[netrc + 2] == 'rm -f "$HOME/.netrc" && unset MUON_PIP_CREDENTIALS'
        statements = {
            s["Sid"]: s
            for s in rendering.one("aws:iam/rolePolicy:RolePolicy", f"pipeline-{key}-policy").json("policy")[
                "Statement"
            ]
        }
        assert statements["ReadPackageIndexCredentials"]["Action"] == "ssm:GetParameters"
        assert statements["ReadPackageIndexCredentials"]["Resource"] == (
            "arn:aws:ssm:us-east-1:123456789012:parameter/acme/ci/pypi"
        )


def test_credentials_for_a_private_repository_go_to_its_host(team, render_definition) -> None:
    (team / "requirements.txt").write_text(
        "muon-platform @ git+https://git.acme.example/platform/muon@v0.2.0\n"
    )
    rendering = render(render_definition, "{credentialsParameter: /acme/ci/git}")
    assert any('\' git.acme.example "${MUON_PIP_CREDENTIALS%%:*}"' in c for c in install(rendering, "deploy"))


@pytest.mark.parametrize(
    ("requirements", "muon_source", "problem"),
    [
        (
            "muon==0.2.0\n",
            "",
            "requirements.txt line 1: 'muon' by name is PyPI's project of that name, not this muon",
        ),
        (
            "flask\nmuon-platform==0.2.0\n",
            "",
            "requirements.txt line 2: muon-platform by name, but pipeline.muonSource.indexUrl is not set",
        ),
        (
            "--extra-index-url https://pypi.org/simple\nmuon-platform==0.2.0\n",
            f"{{indexUrl: '{INDEX}'}}",
            "requirements.txt line 1: --extra-index-url: beside muon-platform by name, pip would take the "
            "highest version of any index",
        ),
        (
            "muon-platform @ file:///home/me/dist/muon_platform-0.2.0-py3-none-any.whl\n",
            "",
            "is a path on this machine: the pipeline's build cannot reach it",
        ),
        (
            "flask==3.0.3\n",
            "",
            "pipeline.muonSource.requirements: requirements.txt requires no muon-platform",
        ),
        (
            None,
            "{requirements: requirements-infra.txt}",
            "pipeline.muonSource.requirements: no requirements-infra.txt in the project",
        ),
        ("./wheels/muon_platform-0.2.0-py3-none-any.whl\n", "{credentialsParameter: /x}", "for which host?"),
    ],
)
def test_a_source_that_could_install_someone_elses_code_is_refused(
    team, render_definition, requirements: str | None, muon_source: str, problem: str
) -> None:
    if requirements is not None:
        (team / "requirements.txt").write_text(requirements)
    with pytest.raises(DefinitionError) as caught:
        render(render_definition, muon_source)
    assert problem in str(caught.value)


def test_what_the_plan_accepts(team, render_definition) -> None:
    """A wheel in the repository, an include (followed), a line muon cannot name (an editable
    checkout may be muon), and the file's own --index-url for a name."""
    for requirements in (
        "./wheels/muon_platform-0.2.0-py3-none-any.whl\n",
        "-r infra.txt\n",
        "-e .\n",
        f"--index-url {INDEX}\nmuon-platform==0.2.0 \\\n    ; python_version >= '3.11'\n",
    ):
        (team / "infra.txt").write_text(f"muon-platform @ {WHEEL}  # muon\n")
        (team / "requirements.txt").write_text(requirements)
        assert project(render(render_definition), "deploy")


@pytest.mark.parametrize(
    ("muon_source", "path", "words"),
    [
        ("{indexUrl: 'http://pypi.acme.example/simple/'}", "pipeline.muonSource.indexUrl", "an https://"),
        ("{indexUrl: 'https://me:pw@pypi.acme.example/'}", "pipeline.muonSource.indexUrl", "no credentials"),
        ("{credentialsParameter: acme-pypi}", "pipeline.muonSource.credentialsParameter", "Parameter Store"),
        ("{requirements: ../elsewhere.txt}", "pipeline.muonSource.requirements", "requirements file"),
    ],
)
def test_bad_muon_source_keys_name_the_path(team, render_definition, muon_source, path, words) -> None:
    (team / "requirements.txt").write_text(f"muon-platform @ {WHEEL}\n")
    with pytest.raises(DefinitionError) as caught:
        render(render_definition, muon_source)
    assert path in str(caught.value) and words in str(caught.value)
