"""Bad input never gets through: one clear line (file, path or setting, expectation), exit 2, no traceback.

Each class of malformed input the adversarial review found, with several cases each, through the
offline plan (``muon.plan.command.main``, what `muon plan` and CI run) and the Automation API's
``validate()``; then randomly corrupted copies of the shipped files.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from muon.automation import InvalidConfigError, Muon
from muon.plan import command as plan
from muon.plan.mocks import MuonMocks
from muon.stacks.errors import DefinitionError
from tests.conftest import PROJECT_DIR, run_in_project

BANANA = """\
environments:
  dev: {}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
"""


def project(directory: Path, definition: str = BANANA, stack: str = "dev: {}") -> Path:
    """A project folder: Pulumi.yaml, Pulumi.dev.yaml selecting dev, and ``definition``."""
    (directory / "Pulumi.yaml").write_text("name: muon\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n"
    )
    (directory / "muon.yaml").write_text(definition)
    return directory


def run_plan(directory: Path, stack: str = "dev") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = plan.main([stack, "--quiet"], out, err, project_dir=directory)
    return code, out.getvalue(), err.getvalue()


def refused(directory: Path, *expected: str, stack: str = "dev") -> str:
    """The plan refuses with one line containing every ``expected`` part; returns that line."""
    code, out, err = run_plan(directory, stack)
    assert code == 2, out[-500:]
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for part in expected:
        assert part in err, err
    return err


# -- 1. a secret in plain text --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["hunter2", "'correct horse battery staple'", "sk_live_51Habc", "'AKIA...:x/y'", "'/path with space'"],
)
def test_a_secret_value_in_place_of_a_parameter_name_is_refused_and_never_echoed(
    tmp_path: Path, value: str
) -> None:
    project(tmp_path, BANANA + f"    secrets: {{API_KEY: {value}}}\n")
    line = refused(tmp_path, "muon.yaml: services.banana.secrets.API_KEY: expected a Parameter Store name")
    assert value.strip("'") not in line  # the value may be the secret itself


def test_parameter_names_arns_and_their_placeholders_are_accepted(tmp_path: Path) -> None:
    project(
        tmp_path,
        BANANA + "    secrets:\n      A: /banana/${Environment}/api-key\n"
        "      B: arn:aws:ssm:us-east-1:123456789012:parameter/shared/token\n",
    )
    assert run_plan(tmp_path)[0] == 0
    project(tmp_path, BANANA + "    secrets: {A: '/banana/${Region}/x'}\n")
    refused(tmp_path, "services.banana.secrets.A: only ${Environment} and ${ServiceName}")


# -- 2. YAML that exhausts the machine ---------------------------------------------------------------


LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LAUGHS, "muon.yaml: too large once its aliases are expanded (over 100,000 values); refused"),
        ("environments: " + "[" * 5000 + "]" * 5000 + "\n", "muon.yaml: nested"),
        (
            "environments: &a {dev: *a}\n",
            "muon.yaml: invalid YAML: an alias refers to a node that contains it",
        ),
        ("environments: {dev: {}}\n" + "# padding\n" * 120_000, "muon.yaml: larger than 1,048,576 bytes"),
    ],
    ids=["laughs", "nesting", "alias-cycle", "oversize"],
)
def test_yaml_that_would_exhaust_the_machine_is_refused_in_bounded_time(
    tmp_path: Path, text: str, expected: str
) -> None:
    project(tmp_path, text)
    # Refusing each takes under 100,000 calls; expanding the laughs would take billions.
    with call_budget(1_000_000):
        refused(tmp_path, expected)


class OverBudget(BaseException):
    """Not an ``Exception``: no handler in the code under test catches it on its way out."""


@contextmanager
def call_budget(calls: int) -> Iterator[None]:
    """Fail, rather than run on, once the code inside has made ``calls`` function calls: a bound on
    the work done that, unlike a clock, is the same on a fast machine and a busy one."""
    made = 0

    def count(_frame: object, event: str, _arg: object) -> None:
        nonlocal made
        if event in ("call", "c_call"):
            made += 1
            if made > calls:
                raise OverBudget(f"more than {calls:,} calls")

    sys.setprofile(count)
    try:
        yield
    finally:
        sys.setprofile(None)


def test_a_huge_value_in_an_error_is_previewed_not_printed(tmp_path: Path) -> None:
    project(tmp_path, "environments: {dev: {}}\nservices: [" + ", ".join(["x" * 50] * 5000) + "]\n")
    line = refused(tmp_path, "muon.yaml: services:")
    assert len(line) < 400


# -- 3. encodings and file types --------------------------------------------------------------------


def test_a_definition_that_is_not_utf8_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "muon.yaml").write_bytes("environments: {d\xe9v: {}}\n".encode("latin-1"))
    refused(
        tmp_path, "Pulumi.dev.yaml: muon:definition:", "muon.yaml: not UTF-8 text (byte 0xe9 at offset 16)"
    )


def test_a_definition_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "muon.yaml").unlink()
    (tmp_path / "muon.yaml").mkdir()
    refused(tmp_path, "Pulumi.dev.yaml: muon:definition:", "is a folder; expected a definition file")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"- aws:region: us-east-1\n", "Pulumi.dev.yaml: expected a mapping with 'config:', got list"),
        (b"just text\n", "Pulumi.dev.yaml: expected a mapping with 'config:', got str"),
        (b"config: [a, b]\n", "Pulumi.dev.yaml: config: expected a mapping of settings"),
        ("config: {muon:environments: [d\xe9v]}\n".encode("latin-1"), "Pulumi.dev.yaml: not UTF-8 text"),
    ],
)
def test_stack_files_of_the_wrong_shape_or_encoding(tmp_path: Path, content: bytes, expected: str) -> None:
    project(tmp_path)
    (tmp_path / "Pulumi.dev.yaml").write_bytes(content)
    refused(tmp_path, expected)


def org_project(directory: Path, organization: bytes | str) -> Path:
    (directory / "Pulumi.yaml").write_text("name: muon\nruntime: python\n")
    (directory / "Pulumi.org.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:organization: organization.yaml\n"
    )
    data = organization.encode() if isinstance(organization, str) else organization
    (directory / "organization.yaml").write_bytes(data)
    return directory


@pytest.mark.parametrize(
    ("organization", "expected"),
    [
        ("", "organization.yaml: the file is empty"),
        ("# only a comment\n", "organization.yaml: the file is empty"),
        ("units: {A\xe9: {}}\n".encode("latin-1"), "Pulumi.org.yaml: muon:organization:"),
        (
            "accounts: {Caf\u00e9: {unit: A, email: a@x.example}}\nunits: {A: {}}\n",
            "accounts.Café: expected an account name: 1-50 printable ASCII",
        ),
        (
            "policies: {P: {document: {Version: '2012-10-17', Statement: []}}}\nunits: {A: {policies: [P]}}\n",
            "policies.P.document: Statement is empty",
        ),
        (
            "policies: {P: {document: {Version: '2012-10-17', Statement: [{Effect: Permit, Action: '*', Resource: '*'}]}}}\n",
            "policies.P.document: Statement[0].Effect: expected Allow or Deny, got 'Permit'",
        ),
        (
            "policies: {P: {document: {Version: '2012-10-17', Statement: [{Effect: Deny, Resource: '*'}]}}}\n",
            "policies.P.document: Statement[0]: needs Action or NotAction",
        ),
    ],
)
def test_bad_organization_files_are_one_line(
    tmp_path: Path, organization: bytes | str, expected: str
) -> None:
    org_project(tmp_path, organization)
    refused(tmp_path, expected, stack="org")


# -- 4. legitimate YAML, and YAML's surprises -----------------------------------------------------


def test_merge_keys_work_and_duplicates_are_still_caught(tmp_path: Path) -> None:
    merged = """\
