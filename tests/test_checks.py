"""Rules across surfaces (stacks/resolve/checks.py): each named check with several inputs, then the
checks through the plan, where they stop a run with one line before anything is declared.

Classes of issue 31: 3 rules across surfaces, 4 the stack's region, 5 the filesystem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from muon.stacks.definition.loader import parse_definition
from muon.stacks.definition.settings import StackSettings
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve import checks
from muon.stacks.resolve.checks import CHECKS, run_checks
from muon.stacks.resolve.scope import Scope, stack_scope
from tests.test_bad_input import project, refused, run_plan

ENV = "environments:\n  dev: {domain: {name: banana.example.com, zone: example.com}}\n"
WEB = "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"
ARN_KEY = "arn:aws:kms:{region}:123456789012:key/00000000-0000-0000-0000-000000000000"


def scope_of(
    directory: Path,
    text: str,
    environments: tuple[str, ...] = ("dev",),
    *,
    pipeline: bool = False,
    region: str = "us-east-1",
    connection: str | None = None,
) -> Scope:
    """The scope ``stack.load_inputs`` builds, for ``text`` as muon.yaml in ``directory``."""
    settings = StackSettings(environments=list(environments), pipeline=pipeline, connection=connection)
    return stack_scope(parse_definition(text), settings, "Pulumi.dev.yaml", region, directory, directory)


def test_every_check_is_registered_once_and_named_for_its_rule() -> None:
    names = [check.__name__ for check in CHECKS]
    assert len(names) == len(set(names))
    assert {
        "unique_hosts", "merged_tags_within_50", "function_timeout_within_queue_visibility",
        "unique_http_routes", "job_service_can_run", "arns_in_stack_region", "paths_inside_project",
        "function_handlers_exist",
    } <= set(names)  # fmt: skip


def test_run_checks_reports_every_problem_of_every_check_at_once(tmp_path: Path) -> None:
    text = (
        ENV + WEB + "    hosts: [api]\nsites:\n  www: {host: api, source: missing/}\n"
        "keys: {logs: '" + ARN_KEY.format(region="eu-west-1") + "'}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        run_checks(scope_of(tmp_path, text))
    problems = caught.value.problems
    assert len(problems) == 3
    assert any("sites.www.host both claim" in p for p in problems)
    assert any(p.startswith("muon.yaml: keys.logs: a KMS key of eu-west-1") for p in problems)
    assert any(p.startswith("muon.yaml: sites.www.source: missing/ does not exist") for p in problems)


# -- 3. rules across surfaces --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (WEB + "    hosts: [api, api.banana.example.com]\n", "services.banana.hosts[0] and services.banana.hosts[1]"),
        (WEB + "    hosts: [www]\nsites:\n  www: {host: www.banana.example.com}\n", "sites.www.host both claim www."),
        ("functions:\n  hi: {image: 'x/y:1', host: api, triggers: [{type: http, path: /}]}\nsites:\n  ss: {host: api}\n",
         "sites.ss.host and functions.hi.host both claim api.banana.example.com"),
        ("sites:\n  ss: {host: banana.example.com}\n", "environments.dev.domain and sites.ss.host"),
    ],
)  # fmt: skip
def test_unique_hosts_however_written(tmp_path: Path, extra: str, expected: str) -> None:
    (tmp_path / "site").mkdir()
    problems = checks.unique_hosts(scope_of(tmp_path, ENV + extra))
    assert len(problems) == 1 and expected in problems[0]


def tags(count: int, prefix: str) -> str:
    return "{" + ", ".join(f"{prefix}{i}: v" for i in range(count)) + "}"


@pytest.mark.parametrize(
    ("top", "env", "expected"),
    [
        (30, 11, "environments.dev.tags: 41 tags with the top level's (merged), and muon sets up to 10"),
        (40, 1, "environments.dev.tags: 41 tags"),
        (0, 0, None),
        (20, 20, None),
    ],
)
def test_merged_tags_within_50(tmp_path: Path, top: int, env: int, expected: str | None) -> None:
    text = f"tags: {tags(top, 'a')}\nenvironments:\n  dev: {{tags: {tags(env, 'b')}}}\n"
    problems = checks.merged_tags_within_50(scope_of(tmp_path, text))
    assert [p.startswith(f"muon.yaml: {expected}") for p in problems] == ([True] if expected else [])
    assert all(p.endswith("of its own: AWS takes 50 a resource; keep it to 40") for p in problems)
    overlapping = f"tags: {tags(40, 'a')}\nenvironments:\n  dev: {{tags: {tags(40, 'a')}}}\n"
    assert checks.merged_tags_within_50(scope_of(tmp_path, overlapping)) == []  # the same keys: 40


@pytest.mark.parametrize(
    ("visibility", "timeout", "expected"),
    [
        (30, 60, "functions.fn.timeout: 60 seconds is longer than the visibility timeout"),
        (60, 60, None),
        (900, 30, None),
    ],
)
def test_function_timeout_within_queue_visibility(
    tmp_path: Path, visibility: int, timeout: int, expected: str | None
) -> None:
    text = (
        "environments: {dev: {}}\nservices:\n  work: {kind: worker, queue: {visibilityTimeout: "
        + str(visibility)
        + "}}\n"
        f"functions:\n  fn: {{image: 'x/y:1', timeout: {timeout}, triggers: [{{type: queue, worker: work}}]}}\n"
    )
    problems = checks.function_timeout_within_queue_visibility(scope_of(tmp_path, text))
    assert [expected in p for p in problems] == ([True] if expected else [])
    unknown = text.replace("worker: work}", "worker: other}")
    assert (
        "triggers[0].worker: no worker service 'other'"
        in checks.function_timeout_within_queue_visibility(scope_of(tmp_path, unknown))[0]
    )


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ("[{type: http, path: /a}, {type: http, path: /a}]", "triggers[1]: ANY /a is the route of triggers[0] already"),
        ("[{type: http, path: '/i/{id}', method: GET}, {type: http, path: '/i/{key}', method: GET}]",
         "triggers[1]: GET /i/{key} is the route of triggers[0] already"),
        ("[{type: http, path: /a, method: GET}, {type: http, path: /a, method: POST}]", None),
        ("[{type: http, path: /a}, {type: http, path: /a, method: GET}]", None),
    ],
)  # fmt: skip
def test_unique_http_routes(tmp_path: Path, routes: str, expected: str | None) -> None:
    text = f"environments: {{dev: {{}}}}\nfunctions:\n  fn: {{image: 'x/y:1', triggers: {routes}}}\n"
    problems = checks.unique_http_routes(scope_of(tmp_path, text))
    assert problems == (
        [f"muon.yaml: functions.fn.{expected}; an HTTP API takes each route once"] if expected else []
    )


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ("command: [" + ", ".join(["'" + "x" * 4000 + "'"] * 3) + "]", "jobs.jb.command: 12,"),
        ("command: [app], cpu: 256, memory: 4096", "jobs.jb.memory: Fargate"),
        ("command: [app], cpu: 256, memory: 512", None),
    ],
)
def test_job_service_can_run(tmp_path: Path, job: str, expected: str | None) -> None:
    text = f"environments: {{dev: {{}}}}\n{WEB}jobs:\n  jb: {{service: banana, schedule: 'rate(1 day)', {job}}}\n"
    problems = checks.job_service_can_run(scope_of(tmp_path, text))
    assert [expected in p for p in problems] == ([True] if expected else [])


# -- 4. the stack's region -----------------------------------------------------------------------------

CERT = "arn:aws:acm:{region}:123456789012:certificate/00000000-0000-0000-0000-000000000000"
WAF = "arn:aws:wafv2:{region}:123456789012:regional/webacl/acl/00000000-0000-0000-0000-000000000000"
CONNECTION = (
    "arn:aws:codestar-connections:{region}:123456789012:connection/00000000-0000-0000-0000-000000000000"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keys: {{logs: '{key}'}}\nenvironments: {{dev: {{}}}}\n", "keys.logs: a KMS key of eu-west-1, but it is used in us-east-1"),
        ("keys: {{data: '{key}'}}\nenvironments: {{dev: {{}}}}\n", "keys.data: a KMS key of eu-west-1"),
        ("environments: {{dev: {{loadBalancer: {{certificateArn: '{cert}'}}}}}}\n",
         "environments.dev.loadBalancer.certificateArn: an ACM certificate of eu-west-1"),
        ("environments: {{dev: {{waf: '{waf}'}}}}\n", "environments.dev.waf: a regional web ACL of eu-west-1"),
        ("environments: {{dev: {{}}}}\nfunctions:\n  fn: {{image: 'x/y:1', secrets: {{TOKEN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/t'}}}}\n",
         "functions.fn.secrets.TOKEN: a parameter of eu-west-1"),
        ("environments: {{dev: {{}}}}\n" + WEB + "    roles: {{task: 'arn:aws-cn:iam::123456789012:role/r'}}\n",
         "services.banana.roles.task: an IAM role of partition aws-cn, but this stack deploys to us-east-1"),
        ("permissionsBoundary: 'arn:aws-us-gov:iam::aws:policy/B'\nenvironments: {{dev: {{}}}}\n",
         "permissionsBoundary: an IAM policy of partition aws-us-gov"),
    ],
)  # fmt: skip
def test_every_arn_is_checked_against_the_stacks_region_and_partition(
    tmp_path: Path, text: str, expected: str
) -> None:
    region = "eu-west-1"
    text = text.format(
        key=ARN_KEY.format(region=region), cert=CERT.format(region=region), waf=WAF.format(region=region)
    )
    problems = checks.arns_in_stack_region(scope_of(tmp_path, text))
    assert len(problems) == 1 and problems[0].startswith(f"muon.yaml: {expected}"), problems
    in_its_region = checks.arns_in_stack_region(scope_of(tmp_path, text, region=region))
    assert (in_its_region == []) == ("partition" not in expected)  # another partition: never found


def test_arns_of_other_stacks_are_left_to_them(tmp_path: Path) -> None:
    other = ARN_KEY.format(region="eu-west-1")
    text = (
        f"keys: {{pipeline: '{other}'}}\nenvironments:\n  dev: {{}}\n  prod: {{waf: '{WAF.format(region='eu-west-1')}'}}\n"
        + WEB
        + "    secrets: {A: 'arn:aws:ssm:eu-west-1:123456789012:parameter/a'}\n"
        "    roles: {task: 'arn:aws:iam::123456789012:role/r'}\n"
    )
    assert (
        checks.arns_in_stack_region(scope_of(tmp_path, text, ("dev",))) == []
    )  # ECS reads other regions' by ARN
    pipeline = scope_of(tmp_path, text, (), pipeline=True)
    assert checks.arns_in_stack_region(pipeline) == [
        "muon.yaml: keys.pipeline: a KMS key of eu-west-1, but it is used in us-east-1 (KMS keys are regional; "
        "a resource takes a key of its own region); give one of us-east-1"
    ]


def test_a_pipelines_connection_is_in_the_pipelines_region(tmp_path: Path) -> None:
    text = (
        "environments: {dev: {}}\npipeline:\n  source: {repo: acme/banana, connection: '"
        + CONNECTION.format(region="eu-west-1")
        + "'}\n  stages: [{environment: dev}]\n"
    )
    problems = checks.arns_in_stack_region(scope_of(tmp_path, text, (), pipeline=True))
    assert problems == [
        "muon.yaml: pipeline.source.connection: a CodeStar connection of eu-west-1, but it is used in us-east-1 "
        "(a pipeline's source action runs in the pipeline's region); give one of us-east-1"
    ]
    setting = scope_of(tmp_path, text.replace(", connection: '" + CONNECTION.format(region="eu-west-1") + "'", ""),
                       (), pipeline=True, connection=CONNECTION.format(region="ap-south-1"))  # fmt: skip
    assert checks.arns_in_stack_region(setting)[0].startswith(
        "Pulumi.dev.yaml: muon:connection: a CodeStar connection of ap-south-1"
    )


# -- 5. the filesystem ---------------------------------------------------------------------------------

BUILD = (
    "environments: {{dev: {{}}}}\n" + WEB + "    build: {{context: {context}, dockerfile: {dockerfile}}}\n"
)


@pytest.mark.parametrize(
    ("layout", "context", "dockerfile", "expected"),
    [
        ({}, "app", "app/Dockerfile", "services.banana.build.context: app does not exist (relative to the definition's folder)"),
        ({"app": "file"}, "app", "app/Dockerfile", "services.banana.build.context: app is a file; expected a folder"),
        ({"app/Dockerfile": "folder"}, "app", "app/Dockerfile", "services.banana.build.dockerfile: app/Dockerfile is a folder"),
        ({"app/Dockerfile": "file"}, "../elsewhere", "app/Dockerfile", "services.banana.build.context: ../elsewhere leads outside the project"),
        ({"app/Dockerfile": "file", "app/link": "outside"}, "app/link", "app/Dockerfile", "app/link leads outside the project"),
        ({"app/Dockerfile": "file"}, "app", "app/Dockerfile", None),
    ],
)  # fmt: skip
def test_build_paths_exist_inside_the_project_and_are_what_the_key_expects(
    tmp_path: Path, layout: dict[str, str], context: str, dockerfile: str, expected: str | None
) -> None:
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (tmp_path / "elsewhere").mkdir()
    for path, kind in layout.items():
        target = project_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            target.write_text("FROM scratch\n")
        elif kind == "folder":
            target.mkdir()
        else:
            os.symlink(tmp_path / "elsewhere", target)
    text = BUILD.format(context=context, dockerfile=dockerfile)
    problems = checks.paths_inside_project(scope_of(project_dir, text))
    if expected is None:
        assert problems == []
    else:
        assert problems and problems[0].startswith("muon.yaml: ") and expected in problems[0], problems


def test_function_sources_sites_and_pipeline_files(tmp_path: Path) -> None:
    text = (
        "environments: {dev: {}}\nfunctions:\n  fn: {source: fn, runtime: python3.12, handler: app.handler}\n"
        "sites:\n  www: {source: web/}\n  app: {source: spa/, build: npm run build}\n"
        + WEB.replace("banana", "fn")
        + "pipeline:\n  source: {provider: codecommit, repo: banana}\n  build: {buildspec: ci/build.yml}\n"
        "  stages: [{environment: dev, test: ci/test.yml}]\n  images: {fn: {context: img}}\n"
    )
    (tmp_path / "fn").write_text("not a folder")
    (tmp_path / "web").mkdir()
    (tmp_path / "spa").mkdir()  # built: its output appears with the build
    environment = checks.paths_inside_project(scope_of(tmp_path, text))
    assert environment == [
        "muon.yaml: functions.fn.source: fn is a file; expected a folder",
        "muon.yaml: sites.www.output: web/dist does not exist (a site without a build)",
    ]
    pipeline = checks.paths_inside_project(scope_of(tmp_path, text, (), pipeline=True))
    assert pipeline == [
        "muon.yaml: pipeline.build.buildspec: ci/build.yml does not exist (relative to the repository's root)",
        "muon.yaml: pipeline.images.fn.dockerfile: Dockerfile does not exist (relative to the repository's root)",
        "muon.yaml: pipeline.images.fn.context: img does not exist (relative to the repository's root)",
        "muon.yaml: pipeline.stages[0].test: ci/test.yml does not exist (relative to the repository's root)",
    ]


def test_pipeline_paths_are_relative_to_the_repository_root_above_the_project(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "build.yml").write_text("version: 0.2\n")
    (tmp_path / "infra").mkdir()
    text = (
        "environments: {dev: {}}\npipeline:\n  source: {provider: codecommit, repo: banana}\n"
        "  build: {buildspec: ci/build.yml}\n  projectDir: infra\n  stages: [{environment: dev}]\n"
    )
    assert checks.paths_inside_project(scope_of(tmp_path / "infra", text, (), pipeline=True)) == []


def test_an_extension_linked_from_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.py").write_text("def transform(resource):\n    pass\n")
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    os.symlink(tmp_path / "outside.py", project_dir / "acme.py")
    problems = checks.paths_inside_project(
        scope_of(project_dir, "extensions: [acme]\nenvironments: {dev: {}}\n")
    )
    assert problems == [
        "muon.yaml: extensions[0]: acme.py leads outside the project (a symbolic link); the pipeline's "
        "checkout would not have it"
    ]


@pytest.mark.parametrize(
    ("runtime", "handler", "files", "expected"),
    [
        ("python3.12", "app.handler", {"app.py": "def handler(event, context):\n    pass\n"}, None),
        ("python3.12", "app.handler", {"app.py": "async def handler(event, context):\n    pass\n"}, None),
        ("python3.12", "pkg.app.main", {"pkg/app.py": "def main(e, c): ...\n"}, None),
        ("python3.12", "app.handler", {}, "app.handler: no app.py in the function's source"),
        ("python3.12", "app.handler", {"app.py": "def handle(e, c): ...\n"}, "app.handler: app.py defines no handler"),
        ("python3.12", "handler", {}, "handler: expected <file>.<function>, such as app.handler"),
        ("nodejs20.x", "index.handler", {"index.mjs": "export const handler = async () => {};\n"}, None),
        ("nodejs20.x", "index.handler", {"index.js": "exports.handler = async function () {};\n"}, None),
        ("nodejs20.x", "index.handler", {"index.js": "exports.main = 1;\n"}, "index.handler: index.js defines no handler"),
        ("ruby3.3", "function.handler", {"function.rb": "def handler(event:, context:)\nend\n"}, None),
        ("java21", "com.example.Handler::handleRequest", {}, None),
    ],
)  # fmt: skip
def test_a_handler_names_a_file_and_function_of_the_source(
    tmp_path: Path, runtime: str, handler: str, files: dict[str, str], expected: str | None
) -> None:
    for name, content in files.items():
        (tmp_path / "fn" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fn" / name).write_text(content)
    (tmp_path / "fn").mkdir(exist_ok=True)
    text = f"environments: {{dev: {{}}}}\nfunctions:\n  fn: {{source: fn, runtime: {runtime}, handler: '{handler}'}}\n"
    problems = checks.function_handlers_exist(scope_of(tmp_path, text))
    assert problems == ([f"muon.yaml: functions.fn.handler: {expected}"] if expected else [])


# -- through the plan: one line, before anything is declared ----------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("    build: {context: app}\n", "muon.yaml: services.banana.build.context: app does not exist"),
        ("    environment: {A: {dev: '" + "ghp_" + "x1Y2" * 9 + "'}}\n", "services.banana.environment.A.dev: the value looks like a GitHub token"),
        ("keys: {logs: '" + ARN_KEY.format(region="eu-west-1") + "'}\n", "muon.yaml: keys.logs: a KMS key of eu-west-1"),
    ],
)  # fmt: skip
def test_the_plan_stops_with_one_line_naming_the_file_and_path(
    tmp_path: Path, extra: str, expected: str
) -> None:
    from tests.test_bad_input import BANANA

    definition = BANANA + extra if extra.startswith("    ") else extra + BANANA
    project(tmp_path, definition)
    line = refused(tmp_path, expected)
    assert str(tmp_path) not in line  # paths relative to the project


def test_a_stack_without_its_region_is_refused_not_sent_to_us_east_1(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  muon:environments: [dev]\n")
    refused(tmp_path, "Pulumi.dev.yaml: aws:region: not set; every muon stack names its region")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        json.dumps({"config": {"aws:region": "eu-west-1", "muon:environments": ["dev"]}})
    )
    assert run_plan(tmp_path)[0] == 0


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (WEB + "    permissions: [{actions: [s3:GetObject], resources: [" + ", ".join(f"'arn:aws:s3:::b{i}/{'p' * 200}'" for i in range(50)) + "]}]\n",
         "services.banana.permissions: about 12,"),
        (WEB + "    secrets: {" + ", ".join(f"S{i}: /{'p' * 200}/{i}" for i in range(40)) + "}\n", "services.banana.secrets: about 12,"),
        ("functions:\n  fn: {image: 'x/y:1', permissions: [{actions: [s3:GetObject], resources: ["
         + ", ".join(f"'arn:aws:s3:::b{i}/{'p' * 200}'" for i in range(50)) + "]}]}\n", "functions.fn.permissions: about 12,"),
        (WEB + "    permissions: [{actions: [s3:GetObject], resources: ['arn:aws:s3:::bananas/*']}]\n", None),
    ],
    ids=["task-permissions", "execution-secrets", "function-permissions", "a-prefix"],
)  # fmt: skip
def test_iam_policies_within_size(tmp_path: Path, extra: str, expected: str | None) -> None:
    """Found with the fuzzer's oracle (class 6): sixty resources rendered a task policy IAM refuses
    (a role's inline policies take 10,240 characters)."""
    problems = checks.iam_policies_within_size(scope_of(tmp_path, "environments: {dev: {}}\n" + extra))
    assert [expected in p and "IAM takes 10,240" in p for p in problems] == ([True] if expected else [])
