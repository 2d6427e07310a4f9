"""The value types every surface shares (stacks/definition/types.py, secrets.py): one rule, the same
refusal wherever the value appears, and no good value refused.

Classes of issue 31: 1 secrets anywhere, 2 values inside strings, 6 what Lambda and ECS refuse in
combinations; 8 messages (no validator internals in a path).
"""

from __future__ import annotations

import pytest

from muon.stacks.definition.loader import parse_definition
from tests.conftest import definition_error

ENV = "environments: {dev: {}}\n"
WEB = "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"
FUNCTION = "functions:\n  hello:\n    source: fn\n    runtime: python3.12\n    handler: app.handler\n"

# -- 1. secrets anywhere ------------------------------------------------------------------------------

AKIA = "AKIA" + "Q" * 16
GITHUB = "ghp_" + "a1B2" * 9
SLACK = "xoxb-1234567890-abcdefghij"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
RANDOM = "q7Xv2LmP9sKd4RtY8wZb3NcF6hJ1"  # 28 characters of a generated secret
CREDENTIAL_VALUES = [
    (AKIA, "an AWS access key id"),
    (GITHUB, "a GitHub token"),
    (SLACK, "a Slack token"),
    (STRIPE, "a Stripe live key"),
    ("'-----BEGIN RSA PRIVATE KEY-----'", "a private key"),
    (JWT, "a JSON Web Token"),
    ("'postgres://app:s3cret@db:5432/app'", "a URL with a password"),
    ("'redis://:s3cret@cache:6379'", "a URL with a password"),
    (RANDOM, "a random token"),
]
SURFACES = [
    # (where the map is, the YAML around one NAME: VALUE entry, the path the message names)
    (WEB + "    environment: {{{name}: {value}}}\n", "services.banana.environment.{name}"),
    (WEB + "    environment: {{{name}: {{dev: {value}}}}}\n", "services.banana.environment.{name}.dev"),
    (
        WEB + "    environments: {{dev: {{environment: {{{name}: {value}}}}}}}\n",
        "services.banana.environments.dev.environment.{name}",
    ),
    (FUNCTION + "    environment: {{{name}: {value}}}\n", "functions.hello.environment.{name}"),
    (WEB + "    build: {{args: {{{name}: {value}}}}}\n", "services.banana.build.args.{name}"),
]


@pytest.mark.parametrize(("value", "kind"), CREDENTIAL_VALUES)
@pytest.mark.parametrize(("surface", "path"), SURFACES)
def test_a_credential_in_any_map_of_variables_is_refused_never_echoed(
    surface: str, path: str, value: str, kind: str
) -> None:
    message = definition_error(ENV + surface.format(name="SETTING", value=value))
    assert f"muon.yaml: {path.format(name='SETTING')}: the value looks like {kind}" in message
    assert value.strip("'") not in message and "s3cret" not in message
    expected = (
        "through its secrets:" if ".build.args." in path else "name it under secrets: (secrets: {SETTING:"
    )
    assert expected in message


@pytest.mark.parametrize(
    "name", ["GITHUB_TOKEN", "DB_PASSWORD", "API_KEY", "STRIPE_KEY", "AWS_SECRET_ACCESS_KEY", "clientSecret",
             "SECRET_KEY_BASE", "npmToken", "SMTP_CREDENTIALS"],
)  # fmt: skip
@pytest.mark.parametrize(("surface", "path"), SURFACES)
def test_a_name_that_says_secret_is_refused_on_every_surface(surface: str, path: str, name: str) -> None:
    message = definition_error(ENV + surface.format(name=name, value="hunter2"))
    assert f"{path.format(name=name)}: the name says it holds a secret (value not shown)" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SPRING_DATASOURCE_PASSWORD", "${DatabaseMasterPassword}"),  # becomes an ECS secret
        ("SORT_KEY", "created_at"),
        ("PUBLIC_KEY", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG"),
        ("KMS_KEY_ID", "alias/banana"),
        ("SIGNING_KEY", "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"),
        ("TOKEN_URL", "https://auth.example.com/oauth/token"),
        ("MAX_TOKENS", "4096"),
        ("CSRF_TOKEN_ENABLED", "true"),
        ("MAIN_CLASS", "com.example.banana.BananaApplication2"),
        ("RELEASE", "v1.2.3-beta.4+Build.5678.Linux"),
        ("GIT_SHA", "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f9a0"),
        ("REQUEST_ID", "123e4567-e89b-12d3-a456-426614174000"),
        ("DATABASE_URL", "postgres://app@db.internal:5432/app"),
        ("JAVA_OPTS", "-Xmx512m -XX:+UseG1GC"),
        ("SERVICE", "My-Service-Name-V2-Production-01"),
    ],
)
def test_good_variables_are_not_taken_for_secrets(name: str, value: str) -> None:
    text = ENV + WEB + f"    environment: {{{name}: '{value}'}}\n    database: {{name: banana}}\n"
    assert parse_definition(text).services["banana"].environment[name] == value


