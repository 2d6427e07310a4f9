"""The monthly cost estimate: its arithmetic, its coverage, and the choices it makes.

Expected figures are worked out by hand from the us-east-1 list prices in muon/data/prices.json
(and the usage the table states per tier), written out term by term so a reviewer can redo them.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from muon.plan.command import cost_estimate, main, priced_rendering
from muon.plan.cost import FREE, estimate
from muon.plan.cost_pricers import PRICERS
from muon.plan.offline import Rendering
from muon.plan.prices import priced_regions, prices_for, table
from muon.stacks.definition.stack_config import read_stack_file
from muon.stacks.resolve.egress import cheapest_egress, egress_options
from tests.conftest import PROJECT_DIR, muon_plan_dev, render_definition_text, render_repository_stack

HOURS = 730
REQUIRED_REGIONS = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}


@pytest.fixture(scope="module")
def dev_cost(dev: Rendering):
    return cost_estimate("dev", dev, PROJECT_DIR)


@pytest.fixture(scope="module")
def prod_cost(prod: Rendering):
    return cost_estimate("prod", prod, PROJECT_DIR)


def by_item(cost, group: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in cost.lines:
        if line.group == group:
            found[line.item] = found.get(line.item, 0.0) + line.monthly
    return found


def test_dev_estimate_matches_the_hand_computed_figures(dev_cost) -> None:
    expected = {
        "application load balancer": HOURS * 0.0225,  # 16.425
        "load balancer capacity units": 0.1 * HOURS * 0.008,  # 0.1 LCU
        "public IPv4 addresses": (2 + 1) * HOURS * 0.005,  # two load balancer zones + NAT instance
        "EC2 instance t4g.nano": HOURS * 0.0042,
        "EBS gp3 root volumes (EC2 instance)": 8 * 0.08,
        # One task at the service's minimum, all on Spot (development), 70% below on-demand.
        "Fargate Spot tasks": HOURS * (0.5 * 0.04048 + 1 * 0.004445) * 0.3,
        # Paused when idle: 176 active hours at 0.5 ACU.
        "Aurora Serverless v2, pauses when idle": 176 * 0.5 * 0.12,
        "Aurora storage and I/O": 10 * 0.10 + 1 * 0.20,
        "Aurora backups": 0.0,
        "KMS key": 3 * 1.0,  # the environment's key, the database's and the backup vault's
        # Twelve: the database's three, the load balancer's 5xx, the service's two rollback alarms,
        # its no-healthy-target alarm, two scaling alarms, p99 and the two ECS failure events (the
        # no-task and below-minimum alarms need Container Insights, which development leaves off).
        "CloudWatch alarm": 12 * 0.10,
        "CloudWatch alarm on 2 metrics": 2 * 0.10,  # the 5xx rate: errors and requests
        "CloudWatch composite alarm": 0.50,  # the service's incident
        # Six log groups (service, three database exports, flow logs, incidents) kept 14 days.
        "CloudWatch Logs ingestion and storage": 6 * (0.5 * 0.50 + 0.5 * 14 / 30 * 0.03),
        # Seven daily snapshots of the one database, each adding 1 GB.
        "AWS Backup daily snapshots": 1 * 7 * 1 * 0.021,
        "S3 storage": 1 * 0.023,
        "ECS cluster (Container Insights off)": 0.0,
        "CloudWatch dashboard": 3.0,  # the environment's dashboard
        "gateway endpoint (s3)": 0.0,
    }
    assert by_item(dev_cost, "dev") == pytest.approx(expected)
    assert dev_cost.total("dev") == pytest.approx(sum(expected.values()))
    assert dev_cost.total("dev") == pytest.approx(58.443015)


def test_dev_stays_within_sixty_dollars_with_private_tasks_and_database(dev_cost, dev: Rendering) -> None:
    assert dev_cost.total() <= 60
    # Without giving up private tasks or a private database.
    service = dev.one("aws:ecs/service:Service")
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is False
    assert dev.one("aws:rds/clusterInstance:ClusterInstance").inputs["publiclyAccessible"] is False


def test_prod_estimate_matches_the_hand_computed_figures(prod_cost) -> None:
    expected = {
        "EC2 hosts at the group's minimum t3.large": 2 * HOURS * 0.0832,
        "EBS gp3 root volumes (EC2 hosts at the group's minimum)": 2 * 30 * 0.08,
        "ECS tasks on the cluster's EC2 hosts": 0.0,
        "Aurora instance db.t4g.medium": 2 * HOURS * 0.073,
        "Aurora storage and I/O": 50 * 0.10 + 50 * 0.20,
        "Aurora backups": 0.0,
        "NAT gateway": 3 * HOURS * 0.045,
        "NAT gateway data processed": 100 * 0.045,
        "public IPv4 addresses": (3 + 3) * HOURS * 0.005,  # three NAT gateways, three ALB zones
        "application load balancer": HOURS * 0.0225,
        "load balancer capacity units": 1 * HOURS * 0.008,
        "WAF web ACL, rules and requests": 5 + 4 * 1 + 10 * 0.60,
        "Container Insights metrics": (10 + 15) * 0.30,
        "KMS key": 3 * 1.0,
        "CloudWatch alarm": 14 * 0.10,
        "CloudWatch alarm on 2 metrics": 2 * 0.10,
        "CloudWatch composite alarm": 0.50,
        "CloudWatch Logs ingestion and storage": 7 * (5 * 0.50 + 5 * 365 / 30 * 0.03),
        # 35 daily and 12 monthly snapshots of the one database, each adding 5 GB.
        "AWS Backup daily snapshots": 1 * 35 * 5 * 0.021,
        "AWS Backup monthly snapshots": 1 * 12 * 5 * 0.021,
        "S3 storage": 20 * 0.023,
        "gateway endpoint (s3)": 0.0,
        "CloudWatch dashboard": 3.0,  # the environment's dashboard
    }
    endpoints = ("api", "dkr", "logs", "ssm", "ssmmessages", "ecs", "ecs-agent", "ecs-telemetry")
    expected.update({f"interface endpoint ({e}), per zone": 3 * HOURS * 0.01 for e in endpoints})
    assert by_item(prod_cost, "production") == pytest.approx(expected)
    assert prod_cost.total() == pytest.approx(636.537)


def test_services_waiting_for_their_first_image_are_priced_as_they_will_run() -> None:
    bootstrap = render_repository_stack("dev", delivered=False)  # the stack file as it is: no image
    assert bootstrap.one("aws:appautoscaling/target:Target").inputs["minCapacity"] == 0
    config = read_stack_file(PROJECT_DIR, "dev")
    running = priced_rendering("dev", bootstrap, PROJECT_DIR, config)
    assert running.one("aws:appautoscaling/target:Target").inputs["minCapacity"] == 1
    assert estimate(running, "us-east-1").total() == pytest.approx(58.443015)


def test_every_rendered_type_is_priced_or_known_free(
    dev: Rendering, prod: Rendering, delivery: Rendering, tmp_path: Path
) -> None:
    everything = render_definition_text(
        tmp_path,
        """
        environments:
          dev: {cost: minimal}
          staging: {tier: production, cluster: {provider: ec2}, domain: {name: s.example.com, zone: example.com}}
        services:
          banana: {port: 8080, pathPatterns: [/b], database: {name: banana}}
          api:
            kind: backend
            port: 9000
            storage:
              buckets: {files: {}}
              tables: {items: {partitionKey: {name: id}, globalIndexes: {by-x: {partitionKey: {name: x}}}}}
              volumes: {files: {path: /data}}
          mailer: {kind: worker}
        jobs:
          nightly: {service: api, command: [report], schedule: rate(1 day)}
        """,
        ["dev", "staging"],
    )
    assert not FREE & set(PRICERS)
    for rendering in (dev, prod, delivery, everything):
        assert estimate(rendering, "us-east-1").unpriced == ()


def test_the_table_covers_each_region_alike() -> None:
    assert set(priced_regions()) >= REQUIRED_REGIONS
    data = table()
    assert data["compiled"] and data["currency"] == "USD"
    reference = data["regions"]["us-east-1"]
    for region, prices in data["regions"].items():
        assert set(prices) == set(reference), region
        for key, value in prices.items():
            kinds = value if isinstance(value, dict) else {key: value}
            assert set(kinds) == set(reference[key] if isinstance(value, dict) else kinds), (region, key)
            assert all(price > 0 for price in kinds.values()), (region, key)
    assert set(data["sources"]) >= {"natGateway", "fargate", "aurora", "loadBalancer", "ec2"}


def test_muons_own_defaults_are_priced_everywhere() -> None:
    for region in priced_regions():
        prices = prices_for(region)
        assert prices.rate("ec2Hour", "t4g.nano")  # the NAT instance
        assert prices.rate("ec2Hour", "t3.medium")  # the EC2 cluster's default type
        assert prices.rate("auroraHour", "db.t4g.medium")  # the default provisioned class


@pytest.mark.parametrize("region", sorted(REQUIRED_REGIONS))
@pytest.mark.parametrize("zones", [2, 3])
def test_the_cheapest_egress_is_the_nat_instance(region: str, zones: int) -> None:
    options = egress_options(prices_for(region), zones)
    choice = cheapest_egress(region, zones)
    assert choice.nat == "instance"
    assert choice.monthly == min(o.monthly for o in options)


@pytest.mark.parametrize("zones", [2, 3])
def test_minimal_is_the_cheapest_of_the_ways_out(tmp_path: Path, zones: int) -> None:
    """Rendered and priced whole: minimal's environment costs no more than any other egress."""
    variants = {
        "minimal": "{cost: minimal, network: {azs: %d}}",
        "single": "{network: {azs: %d, nat: single}}",
        "per-az": "{network: {azs: %d, nat: per-az}}",
        "endpoints": "{network: {azs: %d, nat: none, endpoints: true}}",
        "instance": "{network: {azs: %d, nat: instance}}",
    }
    totals = {}
    for name, environment in variants.items():
        text = "environments:\n  dev: " + environment % zones + "\n"
        (tmp_path / name).mkdir()
        rendering = render_definition_text(tmp_path / name, text, ["dev"])
        totals[name] = estimate(rendering, "us-east-1").total("dev")
    assert totals["minimal"] == min(totals.values())
    assert totals["minimal"] < totals["single"] < totals["per-az"]
    assert totals["minimal"] < totals["endpoints"]


