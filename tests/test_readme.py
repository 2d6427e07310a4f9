"""The README and docs/ stay true: every command they show is run or checked, every key they show
is one muon accepts, every link leads somewhere.

- The README's commands that need no AWS run as written, in order, in an application repository
  (its own Dockerfile and requirements.txt): `muon init`, `muon env add`, the offline plans, the
  deploy role's policy, the virtualenv; what the README says of their results (the cost, the
  first-deploy time) is compared with what they print. The Quick start's plan runs in muon's own
  repository. The first deploy's `pulumi` and `git` commands run in tests/test_walkthrough.py.
  What cannot run here is checked instead: `pip install` from a URL or an index (no network),
  `pip wheel` (tests/test_package.py builds the wheel), the test suite's own command.
- Every other command, in the README and in docs/, is held to the CLI that provides it: `muon` to
  `muon <sub> --help`; `aws` (not installed here) to botocore's service models, from which the AWS
  CLI builds its commands and options; `pulumi` (not installed here) to PULUMI below, the
  documented commands and flags, each with its page of the Pulumi CLI reference; `git`, `pip` and
  `pytest` to their own help.
- Every YAML block is a muon.yaml, organization.yaml or stack file muon accepts (the JSON Schemas,
  or the stack settings' loader), or a buildspec; every relative link resolves to a file (and a
  heading there).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from botocore.session import get_session
from typer.testing import CliRunner

from muon.cli.main import app
from muon.cli.reference_commands import role_policy
from muon.components.pipeline_access import DEPLOYED_SERVICES, SCOPED_SERVICES
from muon.stacks.definition.settings import settings_from_config
from muon.stacks.resolve.organization import MUON_SERVICES
from tests.conftest import PROJECT_DIR
from tests.markdown_commands import APP, README, Command, application, blocks, commands, documents

BIN = Path(sys.executable).parent

# The Pulumi CLI's commands and flags the pages use, as its reference documents them
# (https://www.pulumi.com/docs/iac/cli/commands/pulumi_<command>/, e.g. pulumi_stack_init).
PULUMI_GLOBAL = {"-C", "--cwd", "--color", "--non-interactive", "-v", "--verbose", "-e", "--emoji"}
PULUMI: dict[tuple[str, ...], set[str]] = {
    ("login",): {"--local", "--cloud-url", "--default-org"},  # pulumi_login
    ("stack", "init"): {
        "-s",
        "--stack",
        "--secrets-provider",
        "--copy-config-from",
        "--no-select",
    },  # pulumi_stack_init
    ("stack", "select"): {"-s", "--stack", "-c", "--create", "--secrets-provider"},  # pulumi_stack_select
    ("stack", "output"): {"-s", "--stack", "-j", "--json", "--show-secrets"},  # pulumi_stack_output
    ("stack", "rm"): {
        "-s",
        "--stack",
        "-y",
        "--yes",
        "-f",
        "--force",
        "--preserve-config",
    },  # pulumi_stack_rm
    ("config", "set"): {"-s", "--stack", "--path", "--secret", "--plaintext"},  # pulumi_config_set
    ("up",): {"-s", "--stack", "-y", "--yes", "--target", "--policy-pack", "--skip-preview"},  # pulumi_up
    ("preview",): {"-s", "--stack", "--policy-pack", "--diff"},  # pulumi_preview
    ("destroy",): {"-s", "--stack", "-y", "--yes", "--target"},  # pulumi_destroy
    ("state", "unprotect"): {"-s", "--stack", "-y", "--yes", "--all"},  # pulumi_state_unprotect
    ("import",): {
        "-s",
        "--stack",
        "--parent",
        "--protect",
        "--generate-code",
        "--provider",
        "-y",
        "--yes",
    },  # pulumi_import
}
# The AWS CLI's own options beside an operation's parameters (docs.aws.amazon.com/cli, "aws" → Options).
AWS_GLOBAL = {"--region", "--profile", "--output", "--query", "--endpoint-url", "--no-cli-pager"}
AWS_SERVICES = {"s3api": "s3"}  # the AWS CLI's name for a botocore service, where they differ


def readme_commands() -> list[Command]:
    return commands(README.read_text(encoding="utf-8"), "README.md")


def every_command() -> list[Command]:
    return [c for path, text in documents() for c in commands(text, path.relative_to(PROJECT_DIR).as_posix())]


# -- muon: `muon <sub> --help` ---------------------------------------------------------------------


@cache
def muon_help(path: tuple[str, ...]) -> tuple[dict[str, bool], set[str]]:
    """The options of ``muon <path>`` (name → takes a value) and its subcommands, from its --help
    (click's plain layout: muon renders help without rich, which costs --help 0.3 s to load)."""
    result = CliRunner().invoke(
        app, [*path, "--help"], env={"TERMINAL_WIDTH": "240", "COLUMNS": "240", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, f"muon {' '.join(path)} --help: {result.output}"
    options: dict[str, bool] = {}
    subcommands: set[str] = set()
    section = ""
    for line in result.output.splitlines():
        if line and not line.startswith(" "):
            section = line.rstrip(":").lower()
            continue
        row = line.strip()
        if section == "options" and re.match(r"  -", line):
            # The names and the value's metavar (<str>; `muon plan`'s own parser: FILE, {a,b}), then the text.
            head = re.split(r"\s{2,}", row)[0]
            takes_value = bool(re.search(r"<|\{|\b[A-Z]{2,}\b", head))
            options.update(dict.fromkeys(re.findall(r"(?<![\w<{])--?[a-z][\w-]*", head), takes_value))
        elif section == "commands" and re.match(r"  \S", line):
            subcommands.add(row.split()[0])
    return options, subcommands


def check_muon(argv: list[str]) -> None:
    path: list[str] = []
    words = iter(argv[1:])
    for word in words:
        if word == "--":
            return  # the command a task runs
        options, subcommands = muon_help(tuple(path))
        if word.startswith("-"):
            name = word.split("=")[0]
            if name == "--json" and not options.get("--json"):
                continue  # a global flag anywhere: muon moves it first (`muon plan`'s own takes a FILE)
            assert name in options, f"muon {' '.join(path)}: no option {name}"
            if options[name] and "=" not in word:
                next(words)  # its value
        elif word in subcommands:
            path.append(word)
        else:
            assert not subcommands, f"muon {' '.join(path)}: no command {word}; it has {sorted(subcommands)}"
    assert path or "--help" in argv, f"muon: no command in {argv}"


# -- aws: botocore's models; pulumi: its reference; git, pip, pytest: their help -------------------


def check_aws(argv: list[str]) -> None:
    session = get_session()
    service = AWS_SERVICES.get(argv[1], argv[1])
    model = session.get_service_model(service)
    operations = {session_name(op): op for op in model.operation_names}
    assert argv[2] in operations, f"aws {argv[1]}: no operation {argv[2]}"
    shape = model.operation_model(operations[argv[2]]).input_shape
    parameters = {f"--{session_name(m)}" for m in (shape.members if shape else {})}
    for word in argv[3:]:
        if word.startswith("--"):
            assert word in parameters | AWS_GLOBAL, f"aws {argv[1]} {argv[2]}: no option {word}"


def session_name(name: str) -> str:
    from botocore import xform_name

    return xform_name(name, "-")


def check_pulumi(argv: list[str]) -> None:
    words = [w for w in argv[1:] if not w.startswith("-")]
    command = next((c for c in sorted(PULUMI, key=len, reverse=True) if tuple(words[: len(c)]) == c), None)
    assert command is not None, (
        f"pulumi: {' '.join(words[:2])} is not in this test's table of documented commands"
    )
    for word in argv[1:]:
        if word.startswith("-"):
            flag = word.split("=")[0]
            assert flag in PULUMI[command] | PULUMI_GLOBAL, f"pulumi {' '.join(command)}: no flag {flag}"


@cache
def help_text(help_argv: tuple[str, ...]) -> str:
    """What ``help_argv`` prints: one process for each help, however many commands it checks (the
    README shows `pip install` and `pytest` several times; `pytest --help` alone takes 1.5 s)."""
    done = subprocess.run(help_argv, capture_output=True, text=True, check=False)
    return done.stdout + done.stderr  # `git <sub> -h` prints its usage to stderr when not a terminal


def check_help(argv: list[str], help_argv: list[str]) -> None:
    """Every flag of ``argv`` appears in the help that ``help_argv`` prints."""
    shown = help_text(tuple(help_argv))
    for word in argv:
        if word.startswith("-") and word != "-":
            flag = word.split("=")[0]
            assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", shown), (
                f"{' '.join(help_argv)}: no {flag}"
            )


def program(argv: list[str]) -> str:
    name = argv[0].removeprefix(".venv/bin/")
    return "python -m" if name in ("python", "python3") and argv[1:2] == ["-m"] else name


def check(command: Command) -> None:
    argv = command.argv
    kind = program(argv)
    if kind == "muon":
        check_muon(argv)
    elif kind == "aws":
        check_aws(argv)
    elif kind == "pulumi":
        check_pulumi(argv)
    elif kind == "git":
        check_help(argv[2:], ["git", argv[1], "-h"])
    elif kind == "pip":
        check_help(argv[2:], [str(BIN / "pip"), argv[1], "--help"])
    elif kind == "python -m":
        module = argv[2]
        if module == "pytest":
            check_help(argv[3:], [sys.executable, "-m", "pytest", "--help"])
        elif module == "venv":
            check_help(argv[3:], [sys.executable, "-m", "venv", "--help"])
        else:
            assert module.startswith("muon."), f"{command}: a module of muon's"
            check_help(argv[3:], [sys.executable, "-m", module, "--help"])
    elif kind == "python":
        assert (PROJECT_DIR / argv[1]).is_file(), f"{command}: no {argv[1]} in muon's repository"
    elif kind in ("ruff", "mypy"):
        check_help(argv[1:], [str(BIN / kind), *argv[1:2], "--help"])
    elif kind == ".":
        assert argv[1] == ".venv/bin/activate"  # venv writes it (run below)
    else:
        raise AssertionError(f"{command}: no test knows the program {argv[0]!r}")


def test_every_command_shown_is_one_its_cli_has() -> None:
    shown = every_command()
    assert len(shown) > 40
    for command in shown:
        check(command)


def test_the_checks_catch_what_does_not_exist() -> None:
    """The checks above are not vacuous."""
    for argv in (
        ["muon", "plan", "dev", "--colour"],
        ["muon", "servce", "show", "banana"],
        ["muon", "--stack", "dev", "db", "snapshot", "banana", "--wiat"],
        ["aws", "s3api", "create-bucket", "--bucket", "b", "--location-constraint", "eu-west-1"],
        ["aws", "kms", "make-key"],
        ["pulumi", "stack", "init", "dev", "--secret-provider", "awskms://alias/x"],
        ["pulumi", "deploy", "-s", "dev"],
        ["git", "commit", "--messsage", "x"],
    ):
        with pytest.raises(AssertionError):
            check(Command(argv, " ".join(argv), "test"))


# -- the README, run --------------------------------------------------------------------------------

RUN_OFFLINE = {"init", "plan", "schema", "deploy-role-policy", "import", "deployer-policy"}


def runs_offline(command: Command) -> bool:
    argv = command.argv
    if program(argv) == "muon":
        words = [w for w in argv[1:] if not w.startswith("-")]
        return bool(words) and (words[0] in RUN_OFFLINE or words[:2] == ["env", "add"])
    return argv[:3] in (["python3", "-m", "venv"],) or argv[0] == "."


Ran = tuple[Path, dict[str, subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Ran:
    """The README's offline commands, in order, in an application repository: `muon` is this
    environment's; the virtualenv's line runs as written but for its `pip install` from a URL."""
    repo = application(tmp_path_factory.mktemp("readme") / "banana")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    for command in readme_commands():
        if not runs_offline(command):
            continue
        if program(command.argv) in ("python3", "."):
            text = " && ".join(p for p in command.line.split(" && ") if not p.lstrip().startswith("pip "))
        else:
            text = shlex.join(command.argv) + (
                f" > {shlex.quote(command.redirect)}" if command.redirect else ""
            )
        if text not in results:
            results[text] = subprocess.run(
                ["bash", "-c", text],
                cwd=repo,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
    return repo, results


def test_the_readmes_offline_commands_succeed(ran: Ran) -> None:
    repo, results = ran
    assert any(k.startswith("muon init") for k in results) and any(
        k.startswith("muon plan prod") for k in results
    )
    for text, result in results.items():
        assert result.returncode == 0, f"{text}: {result.stderr}"
    # init adopted the app and wrote every stack; env add one more; the app's files are the app's.
    stacks = sorted(p.name for p in repo.glob("Pulumi.*.yaml"))
    assert stacks == ["Pulumi.dev.yaml", "Pulumi.pipeline.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]
    for name in ("Dockerfile", "requirements.txt", "app.py"):
        assert (repo / name).read_text() == APP[name]
    assert json.loads((repo / "deploy-role.json").read_text()) == role_policy(repo, "123456789012", None)
    sids = {s.get("Sid") for s in json.loads((repo / "deploy-role.json").read_text())["Statement"]}
    assert {"RolesOfTheNamespace", "KeysOfTheNamespace", "PulumiState", "PulumiSecrets"} <= sids
    assert (repo / ".venv" / "bin" / "activate").is_file()


def test_the_quick_start_plans_muons_own_dev_stack() -> None:
    """The contributors' first command ends with the offline plan of muon's reference project: run as
    written there (its install step is checked above; its test command would run this suite inside
    itself, so it is checked against pytest's help instead)."""
    (line,) = [c.line for c in readme_commands() if c.argv[-3:] == ["-m", "muon.plan", "dev"]]
    plan = line.split(" && ")[-1].split()
    assert plan[0] == ".venv/bin/python"
    done = subprocess.run(
        [sys.executable, *plan[1:]], cwd=PROJECT_DIR, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "Offline plan of stack 'dev'" in done.stdout
    assert (PROJECT_DIR / "requirements-dev.txt").is_file()


def _plan(ran: Ran, stack: str) -> str:
    return next(v.stdout for k, v in ran[1].items() if k.startswith(f"muon plan {stack}"))


def _cost(output: str) -> float:
    return float(
        re.search(r"Estimated monthly cost in [\w-]+: \$([\d,.]+)", output).group(1).replace(",", "")
    )


def test_what_the_readme_says_of_the_plans_is_what_they_print(ran: Ran) -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    dev, prod = _cost(_plan(ran, "dev")), _cost(_plan(ran, "prod"))
    assert f"this dev: about ${round(dev)} a month" in text
    assert f"production about ${round(prod)}" in text
    modeled = re.search(r"Modeled first deploy: (\d+) min (\d+) s", _plan(ran, "prod"))
    minutes = int(modeled.group(1)) + int(modeled.group(2)) / 60
    said = int(re.search(r"deploy from the dependency graph \(about (\d+) minutes", text).group(1))
    assert abs(said - minutes) <= 1
    assert "service 'banana' in dev has no image yet" in _plan(ran, "dev")  # the warning it names


# -- keys ---------------------------------------------------------------------------------------------


def _without_required(schema: object) -> object:
    """A fragment shows keys, not whole documents: the schema without its `required` lists."""
    if isinstance(schema, dict):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((PROJECT_DIR / "schema" / name).read_text())
    return jsonschema.Draft202012Validator(_without_required(copy.deepcopy(schema)))


ORGANIZATION_KEYS = {"adopt", "policies", "root", "units", "accounts", "security"}


def yaml_blocks() -> list[tuple[str, object]]:
    found = []
    for path, text in documents():
        for block in blocks(text, "yaml"):
            found.append((f"{path.name}: {block.splitlines()[0]}", yaml.safe_load(block)))
    return found


def test_every_yaml_block_is_a_file_muon_accepts() -> None:
    kinds = {"definition": 0, "organization": 0, "stack": 0, "buildspec": 0}
    for where, data in yaml_blocks():
        if data is None:
            continue  # a comment only (the schema line)
        assert isinstance(data, dict), where
        if {"version", "phases"} <= set(data):
            kinds["buildspec"] += 1
            assert str(data["version"]) == "0.2" and data["phases"], where
        elif set(data) == {"config"}:
            kinds["stack"] += 1
            flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data["config"].items()}
            settings_from_config(flat, where)
        elif set(data) <= ORGANIZATION_KEYS:
            kinds["organization"] += 1
            errors = [e.message for e in validator("organization.schema.json").iter_errors(data)]
            assert errors == [], f"{where}: {errors}"
        else:
            kinds["definition"] += 1
            errors = [f"{list(e.path)}: {e.message}" for e in validator("muon.schema.json").iter_errors(data)]
            assert errors == [], f"{where}: {errors}"
    assert kinds["definition"] >= 10 and kinds["organization"] and kinds["stack"] and kinds["buildspec"]


def test_the_key_check_refuses_a_key_muon_does_not_know() -> None:
    bad = {"services": {"banana": {"port": 8080, "pathPaterns": ["/b"]}}}
    assert list(validator("muon.schema.json").iter_errors(bad))


# -- links and facts ----------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    outside = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", outside, re.M)}


def test_every_relative_link_resolves() -> None:
    links = 0
    for path, text in documents():
        outside = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", outside):
            if re.match(r"[a-z]+://|mailto:", target):
                continue
            links += 1
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            assert resolved.is_file(), f"{path.name}: {target}: no such file"
            if anchor:
                assert anchor in anchors(resolved.read_text(encoding="utf-8")), (
                    f"{path.name}: {target}: no such heading"
                )
    assert links > 30


def test_the_lists_the_docs_give_are_muons() -> None:
    docs = PROJECT_DIR / "docs"
    definition = " ".join((docs / "definition.md").read_text().split())
    broad = [s for s in DEPLOYED_SERVICES if s not in SCOPED_SERVICES]
    assert f"`<service>:*` on `*`**: the other services muon deploys ({', '.join(broad)})" in definition
    organizations = " ".join((docs / "organizations.md").read_text().split())
    assert (
        f"must allow these services (muon's tests derive the list from the rendered stacks' resources and IAM policies): {', '.join(MUON_SERVICES)}."
        in organizations
    )


def test_the_automation_pages_portal_is_the_examples() -> None:
    page = (PROJECT_DIR / "docs" / "automation.md").read_text()
    (shown,) = [b for b in blocks(page, "python") if "def deploy(" in b]
    example = ast.parse((PROJECT_DIR / "examples" / "portal.py").read_text())
    (deploy,) = [n for n in example.body if isinstance(n, ast.FunctionDef) and n.name == "deploy"]
    (documented,) = [n for n in ast.parse(shown).body if isinstance(n, ast.FunctionDef)]
    assert ast.dump(documented) == ast.dump(deploy)
    for block in blocks(page, "python") + blocks(
        (PROJECT_DIR / "docs" / "definition.md").read_text(), "python"
    ):
        compile(block, "docs", "exec")


def test_the_readme_reads_in_one_sitting() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 260, "the reference belongs in docs/"
    assert "## Quick start" in lines  # CI and muon's contributors start there