@pytest.mark.parametrize(
    ("surface", "path"),
    [
        (WEB + "    containerHealthCheck: {{command: [CMD-SHELL, 'curl -H \"x: {value}\" localhost']}}\n",
         "services.banana.containerHealthCheck.command[1]"),
        (WEB + "    imageTest: 'curl -u {value} $IMAGE'\n", "services.banana.imageTest"),
        ("jobs:\n  nightly: {{service: banana, command: [app, --token, {value}], schedule: 'rate(1 day)'}}\n" + WEB,
         "jobs.nightly.command[2]"),
        ("sites:\n  www: {{build: 'GITHUB={value} npm ci'}}\n", "sites.www.build"),
        ("environments: {{dev: {{cluster: {{provider: ec2, userData: 'export K={value}'}}}}}}\n",
         "environments.dev.cluster.userData"),
        (WEB + "    database: {{name: banana, parameters: {{init_connect: '{value}'}}}}\n",
         "services.banana.database.parameters.init_connect"),
    ],
)  # fmt: skip
def test_a_credential_in_a_command_or_script_is_refused(surface: str, path: str) -> None:
    text = surface.format(value=GITHUB)
    message = definition_error(text if text.startswith("environments") else ENV + text)
    assert f"{path}: " in message and "a GitHub token" in message and GITHUB not in message


def test_random_looking_arguments_of_a_command_are_not_refused() -> None:
    text = (
        ENV
        + WEB
        + f"jobs:\n  sync: {{service: banana, command: [app, --digest, {RANDOM}], schedule: 'rate(1 day)'}}\n"
    )
    assert parse_definition(text).jobs["sync"].command[2] == RANDOM


# -- 2. values inside strings ---------------------------------------------------------------------

BAD_CRONS = [
    ("cron(60 8 ? * MON-FRI *)", "minutes: 60 is outside 0-59"),
    ("cron(0 24 ? * MON-FRI *)", "hours: 24 is outside 0-23"),
    ("cron(0 8 32 * ? *)", "day-of-month: 32 is outside 1-31"),
    ("cron(0 8 ? 13 MON *)", "month: 13 is outside 1-12"),
    ("cron(0 8 ? JANUARY MON *)", "month: 'JANUARY' is not a number from 1 to 12"),
    ("cron(0 8 ? * MON-FRX *)", "day-of-week: 'FRX' is not a number from 1 to 7"),
    ("cron(0 8 ? * 8 *)", "day-of-week: 8 is outside 1-7"),
    ("cron(0 8 ? * 2#6 *)", "'#6' names the nth weekday of a month: 1 to 5"),
    ("cron(0 8 ? * MON 1969)", "year: 1969 is outside 1970-2199"),
    ("cron(0 8 * * MON *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 8 ? * ? *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 8 * *)", "cron takes 6 fields"),
    ("cron(0/0 8 ? * MON *)", "'/0' needs a positive whole increment"),
    ("rate(1 minutes)", "singular unit for 1"),
    ("rate(5 minute)", "singular unit for 1 and the plural otherwise"),
    ("rate(2 weeks)", "rate takes a positive whole number"),
    ("rate(0 days)", "rate takes a positive whole number"),
]
GOOD_CRONS = [
    "cron(0 8 ? * MON-FRI *)", "cron(0/15 * * * ? *)", "cron(*/5 9-17 ? * 2-6 *)", "cron(0 8 L * ? *)",
    "cron(0 8 15W * ? *)", "cron(0 8 ? * 6L *)", "cron(0 8 ? * 2#1 *)", "cron(30 2 1,15 JAN,JUL ? 2030)",
    "rate(1 minute)", "rate(5 minutes)", "rate(1 day)", "rate(12 hours)",
]  # fmt: skip
SCHEDULES = [
    (WEB + "    scaling: {{schedules: [{{name: day, schedule: '{s}', min: 1, max: 2}}]}}\n",
     "services.banana.scaling.schedules[0].schedule"),
    (WEB + "jobs:\n  nightly: {{service: banana, command: [app], schedule: '{s}'}}\n", "jobs.nightly.schedule"),
    (FUNCTION + "    triggers: [{{type: schedule, schedule: '{s}'}}]\n", "functions.hello.triggers[0].schedule"),
]  # fmt: skip