def test_the_plan_says_why_each_environment_leaves_the_way_it_does(dev_cost, prod_cost) -> None:
    (dev_note,) = dev_cost.notes["dev"]
    assert dev_note.startswith("egress: one NAT instance (t4g.nano) $7.36 — against one NAT gateway $36.95")
    (prod_note,) = prod_cost.notes["production"]
    assert prod_note.startswith("egress: a NAT gateway in each of 3 zones $114.00")
    assert "not the cheapest: a gateway per zone" in prod_note


def test_plan_prints_the_estimate_and_carries_it_in_json(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["dev", "--quiet", "--cost", "--json", str(target)], out=out, err=err, project_dir=PROJECT_DIR)
        == 0
    )
    printed = out.getvalue()
    assert "Estimated monthly cost in us-east-1: $58.44" in printed
    assert "12 x CloudWatch alarm" in printed
    assert "assumes 176 h a month" not in printed  # the assumption is worded, not a bare number
    assert "assumes active 176 h a month at its smallest size" in printed
    document = json.loads(target.read_text())["cost"]
    assert (document["currency"], document["unit"], document["region"]) == (
        "USD",
        "USD per month",
        "us-east-1",
    )
    assert document["usdPerMonth"] == 58.44
    assert document["groups"]["dev"]["tier"] == "development"
    assert document["groups"]["dev"]["usage"]["serverlessActiveHours"] == 176
    assert all(
        {"usdPerMonth", "arithmetic", "assumption", "resource"} <= set(line) for line in document["lines"]
    )


