"""`muon report`: what a customer reads about a stack, per environment and service.

From AWS (through the stack's outputs): the image each service runs and when it was deployed,
the alarms in ALARM, the last backup and the last restore test, the hosts' patch compliance.
From the offline plan of the same stack (when its stack file is here): the compliance findings
and the monthly cost estimate. A part AWS (or moto) cannot give is listed under ``unavailable``
with the reason, never left out silently.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from muon.cli.operations import Clients, optional


def _when(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def service_report(clients: Clients, outputs: dict[str, Any]) -> dict[str, Any]:
    """The running image (the PRIMARY deployment's task definition) and when it was deployed."""
    ecs = clients("ecs")
    found = ecs.describe_services(cluster=outputs["clusterName"], services=[outputs["serviceName"]])[
        "services"
    ]
    service = found[0] if found else {}
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    image = None
    if primary is not None:
        definition = ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])["taskDefinition"]
        containers = definition.get("containerDefinitions", [])
        app = next((c for c in containers if c.get("name") == "app"), containers[0] if containers else {})
        image = app.get("image")
    return {
        "image": image,
        "deployedAt": _when(primary.get("createdAt")) if primary else None,
        "rollout": primary.get("rolloutState") if primary else None,
        "running": service.get("runningCount", 0),
        "desired": service.get("desiredCount", 0),
    }


def alarms_in_alarm(clients: Clients, prefix: str) -> list[dict[str, Any]]:
    """Metric and composite alarms whose name starts with ``prefix`` that are in ALARM now."""
    pages = clients("cloudwatch").get_paginator("describe_alarms")
    found = []
    for page in pages.paginate(
        AlarmNamePrefix=prefix, StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    ):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            if alarm.get("StateValue") != "ALARM":  # the filter is the service's; kept here too
                continue
            found.append(
                {
                    "alarm": alarm["AlarmName"],
                    "since": _when(alarm.get("StateUpdatedTimestamp")),
                    "reason": alarm.get("StateReason", ""),
                }
            )
    return sorted(found, key=lambda a: a["alarm"])


def last_backup(clients: Clients, vault: str) -> dict[str, Any] | None:
    jobs = clients("backup").list_backup_jobs(ByBackupVaultName=vault, MaxResults=100)["BackupJobs"]
    latest = max(jobs, key=lambda j: j.get("CreationDate") or dt.datetime.min, default=None)
    if latest is None:
        return None
    return {
        "state": latest.get("State"),
        "resource": latest.get("ResourceArn"),
        "at": _when(latest.get("CompletionDate") or latest.get("CreationDate")),
    }


def last_restore_test(clients: Clients, plan_name: str) -> dict[str, Any] | None:
    jobs = clients("backup").list_restore_jobs(ByResourceType="Aurora", MaxResults=100)["RestoreJobs"]
    tests = [
        j
        for j in jobs
        if str((j.get("CreatedBy") or {}).get("RestoreTestingPlanArn", "")).endswith(f":{plan_name}")
    ]
    latest = max(tests, key=lambda j: j.get("CreationDate") or dt.datetime.min, default=None)
    if latest is None:
        return None
    return {
        "status": latest.get("Status"),
        "validation": latest.get("ValidationStatus"),
        "at": _when(latest.get("CompletionDate") or latest.get("CreationDate")),
    }


def host_patches(clients: Clients, cluster: str) -> dict[str, Any]:
    """The cluster's EC2 hosts and their Patch Manager scan results; Fargate has no host to patch."""
    ecs = clients("ecs")
    arns = ecs.list_container_instances(cluster=cluster).get("containerInstanceArns", [])
    if not arns:
        return {
            "hosts": 0,
            "note": "no EC2 hosts: Fargate tasks get AWS's platform patches at each deployment",
        }
    instances = [
        i["ec2InstanceId"]
        for i in ecs.describe_container_instances(cluster=cluster, containerInstances=arns)[
            "containerInstances"
        ]
    ]
    states = clients("ssm").describe_instance_patch_states(InstanceIds=instances)["InstancePatchStates"]
    return {
        "hosts": len(instances),
        "scanned": len(states),
        "missing": sum(s.get("MissingCount", 0) for s in states),
        "failed": sum(s.get("FailedCount", 0) for s in states),
        "lastScan": _when(
            max((s.get("OperationEndTime") for s in states if s.get("OperationEndTime")), default=None)
        ),
    }