@pytest.mark.parametrize(("schedule", "expected"), BAD_CRONS)
@pytest.mark.parametrize(("surface", "path"), SCHEDULES)
def test_a_schedule_is_checked_field_by_field_wherever_it_appears(
    surface: str, path: str, schedule: str, expected: str
) -> None:
    assert f"muon.yaml: {path}: " in (message := definition_error(ENV + surface.format(s=schedule)))
    assert expected in message


@pytest.mark.parametrize("schedule", GOOD_CRONS)
@pytest.mark.parametrize(("surface", "path"), SCHEDULES)
def test_schedules_aws_takes_are_accepted_everywhere(surface: str, path: str, schedule: str) -> None:
    parse_definition(ENV + surface.format(s=schedule))


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("at(2026-02-30T10:00:00)", "a date and time that exist"),
        ("at(2026-12-24 18:00)", "at takes yyyy-mm-ddThh:mm:ss"),
    ],
)
def test_an_at_schedule_names_a_moment_that_exists(schedule: str, expected: str) -> None:
    surface = SCHEDULES[0][0].format(s=schedule)
    assert expected in definition_error(ENV + surface)
    parse_definition(ENV + SCHEDULES[0][0].format(s="at(2026-12-24T18:00:00)"))


RESTORE = "environments: {{dev: {{continuity: {{restoreTest: {{schedule: '{s}'}}}}}}}}\n"


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("cron(0/15 * * * ? *)", "AWS Backup runs at most hourly"),
        ("cron(0,30 6 1 * ? *)", "AWS Backup runs at most hourly"),
        ("rate(1 day)", "expected an AWS Backup cron expression, in UTC: cron(...)"),
        ("cron(0 25 1 * ? *)", "hours: 25 is outside 0-23"),
    ],
)
def test_a_restore_test_schedule_is_a_backup_cron(schedule: str, expected: str) -> None:
    message = definition_error(RESTORE.format(s=schedule))
    assert "environments.dev.continuity.restoreTest.schedule: " in message and expected in message
    parse_definition(RESTORE.format(s="cron(0 6 1 * ? *)"))


ZONED = [
    WEB
    + "    scaling: {{schedules: [{{name: day, schedule: 'rate(1 day)', min: 1, max: 2, timezone: '{z}'}}]}}\n",
    WEB + "jobs:\n  nightly: {{service: banana, command: [app], schedule: 'rate(1 day)', timezone: '{z}'}}\n",
    FUNCTION + "    triggers: [{{type: schedule, schedule: 'rate(1 day)', timezone: '{z}'}}]\n",
]


@pytest.mark.parametrize("surface", ZONED)
@pytest.mark.parametrize("timezone", ["Mars/Olympus", "UTC+2", "europe/paris"])
def test_a_time_zone_is_an_iana_name_everywhere(surface: str, timezone: str) -> None:
    assert f"'{timezone}' is not an IANA time zone name" in definition_error(ENV + surface.format(z=timezone))
    parse_definition(ENV + surface.format(z="Europe/Paris"))


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("backupWindow: 03:00-03:15", "backupWindow: 03:00-03:15 lasts 15 minutes"),
        ("maintenanceWindow: 'sun:04:30-sun:04:45'", "lasts 15 minutes; RDS needs a window of at least 30"),
        ("{backupWindow: 04:00-05:00}", "overlaps the maintenance window sun:04:30-sun:05:30"),
        ("{backupWindow: 23:30-00:30, maintenanceWindow: 'mon:00:00-mon:01:00'}", "overlaps the maintenance"),
    ],
)
def test_database_windows_last_30_minutes_and_do_not_meet(database: str, expected: str) -> None:
    body = database.strip("{}")
    assert expected in definition_error(ENV + WEB + f"    database: {{name: banana, {body}}}\n")
    parse_definition(ENV + WEB + "    database: {name: banana, backupWindow: 23:30-00:30, "
                     "maintenanceWindow: 'wed:03:00-wed:04:00'}\n")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("environments: {dev: {cluster: {provider: ec2, httpProxy: 'http://proxy:99999'}}}\n",
         "environments.dev.cluster.httpProxy", "port 99999 is not 1 to 65535"),
        (ENV + WEB + "    image: 'registry.example.com:70000/banana:1'\n", "services.banana.image",
         "port 70000 is not 1 to 65535"),
        (ENV + WEB + "    healthCheck: {matcher: '600'}\n", "services.banana.healthCheck.matcher", "200 to 499"),
        (ENV + WEB + "    healthCheck: {matcher: '300-200'}\n", "services.banana.healthCheck.matcher", "low-high"),
    ],
)  # fmt: skip
def test_ports_and_codes_inside_strings_are_checked(text: str, path: str, expected: str) -> None:
    message = definition_error(text)
    assert f"{path}: " in message and expected in message