def write_project(tmp_path: Path, region: str) -> Path:
    for name in ("Pulumi.yaml", "muon.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    shutil.copytree(PROJECT_DIR / "examples", tmp_path / "examples")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        f"config:\n  aws:region: {region}\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    return tmp_path


def test_a_region_without_prices_is_one_clear_line(tmp_path: Path) -> None:
    project = write_project(tmp_path, "ap-south-1")
    out, err = io.StringIO(), io.StringIO()
    assert main(["dev", "--cost"], out=out, err=err, project_dir=project) == 2
    assert err.getvalue() == (
        "error: no prices for region 'ap-south-1' in muon's price table; it has: "
        "ap-southeast-2, eu-central-1, eu-west-1, us-east-1, us-west-2\n"
    )
    assert out.getvalue() == ""  # refused before anything was rendered or printed


def test_another_priced_region_uses_its_own_prices(tmp_path: Path) -> None:
    project = write_project(tmp_path, "eu-central-1")
    out, err = io.StringIO(), io.StringIO()
    assert main(["dev", "--quiet", "--cost"], out=out, err=err, project_dir=project) == 0, err.getvalue()
    assert "Estimated monthly cost in eu-central-1:" in out.getvalue()
    assert "730 h x $0.027/h" in out.getvalue()  # Frankfurt's load balancer hour


def test_bad_options_are_one_line() -> None:
    for argv in (["dev", "--cost=yes"], ["dev", "--timeline=fast"], ["dev", "--costs"]):
        err = io.StringIO()
        assert main(argv, out=io.StringIO(), err=err) == 2
        assert len(err.getvalue().splitlines()) == 1, err.getvalue()


@pytest.mark.slow
def test_the_muon_command_passes_cost_through() -> None:
    result = muon_plan_dev()  # with --cost
    assert result.returncode == 0, result.stderr
    assert "Estimated monthly cost in us-east-1: $58.44" in result.stdout
    assert result.stderr == ""


def test_a_service_project_is_priced_without_the_platforms_environment(tmp_path: Path) -> None:
    definition = """
    environments:
      dev: {attach: {stack: acme/platform/dev}}
    services:
      banana: {port: 8080, pathPatterns: [/bananas], database: {name: banana}}
    """
    cost = estimate(render_definition_text(tmp_path, definition, ["dev"], project="banana"), "us-east-1")
    items = by_item(cost, "dev")
    assert not {"NAT gateway", "application load balancer", "EC2 instance t4g.nano"} & set(items)
    assert items["Fargate Spot tasks"] == pytest.approx(HOURS * (0.25 * 0.04048 + 0.5 * 0.004445) * 0.3)
    expected = (
        176 * 0.5 * 0.12  # the database, paused outside working hours
        + HOURS * (0.25 * 0.04048 + 0.5 * 0.004445) * 0.3  # one Spot task of the default size
        + 10 * 0.10
        + 1 * 0.20  # storage and I/O
        + 4 * (0.5 * 0.50 + 0.5 * 14 / 30 * 0.03)  # the service's and the database's log groups
        + 1.0  # the database's key
        + 13 * 0.10  # alarms (the stand-in platform counts tasks: no-task and below-minimum too)
        + 2 * 0.10  # the 5xx rate reads two metrics
        + 0.50  # the service's incident (composite) alarm
    )
    assert cost.total("dev") == pytest.approx(expected)
    assert cost.notes["dev"] == [
        "the environment is another stack's (a platform project): its network, load balancer and cluster "
        "are priced with that stack; here only this project's resources"
    ]


STORAGE = """
environments:
  dev: {}
  production: {domain: {name: app.example.com, zone: example.com}}
services:
  api:
    port: 8080
    pathPatterns: [/api]
    storage:
      buckets: {uploads: {}}
      tables:
        orders: {partitionKey: {name: id}}
        counters:
          partitionKey: {name: id}
          billing: provisioned
          capacity: {read: {min: 5, max: 50}, write: {min: 2, max: 20}}
          globalIndexes: {by-kind: {partitionKey: {name: kind}}}
      volumes: {files: {path: /data}}
"""


def test_a_services_storage_is_priced_by_hand(tmp_path: Path) -> None:
    """us-east-1, production usage: 100M reads and 20M writes on demand, 10 GB a table with
    point-in-time recovery, 50 GB a volume, 20 GB a bucket."""
    rendering = render_definition_text(tmp_path, STORAGE, ["production"])
    lines = {
        (line.item, line.resource): line.monthly
        for line in estimate(rendering, "us-east-1").lines
        if "api-storage" in line.resource
    }
    orders, counters = "production-api-storage-table-orders", "production-api-storage-table-counters"
    assert lines[("DynamoDB on-demand requests", orders)] == pytest.approx(100 * 0.125 + 20 * 0.625)
    # The table's and its global index's minimum capacity, all month.
    assert lines[("DynamoDB provisioned capacity", counters)] == pytest.approx(
        ((5 + 5) * 0.00013 + (2 + 2) * 0.00065) * HOURS
    )
    pitr = "DynamoDB storage and point-in-time recovery"
    assert lines[(pitr, orders)] == pytest.approx(10 * (0.25 + 0.20))
    assert lines[("EFS storage (Standard)", "production-api-storage-volume-files")] == pytest.approx(
        50 * 0.30
    )
    assert lines[("S3 storage", "production-api-storage-bucket-uploads-bucket")] == pytest.approx(20 * 0.023)