defaults: &service
  port: 8080
  cpu: 512
  memory: 1024
environments:
  dev: {}
services:
  banana:
    <<: *service
    pathPatterns: [/bananas]
  apple:
    <<: *service
    memory: 2048
    pathPatterns: [/apples]
"""
    # `defaults` is not a muon key: merge keys are commonly anchored under a key of their own.
    project(tmp_path, merged)
    refused(tmp_path, "muon.yaml: defaults: unknown key 'defaults'")
    project(tmp_path, merged.replace("defaults: &service", "x-defaults: &service"))
    refused(tmp_path, "muon.yaml: x-defaults: unknown key")
    inline = "environments:\n  dev: {}\nservices:\n  banana: &banana\n    port: 8080\n    cpu: 512\n    memory: 1024\n    pathPatterns: [/bananas]\n  apple:\n    <<: *banana\n    memory: 2048\n    pathPatterns: [/apples]\n"
    project(tmp_path, inline)
    code, _, err = run_plan(tmp_path)
    assert code == 0, err
    project(tmp_path, inline + "    port: 9090\n    port: 9091\n")
    refused(tmp_path, "invalid YAML: duplicate key 'port'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environments: {[dev]: {}}\n", "invalid YAML: a list or mapping cannot be a key"),
        ("environments: {? {a: 1} : {}}\n", "invalid YAML: a list or mapping cannot be a key"),
        ("environments: {no: {}}\n", "YAML reads yes/no/on/off/true/false unquoted as a boolean: quote it"),
        (
            BANANA + "    image: off\n",
            "services.banana.image: ",
        ),
        (BANANA + "    user: yes\n", "services.banana.user"),
    ],
)
def test_keys_that_are_not_names_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    project(tmp_path, text)
    refused(tmp_path, expected)


# -- 5. collisions the plan used to accept ---------------------------------------------------------


def test_names_composed_from_two_environments_and_services_collide(tmp_path: Path) -> None:
    project(
        tmp_path,
        "environments: {dev: {}, dev-eu: {}}\nservices:\n"
        "  eu-checkout: {port: 80, pathPatterns: [/a]}\n  checkout: {port: 80, pathPatterns: [/b]}\n",
    )
    refused(
        tmp_path, "muon.yaml: services.", "both make the names muon-dev-eu-checkout", "environment 'dev-eu'"
    )


def test_two_databases_cannot_share_a_password_parameter(tmp_path: Path) -> None:
    project(
        tmp_path,
        "environments: {dev: {}}\nservices:\n"
        "  apple: {port: 80, pathPatterns: [/a], database: {name: a, passwordParameter: /shared/db}}\n"
        "  berry: {port: 80, pathPatterns: [/b], database: {name: b, passwordParameter: /shared/db}}\n",
    )
    refused(
        tmp_path,
        "services.berry.database.passwordParameter: /shared/db is already the password of service 'apple'",
    )


def test_two_stacks_cannot_deploy_one_environment_into_one_region(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "Pulumi.dev2.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n"
    )
    refused(tmp_path, "Pulumi.dev.yaml: muon:environments: 'dev' is also deployed by Pulumi.dev2.yaml")
    (tmp_path / "Pulumi.dev2.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  muon:environments: [dev]\n"
    )
    assert run_plan(tmp_path)[0] == 0  # another region: other names


@pytest.mark.parametrize(
    "services",
    [
        "  apple: {port: 80, hostPatterns: [api.example.com]}\n  berry: {port: 80, hostPatterns: [API.example.com]}\n",
        "  apple: {port: 80, pathPatterns: [/x], hostPatterns: [h.example]}\n"
        "  berry: {port: 80, pathPatterns: [/x], hostPatterns: [h.example]}\n",
    ],
)
def test_two_services_cannot_claim_one_route(tmp_path: Path, services: str) -> None:
    project(tmp_path, "environments: {dev: {}}\nservices:\n" + services)
    refused(tmp_path, "muon.yaml: services.berry.", "already routed to service 'apple'")


# -- 6. values AWS refuses at deploy time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("    environment: {BIG: '" + "x" * 70_000 + "'}\n", "services.banana.environment: 70,"),
        (
            "    hostPatterns: ['https://api.example.com']\n",
            "services.banana.hostPatterns[0]: expected a host name",
        ),
        (
            "    hostPatterns: [example.com/bananas]\n",
            "services.banana.hostPatterns[0]: expected a host name",
        ),
        (
            "    scaling: {schedules: [{name: a, schedule: 'cron(0 8 * * *)', min: 1, max: 2}]}\n",
            "schedules[0].schedule: cron takes 6 fields",
        ),
        (
            "    scaling: {schedules: [{name: a, schedule: 'cron(0 8 1 * MON *)', min: 1, max: 2}]}\n",
            "cron needs '?' in exactly one of day-of-month and day-of-week",
        ),
        (
            "    scaling: {schedules: [{name: a, schedule: 'rate(5 minute)', min: 1, max: 2}]}\n",
            "AWS wants the singular unit for 1 and the plural otherwise",
        ),
        (
            "    scaling: {schedules: [{name: a, schedule: 'at(tomorrow)', min: 1, max: 2}]}\n",
            "at takes yyyy-mm-ddThh:mm:ss",
        ),
        (
            "    scaling: {schedules: [{name: a, schedule: 'rate(1 day)', min: 1, max: 2, timezone: CET+1}]}\n",
            "schedules[0].timezone: 'CET+1' is not an IANA time zone name",
        ),
        ("    scaling: {scaleOut: {steps: [{at: 80, change: 100000}]}}\n", "scaleOut.steps[0].change"),
        ("    desiredCount: 100000\n", "services.banana.desiredCount"),
    ],
)
def test_values_aws_would_refuse_halfway_are_refused_first(
    tmp_path: Path, service: str, expected: str
) -> None:
    project(tmp_path, BANANA + service)
    refused(tmp_path, "muon.yaml:", expected)


def test_schedules_aws_takes_are_accepted(tmp_path: Path) -> None:
    schedules = [
        "cron(0 8 ? * MON-FRI *)",
        "cron(30 18 1 * ? *)",
        "rate(1 hour)",
        "rate(15 minutes)",
        "at(2026-12-24T18:00:00)",
    ]
    entries = ", ".join(
        f"{{name: s{i}, schedule: '{s}', min: 1, max: 2, timezone: Europe/Paris}}"
        for i, s in enumerate(schedules)
    )
    project(tmp_path, BANANA + f"    scaling: {{schedules: [{entries}]}}\n")
    code, _, err = run_plan(tmp_path)
    assert code == 0, err


# -- 7. one validation, everywhere --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "config", "expected"),
    [
        (
            BANANA.replace("port: 8080", "port: 8080\n    cpu: 256\n    memory: 4096"),
            {},
            "Fargate with cpu 256",
        ),
        (BANANA + "    environment: {URL: '${Nope}'}\n", {}, "unknown placeholder ${Nope}"),
        (
            BANANA
            + "  apple: {port: 80, pathPatterns: [/a], priority: 7}\n  pear: {port: 80, pathPatterns: [/p], priority: 7}\n",
            {},
            "listener priority 7 is already used",
        ),
        (BANANA, {"images": {"banana": "not an image!"}}, "muon:images.banana: expected an image reference"),
        (BANANA, {"environments": ["qa"]}, "unknown environment 'qa'"),
    ],
)
def test_validate_runs_the_programs_own_checks(
    tmp_path: Path, definition: str, config: dict, expected: str
) -> None:
    project(tmp_path, definition)
    with pytest.raises(InvalidConfigError) as caught:
        Muon(tmp_path).validate("dev", config)
    assert expected in str(caught.value) and "\n" not in str(caught.value).strip()
    # …and the offline plan says the same (for the stack file's own settings).
    if not config:
        refused(tmp_path, expected)


def test_validate_checks_the_organization_file(tmp_path: Path) -> None:
    org_project(tmp_path, "units: {A: {policies: [Nope]}}\n")
    with pytest.raises(InvalidConfigError, match=r"units.A.policies\[0\]: no such policy 'Nope'"):
        Muon(tmp_path).validate("org", {})


# -- 8. a clean exit -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_error_exit_prints_the_message_and_nothing_after_it(tmp_path: Path) -> None:
    org_project(tmp_path, "units: {A: {policies: [Nope]}}\n")
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-m", "muon.plan", "org"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert (
            result.stderr
            == "error: organization.yaml: units.A.policies[0]: no such policy 'Nope'; defined: (none)\n"
        )


# -- randomly corrupted copies of the shipped files ------------------------------------------------------


def corruptions(text: str, rng: random.Random) -> str:
    kind = rng.choice(["truncate", "flip", "rename", "swap", "delete-line", "duplicate-line", "indent"])
    lines = text.splitlines(keepends=True)
    if kind == "truncate":
        return text[: rng.randrange(len(text))]
    if kind == "flip":
        position = rng.randrange(len(text))
        return text[:position] + rng.choice("{}[]:,&*!|>'\"#- \t\x00é") + text[position + 1 :]
    index = rng.randrange(len(lines))
    line = lines[index]
    if kind == "rename" and ":" in line:
        key, rest = line.split(":", 1)
        lines[index] = key + rng.choice(["x", "S", "_", ""]) + ":" + rest
    elif kind == "swap" and ":" in line:
        key, _ = line.split(":", 1)
        lines[index] = (
            key + ": " + rng.choice(["[1, 2]", "{a: b}", "yes", "-3", "''", "~", "1e999", "'x'"]) + "\n"
        )
    elif kind == "delete-line":
        del lines[index]
    elif kind == "duplicate-line":
        lines.insert(index, line)
    else:
        lines[index] = rng.choice(["  ", "", "\t", "    "]) + line.lstrip()
    return "".join(lines)


@pytest.mark.slow
def test_corrupted_shipped_files_give_a_plan_or_one_clear_error(tmp_path: Path) -> None:
    rng = random.Random(20261127)  # fixed: the same cases on every run
    shipped = {
        name: (PROJECT_DIR / name).read_text()
        for name in ("muon.yaml", "Pulumi.dev.yaml", "organization.yaml")
    }
    outcomes = {"ok": 0, "refused": 0}
    for case in range(30):
        work = tmp_path / f"case{case}"
        work.mkdir()
        for name in ("Pulumi.yaml", "Pulumi.org.yaml", *shipped):
            shutil.copy(PROJECT_DIR / name, work / name)
        shutil.copytree(PROJECT_DIR / "policies", work / "policies")
        target = rng.choice(sorted(shipped))
        (work / target).write_text(corruptions(shipped[target], rng))
        stack = "org" if target == "organization.yaml" else "dev"
        code, out, err = run_plan(work, stack)
        assert code in (0, 2), (target, err)
        assert "Traceback" not in err and "Traceback" not in out
        if code == 2:
            assert err.startswith("error: ") and len(err.splitlines()) <= 12, (target, err)
            outcomes["refused"] += 1
        else:
            outcomes["ok"] += 1
        try:
            Muon(work).validate(stack, {})
            verdict = 0
        except InvalidConfigError:
            verdict = 2
        assert verdict == code, f"validate and the plan disagree on {target}: {err}"
    assert outcomes["refused"] >= 10, outcomes


def test_the_documented_exit_codes() -> None:
    # 0 rendered, 2 refused; a bad command line is 2 too, one line, no usage dump.
    err = io.StringIO()
    assert plan.main(["--no-such-flag"], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1 and err.getvalue().startswith("error: ")


def test_json_output_of_the_plan_survives_a_refusal(tmp_path: Path) -> None:
    project(tmp_path, "environments: {dev: {tier: staging}}\n")
    line = refused(tmp_path, "muon.yaml: environments.dev.tier: expected 'development' or 'production'")
    assert json.dumps(line)  # printable as one JSON string by tools that wrap it


def test_a_cascade_of_problems_lists_the_first_ones_and_counts_the_rest(tmp_path: Path) -> None:
    """One slipped indentation (the pipeline under services) yields a dozen problems: the message
    shows the first ones, which point at the slip, and says how many more there are."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    text = (PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8")
    (tmp_path / "muon.yaml").write_text(text.replace("\npipeline:", "\n  pipeline:"), encoding="utf-8")
    code, _, err = run_plan(tmp_path)
    lines = err.splitlines()
    assert code == 2
    total = int(lines[0].removeprefix("error: ").split()[0])
    assert total > 8
    assert len(lines) == 1 + 8 + 1
    assert lines[1] == "  - muon.yaml: services.pipeline: expected a mapping, got None"
    assert lines[-1] == f"  … and {total - 8} more (fix the first ones first: they often cause the rest)"