# -- 6. what Lambda and ECS refuse in combination --------------------------------------------------

IMAGE_FUNCTION = "functions:\n  hello:\n    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/hello:1\n"


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (IMAGE_FUNCTION + "    runtime: python3.12\n", "functions.hello.runtime: an image function takes its runtime"),
        (IMAGE_FUNCTION + "    handler: app.handler\n", "functions.hello.handler: an image function takes its handler"),
        (FUNCTION + "    environment: {AWS_REGION: eu-west-1}\n", "environment.AWS_REGION: AWS_REGION is set by Lambda"),
        (FUNCTION + "    environment: {AWS_LAMBDA_FUNCTION_NAME: x}\n", "is set by Lambda itself"),
        (FUNCTION + "    environment: {_HANDLER: x}\n", "functions.hello.environment._HANDLER: expected a Lambda variable"),
        (FUNCTION + "    environment: {A: x}\n", "functions.hello.environment.A: expected a Lambda variable name"),
        (FUNCTION + "    secrets: {AWS_LAMBDA_LOG: /x}\n", "functions.hello.secrets.AWS_LAMBDA_LOG: AWS_LAMBDA_LOG_PARAMETER is set by Lambda"),
        (FUNCTION + "    environment: {DB: x}\n    secrets: {DB: /db}\n", "functions.hello.secrets.DB: also a variable"),
        (FUNCTION + "    environment: {" + ", ".join(f"V{i}: '{'x' * 200}'" for i in range(20)) + "}\n",
         "functions.hello.environment: 4,"),
        (WEB + "    containerHealthCheck: {command: [curl, -f, localhost]}\n", "CMD, CMD-SHELL or NONE"),
    ],
)  # fmt: skip
def test_combinations_lambda_and_ecs_refuse(function: str, expected: str) -> None:
    assert expected in definition_error(ENV + function)


def test_the_4_kb_of_a_function_counts_the_parameter_names_muon_adds() -> None:
    secrets = ", ".join(f"S{i}: /{'p' * 180}/{i}" for i in range(25))
    message = definition_error(ENV + FUNCTION + f"    secrets: {{{secrets}}}\n")
    assert "with the <NAME>_PARAMETER muon adds per secret" in message
    parse_definition(ENV + FUNCTION + "    environment: {AWS_LAMBDA_EXEC_WRAPPER: /opt/wrapper, LANG: C}\n")


# -- 8. messages: no validator internals ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ENV + WEB + "    environment: {A: 5}\n",
         "muon.yaml: services.banana.environment.A: expected text or a map of names to text, got 5"),
        (ENV + WEB + "    environment: {A: {dev: [1]}}\n", "muon.yaml: services.banana.environment.A.dev: expected text, got [1]"),
        (ENV + FUNCTION + "    triggers: [{type: http, path: 5}]\n", "muon.yaml: functions.hello.triggers[0].path: expected text, got 5"),
        (ENV + FUNCTION + "    triggers: [{type: cron}]\n",
         "functions.hello.triggers[0].type: expected one of http, schedule, queue, alexaSkill, got 'cron'"),
        (ENV + FUNCTION + "    triggers: [{path: /x}]\n", "functions.hello.triggers[0].type: expected one of http"),
        (ENV + "services: {banana: 5}\n", "muon.yaml: services.banana: expected a mapping, got 5"),
    ],
)  # fmt: skip
def test_a_message_names_the_key_path_once_without_validator_internals(text: str, expected: str) -> None:
    message = definition_error(text)
    assert message == expected or message.endswith(expected) or expected in message
    for internal in (".str", ".dict[", "constrained-str", ".http.", "function-after", "instance of"):
        assert internal not in message
    assert message.count("muon.yaml:") == 1


