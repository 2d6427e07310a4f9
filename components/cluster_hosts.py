"""An EC2 cluster's hosts: how they are refreshed, and what they run at boot (the ECS agent's
settings, a proxy for Docker and the agent)."""

from __future__ import annotations

REFRESH = {
    "MinHealthyPercentage": 100,
    "MaxHealthyPercentage": 200,
    "InstanceWarmup": 300,
    "ScaleInProtectedInstances": "Refresh",
    "StandbyInstances": "Terminate",
}
"""How hosts are replaced, on a new AMI and on schedule: replacement first, protected hosts too."""


def refresh_request(group: str) -> dict[str, object]:
    """StartInstanceRefresh's request for the scheduled refresh: every host, even one on the
    current launch template (SkipMatching false), since its age, not its template, is the reason."""
    return {
        "AutoScalingGroupName": group,
        "Strategy": "Rolling",
        "Preferences": {**REFRESH, "SkipMatching": False},
    }


DOCKER_DROP_IN = "/etc/systemd/system/docker.service.d/http-proxy.conf"


def no_proxy(vpc_cidr: str, region: str) -> str:
    """What never goes through the proxy: instance and task metadata, the Docker socket, the VPC,
    AWS's endpoints (public and VPC endpoints' names) and local names."""
    return ",".join(
        part
        for part in (
            "169.254.169.254",
            "169.254.170.2",
            "localhost",
            "127.0.0.1",
            vpc_cidr,
            f".{region}.amazonaws.com",
            ".amazonaws.com",
            ".internal",
        )
        if part
    )


def host_script(
    cluster_name: str, http_proxy: str | None, vpc_cidr: str, region: str, extra: str | None
) -> str:
    """The instances' boot script: join the cluster; with a proxy, the ECS agent and Docker use it
    (AWS's "HTTP proxy configuration for Linux container instances"); then the definition's lines."""
    lines = [
        "#!/bin/bash",
        f"echo ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config",
        # Tasks in awsvpc mode must not reach the instance's credentials.
        "echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config",
        "echo ECS_ENABLE_CONTAINER_METADATA=true >> /etc/ecs/ecs.config",
    ]
    if http_proxy:
        proxy = http_proxy.rstrip("/")
        agent_no_proxy = "169.254.169.254,169.254.170.2,/var/run/docker.sock"
        lines += [
            f"echo HTTP_PROXY={proxy} >> /etc/ecs/ecs.config",
            f"echo NO_PROXY={agent_no_proxy} >> /etc/ecs/ecs.config",
            "mkdir -p /etc/systemd/system/ecs.service.d /etc/systemd/system/docker.service.d",
            'printf \'[Service]\\nEnvironment="HTTP_PROXY=%s" "NO_PROXY=%s"\\n\' '
            f"'{proxy}' '{agent_no_proxy}' > /etc/systemd/system/ecs.service.d/http-proxy.conf",
            'printf \'[Service]\\nEnvironment="HTTP_PROXY=%s" "HTTPS_PROXY=%s" "NO_PROXY=%s"\\n\' '
            f"'{proxy}' '{proxy}' '{no_proxy(vpc_cidr, region)}' > {DOCKER_DROP_IN}",
            "systemctl daemon-reload",
            "systemctl restart --no-block docker ecs",
        ]
    if extra:
        lines += ["# -- the definition's cluster.userData --", extra.rstrip("\n")]
    return "\n".join(lines) + "\n"