@pytest.mark.slow
def test_a_stack_with_dynamic_resources_exits_without_a_stray_traceback() -> None:
    """The organization stack's dynamic providers open event loops on worker threads; the plan
    closes them before exiting, so nothing is printed after the plan."""
    result = run_in_project("-m", "muon.plan", "org", "--quiet")
    assert result.returncode == 0
    assert result.stderr == ""


# -- 9. nothing half-applied -----------------------------------------------------------------------------

TWO = """\
environments:
  dev: {domain: {name: dev.example.com, zone: example.com}}
  staging: {}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
"""


class RecordingMocks(MuonMocks):
    def __init__(self) -> None:
        super().__init__()
        self.declared: list[str] = []

    def new_resource(self, args):  # type: ignore[no-untyped-def]
        self.declared.append(args.name)
        return super().new_resource(args)


@pytest.mark.parametrize(
    ("addition", "expected"),
    [
        (
            "    environments: {staging: {cpu: 256, memory: 4096}}\n",
            "services.banana.memory: Fargate with cpu 256",
        ),
        (
            "    environments: {staging: {environment: {URL: 'http://${Nope}'}}}\n",
            "services.banana.environments.staging.environment.URL: unknown placeholder ${Nope}",
        ),
        ("    secrets: {KEY: '/app/${Nope}/key'}\n", "services.banana.secrets.KEY: only ${Environment}"),
        (
            "    environment: {WORKER_QUEUE_URL: x}\n  worker: {kind: worker, queue: {publishers: [banana]}}\n",
            "muon sets WORKER_QUEUE_URL",
        ),
        ("    environment: {BIG: '" + "x" * 61_000 + "'}\n", "characters of variables and secrets"),
        ("    hosts: [www]\n", "services.banana.hosts: hosts live on the environment's domain"),
        ("sites:\n  www: {host: www}\n", "sites.www.host: a host lives on the environment's domain"),
        (
            "functions:\n  hook: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/hook:1, host: api,"
            " triggers: [{type: http, path: /hook}]}\n",
            "functions.hook.host: a host lives on the environment's domain",
        ),
        (
            "jobs:\n  nightly: {service: banana, command: [run], schedule: 'cron(0 3 * * ? *)', cpu: 256,"
            " memory: 4096}\n",
            "jobs.nightly.memory: Fargate with cpu 256",
        ),
    ],
    ids=[
        "size",
        "placeholder",
        "secret",
        "queue",
        "budget",
        "service-host",
        "site-host",
        "function-host",
        "job",
    ],
)
def test_a_problem_in_the_last_environment_stops_the_run_before_any_resource(
    render_definition, addition: str, expected: str
) -> None:
    """Checked once, before anything is declared: dev (first, and fine on its own) is never
    half-applied because staging cannot be composed."""
    mocks = RecordingMocks()
    definition = TWO + addition
    with pytest.raises(DefinitionError) as caught:
        render_definition(definition, ["dev", "staging"], mocks=mocks)
    (problem,) = caught.value.problems
    assert expected in problem
    assert mocks.declared == []