# -- found by the fuzzer (tests/test_fuzz.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (f"environments: {{dev: {AKIA}}}\n", "environments.dev: expected a mapping"),
        (ENV + f"{AKIA}: 1\n", "unknown key"),
        (ENV + WEB + f"    scaling: {{schedules: [{{name: a, schedule: rate(1 day), min: 1, max: 2, timezone: {AKIA}}}]}}\n",
         "timezone: "),
        (ENV + WEB + f"    cpu: {GITHUB}\n", "services.banana.cpu: expected a whole number"),
        (ENV + WEB + f"    protocol: '{STRIPE}'\n", "services.banana.protocol: expected 'http' or 'https'"),
    ],
)  # fmt: skip
def test_a_credential_where_another_kind_of_value_belongs_is_never_echoed(text: str, path: str) -> None:
    """Found by the fuzzer (class 1): a planted key in place of an environment came back in the
    message ("expected a mapping, got 'AKIA…'")."""
    message = definition_error(text)
    assert path in message
    assert AKIA not in message and GITHUB not in message and STRIPE not in message


def test_a_health_check_path_is_at_most_what_a_target_group_takes() -> None:
    """Found with the fuzzer's oracle (class 2): a 1,500-character path rendered, and ELB's
    CreateTargetGroup takes a HealthCheckPath of 1 to 1,024 characters."""
    assert "services.banana.healthCheck.path: " in definition_error(
        ENV + WEB + f"    healthCheck: {{path: /{'a' * 1024}}}\n"
    )
    parse_definition(ENV + WEB + f"    healthCheck: {{path: /{'a' * 1023}}}\n")


@pytest.mark.parametrize(
    "text",
    [
        ENV
        + WEB
        + '    scaling: {schedules: [{name: a, schedule: rate(1 day), min: 1, max: 2, timezone: "1\\nEurope"}]}\n',
        ENV + '"line\\nbreak": 1\n',
        ENV + WEB + '    environment: {"A\\u2028B": x}\n',
    ],
)
def test_a_value_with_a_line_break_is_still_one_line(text: str) -> None:
    """Found by the fuzzer (class 8): a time zone generated from the schema held a line break,
    and the message quoting it spread over two lines."""
    message = definition_error(text)
    assert "\\n" in message or "\\u2028" in message


# -- names: what an RDS identifier takes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environments: {dev--a: {}}\n", "muon.yaml: environments.dev--a: expected a name of 2-22"),
        (ENV + "services:\n  ba--nana: {port: 8080, pathPatterns: [/b]}\n", "services.ba--nana: expected a name"),
        (ENV + "services:\n  banana-: {port: 8080, pathPatterns: [/b]}\n", "services.banana-: expected a name"),
        ("namespace: acme--shop\n" + ENV, "muon.yaml: namespace: expected a namespace of 2-16"),
        ("namespace: acme-\n" + ENV, "muon.yaml: namespace: expected a namespace of 2-16"),
        ("environments: {" + "d" * 23 + ": {}}\n", "expected a name of 2-22"),
        ("namespace: " + "n" * 17 + "\n" + ENV, "expected a namespace of 2-16"),
    ],
)  # fmt: skip
def test_names_refuse_two_hyphens_in_a_row_and_a_trailing_one(text: str, expected: str) -> None:
    """RDS identifiers (the cluster's is ``<namespace>-<environment>-<service>``) refuse '--' and a
    '-' at the end (CreateDBCluster, DBClusterIdentifier): the names refuse them first, saying so."""
    message = definition_error(text)
    assert expected in message
    assert "no '--' and no '-' at the end (RDS identifiers refuse both)" in message


def test_names_with_single_hyphens_and_digits_are_accepted() -> None:
    definition = parse_definition(
        "namespace: a1-b2\nenvironments: {d-2: {}, " + "e" * 22 + ": {}}\n"
        "services:\n  a-b-c-1: {port: 8080, pathPatterns: [/b]}\n",
        "muon.yaml",
    )
    assert definition.namespace == "a1-b2" and set(definition.services) == {"a-b-c-1"}
    assert set(definition.environments) == {"d-2", "e" * 22}