def environment_report(
    clients: Clients, name: str, environment: dict[str, Any], services: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    unavailable: dict[str, str] = {}

    def part(key: str, call: Callable[[], Any]) -> Any:
        value, why = optional(call)
        if why:
            unavailable[key] = why
        return value

    namespace = environment.get("namespace", "muon")
    report: dict[str, Any] = {
        "environment": name,
        "tier": environment.get("tier"),
        "url": environment.get("url") or environment.get("loadBalancerUrl"),
        "alarmsInAlarm": part("alarms", lambda: alarms_in_alarm(clients, f"{namespace}-{name}-")) or [],
        "services": {},
    }
    for service, outputs in sorted(services.items()):
        report["services"][service] = part(
            f"services.{service}", functools.partial(service_report, clients, outputs)
        )
    vault = environment.get("backupVaultName")
    if vault:
        report["lastBackup"] = part("lastBackup", lambda: last_backup(clients, vault))
    plan = environment.get("restoreTestingPlanName")
    if plan:
        report["lastRestoreTest"] = part("lastRestoreTest", lambda: last_restore_test(clients, plan))
    if environment.get("clusterName"):
        report["patches"] = part("patches", lambda: host_patches(clients, environment["clusterName"]))
    report["unavailable"] = unavailable
    return report


def plan_report(stack: str, project_dir: Path) -> dict[str, Any]:
    """The offline plan's compliance findings and cost estimate for ``stack`` (its stack file here)."""
    from muon.plan.command import cost_estimate, render_stack
    from muon.policy.rules import evaluate, split_excepted
    from muon.stacks.errors import MuonError

    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        return {"unavailable": f"no Pulumi.{stack}.yaml in {project_dir}: the plan was not rendered"}
    rendering = render_stack(stack, project_dir)
    open_findings, excepted = split_excepted(evaluate(rendering.custom_resources))
    report: dict[str, Any] = {
        "findings": [str(f) for f in open_findings],
        "exceptions": len(excepted),
    }
    try:
        cost = cost_estimate(stack, rendering, project_dir)
    except MuonError as error:  # a region without prices: said, not guessed
        report["cost"] = {"unavailable": str(error)}
    else:
        report["cost"] = {
            "usdPerMonth": round(cost.total(), 2),
            "byEnvironment": {group: round(cost.total(group), 2) for group in cost.tiers},
        }
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown document (for a wiki page or a ticket)."""
    lines = [f"# muon report: stack `{report['stack']}`", "", f"Generated {report['generated']}.", ""]
    plan = report.get("plan") or {}
    if plan.get("cost", {}).get("usdPerMonth") is not None:
        lines += [
            f"Estimated monthly cost: **${plan['cost']['usdPerMonth']:.2f}** (offline plan, list prices).",
            "",
        ]
    for name, env in report["environments"].items():
        lines += [f"## {name} ({env.get('tier')})", ""]
        if env.get("url"):
            lines += [f"URL: {env['url']}", ""]
        lines += ["| service | image | deployed | running |", "|---|---|---|---|"]
        for service, data in env["services"].items():
            data = data or {}
            lines.append(
                f"| {service} | `{data.get('image')}` | {data.get('deployedAt')} | "
                f"{data.get('running')}/{data.get('desired')} |"
            )
        lines.append("")
        alarms = env.get("alarmsInAlarm") or []
        lines.append(f"Alarms in ALARM: {', '.join(a['alarm'] for a in alarms) if alarms else 'none'}")
        if "lastBackup" in env:
            backup = env["lastBackup"]
            lines.append("Last backup: " + (f"{backup['state']} at {backup['at']}" if backup else "none yet"))
        if "lastRestoreTest" in env:
            test = env["lastRestoreTest"]
            lines.append(
                "Last restore test: " + (f"{test['status']} at {test['at']}" if test else "none yet")
            )
        patches = env.get("patches")
        if patches:
            lines.append(f"Hosts: {patches['note']}" if patches.get("note") else _patch_line(patches))
        for part, why in (env.get("unavailable") or {}).items():
            lines.append(f"- ({part} unavailable: {why})")
        lines.append("")
    if "findings" in plan:
        lines += ["## Compliance (offline plan)", ""]
        lines += [f"- {f}" for f in plan["findings"]] or ["No open findings."]
        lines += ["", f"{plan['exceptions']} documented exceptions.", ""]
    elif plan.get("unavailable"):
        lines += [f"(plan unavailable: {plan['unavailable']})", ""]
    return "\n".join(lines)


def _patch_line(patches: dict[str, Any]) -> str:
    return (
        f"Hosts: {patches['hosts']}, scanned {patches['scanned']}, missing patches {patches['missing']}, "
        f"failed {patches['failed']}, last scan {patches['lastScan']}"
    )
