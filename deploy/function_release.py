"""Release each function's new version: a CodeDeploy deployment moves its ``live`` alias.

`pulumi up` publishes a version and leaves the alias where it was (components/function.py); this
step — the pipeline's deploy step, and `muon up` — asks CodeDeploy to shift the alias from the
version it serves to the stack's new one, by the function's deployment configuration (canary,
linear or all at once), and waits: a deployment that fails or is stopped by the function's error
or throttle alarm rolls the alias back and fails the step.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

POLL_SECONDS = 15
DONE = {"Succeeded"}
FAILED = {"Failed", "Stopped"}


class ReleaseError(Exception):
    """A release that did not complete: its alias serves the previous version."""


def _alias() -> str:
    # Imported when used: the deploy step's every command imports this module, and the
    # component module brings the Pulumi SDK with it (a second or more per process).
    from muon.components.function import ALIAS

    return ALIAS


def appspec(function_name: str, current: str, target: str) -> str:
    """CodeDeploy's AppSpec for a Lambda alias (CodeDeploy user guide, "AppSpec for Lambda")."""
    return json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    function_name: {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Name": function_name,
                            "Alias": _alias(),
                            "CurrentVersion": current,
                            "TargetVersion": target,
                        },
                    }
                }
            ],
        },
        sort_keys=True,
    )


def start_release(lambda_client: Any, codedeploy: Any, function: dict[str, Any]) -> str | None:
    """The deployment's id, or None when the alias already serves the stack's version."""
    current = lambda_client.get_alias(FunctionName=function["functionName"], Name=_alias())["FunctionVersion"]
    target = str(function["version"])
    if current == target:
        return None
    return codedeploy.create_deployment(
        applicationName=function["application"],
        deploymentGroupName=function["deploymentGroup"],
        description=f"muon: {function['functionName']} {current} -> {target}",
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {"content": appspec(function["functionName"], current, target)},
        },
    )["deploymentId"]


def wait_release(
    codedeploy: Any,
    deployment_id: str,
    *,
    timeout: float = 3600,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    deadline = clock() + timeout
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        status = info.get("status")
        if status in DONE:
            return
        if status in FAILED:
            error = info.get("errorInformation") or {}
            raise ReleaseError(
                f"release {deployment_id} {status.lower()}: {error.get('message', 'no reason given')} "
                "(the alias serves the previous version)"
            )
        if clock() > deadline:
            raise ReleaseError(f"release {deployment_id} still {status} after {timeout:g} s")
        sleep(POLL_SECONDS)


def release_functions(
    outputs: dict[str, Any],
    environment: str,
    *,
    lambda_client: Any,
    codedeploy: Any,
    wait: bool = True,
    timeout: float = 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """One line per function of ``environment``; ReleaseError on the first that fails."""
    lines = []
    for name, function in sorted(((outputs.get("functions") or {}).get(environment) or {}).items()):
        deployment = start_release(lambda_client, codedeploy, function)
        if deployment is None:
            lines.append(f"function {name}: version {function['version']} is already live")
            continue
        if wait:
            wait_release(codedeploy, deployment, timeout=timeout, sleep=sleep)
            lines.append(f"function {name}: version {function['version']} is live ({deployment})")
        else:
            lines.append(f"function {name}: releasing version {function['version']} ({deployment})")
    return lines
