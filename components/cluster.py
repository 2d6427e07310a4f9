"""The ECS cluster and its capacity: Fargate (and Spot), or EC2 instances that scale with the tasks."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from muon.components.cluster_hosts import REFRESH, host_script, refresh_request
from muon.components.context import AwsContext
from muon.components.naming import fit
from muon.components.policies import allow, assume_role_policy, document, ready, to_json

ClusterProvider = Literal["fargate", "ec2"]

# The ECS-optimized Amazon Linux 2023 AMI, published by AWS as public SSM parameters.
AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
ARM64_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
"""Graviton hosts boot the arm64 variant (ECS developer guide, "Retrieving Amazon ECS-optimized Linux
AMI metadata": ``amazon-linux-2023/arm64/recommended``)."""


def ami_parameter(instance_type: str) -> str:
    """AWS's ECS-optimized AMI parameter for the hosts' architecture."""
    return ARM64_AMI_PARAMETER if is_arm64(instance_type) else AMI_PARAMETER


# Extra interface endpoints the ECS agent on EC2 instances needs when there is no NAT gateway.
EC2_AGENT_ENDPOINTS = ("ecs", "ecs-agent", "ecs-telemetry")


@dataclass(frozen=True)
class CapacityItem:
    """One entry of a capacity provider strategy."""

    provider: str
    """``FARGATE``, ``FARGATE_SPOT`` or the cluster's EC2 capacity provider."""
    weight: int
    """Its share of the tasks beyond every provider's base."""
    base: int = 0
    """Tasks always placed on this provider first; default 0."""


@dataclass(frozen=True)
class ClusterArgs:
    """Defaults: the production tier's (``stacks/tiers.py``), on Fargate."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    provider: ClusterProvider = "fargate"
    """Default Fargate: no hosts to patch."""
    spot: bool = False
    """Default False: no task is interrupted at two minutes' notice."""
    on_demand_base: int = 1
    """With spot: the first tasks of each service that stay on regular Fargate; default 1."""
    container_insights: bool = True
    """Default True (ECS.12): per-task metrics, and the no-task and backlog alarms need them."""
    instance_type: str = "t3.medium"
    """EC2 only: the hosts' type; default t3.medium."""
    min_size: int = 2
    """EC2 only: the fewest hosts; default 2, one per zone of two (the production tier's)."""
    max_size: int = 10
    """EC2 only: the most hosts; default 10 (the production tier's)."""
    root_volume_size: int = 30
    """EC2 only: GiB of each host's root volume (always encrypted); default 30, room for the images
    its tasks pull."""
    vpc_id: pulumi.Input[str] | None = None
    """EC2 only: the hosts' VPC; the Environment passes its own."""
    private_subnet_ids: pulumi.Input[list[str]] | None = None
    """EC2 only: the hosts' subnets (private); the Environment passes its own."""
    image_id: str | None = None
    """An AMI id, or a Parameter Store name holding one; default: AWS's ECS-optimized AMI."""
    user_data: str | None = None
    """Shell lines run at boot after muon's own; default none."""
    http_proxy: str | None = None
    """A proxy for the hosts and every task (HTTP_PROXY/HTTPS_PROXY); default none."""
    vpc_cidr: pulumi.Input[str] | None = None
    """For NO_PROXY: traffic inside the VPC never goes through the proxy."""
    max_instance_lifetime_days: int | None = 14
    """EC2: replace every host after this many days, so none outlives a fortnight of patches;
    default 14 (the production tier's). None: hosts are replaced only when the AMI changes. It
    replaces no host ECS protects from scale-in (one running a task): ``host_refresh_days`` does."""
    host_refresh_days: int = 7
    """EC2: an instance refresh replaces every host this often (EventBridge Scheduler); default 7,
    so that no host outlives 14 days."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the cluster; default none (the stack's tags come by transformation)."""


def is_arm64(instance_type: str) -> bool:
    """Graviton families carry a 'g' right after the generation digit: t4g, m7g, c6gn, g5g."""
    return re.match(r"^[a-z]+\d+g", instance_type) is not None


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    provider: ClusterProvider
    capacity_strategy: tuple[CapacityItem, ...]
    """What services should ask for; the environment hands it to every service it hosts."""
    container_insights: bool

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._name, self._args, self._child = name, args, child
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=f"{args.context.namespace}-{name}",
            settings=[
                {"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"}
            ],
            tags=args.tags,
            opts=child,
        )
        if args.provider == "ec2":
            provider_name = self._ec2_capacity(cluster)
            providers: list[pulumi.Input[str]] = [provider_name]
            strategy: tuple[CapacityItem, ...] = (
                CapacityItem(f"{args.context.namespace}-{name}-ec2", weight=1),
            )
            strategy_inputs = [{"capacity_provider": provider_name, "weight": 1, "base": 0}]
        else:
            providers = ["FARGATE", "FARGATE_SPOT"]
            # With spot, the first tasks (on_demand_base) run on regular Fargate and the rest on
            # Spot (cheap, interruptible); without, everything runs on regular Fargate.
            strategy = (
                (
                    *(
                        [CapacityItem("FARGATE", weight=0, base=args.on_demand_base)]
                        if args.on_demand_base
                        else []
                    ),
                    CapacityItem("FARGATE_SPOT", weight=1),
                )
                if args.spot
                else (CapacityItem("FARGATE", weight=1),)
            )
            strategy_inputs = [
                {"capacity_provider": i.provider, "weight": i.weight, "base": i.base} for i in strategy
            ]
        association = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=providers,
            default_capacity_provider_strategies=strategy_inputs,
            opts=child,
        )
        self.name = cluster.name
        self.container_insights = args.container_insights
        # A service's strategy may name only providers already associated with the cluster:
        # whoever places tasks on it gets the cluster once the association exists.
        self.arn = ready(cluster.arn, association)
        self.provider = args.provider
        self.capacity_strategy = strategy
        self.register_outputs({"name": self.name, "arn": self.arn})

    def _ec2_capacity(self, cluster: aws.ecs.Cluster) -> pulumi.Output[str]:
        args, name, child = self._args, self._name, self._child
        if args.vpc_id is None or args.private_subnet_ids is None:
            raise ValueError("ClusterArgs.vpc_id and private_subnet_ids are required for ec2")
        role = aws.iam.Role(
            f"{name}-instance-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-instance-{policy.split('/')[-1]}",
                role=role.name,
                policy_arn=args.context.managed_policy(policy),
                opts=child,
            )
            for policy in (
                "service-role/AmazonEC2ContainerServiceforEC2Role",  # register with ECS, pull images
                "AmazonSSMManagedInstanceCore",  # Session Manager instead of SSH (SSM.1)
            )
        ]
        profile = aws.iam.InstanceProfile(f"{name}-instance-profile", role=role.name, opts=child)
        group = aws.ec2.SecurityGroup(
            f"{name}-instances-sg",
            vpc_id=args.vpc_id,
            description=f"ECS container instances of {name}: no inbound, tasks have their own ENIs",
            egress=[
                {
                    "description": "Image pulls, ECS agent and AWS APIs",
                    "protocol": "-1",
                    "from_port": 0,
                    "to_port": 0,
                    "cidr_blocks": ["0.0.0.0/0"],
                }
            ],
            tags=args.tags,
            opts=child,
        )
        # The AMI of the hosts' architecture (Graviton types boot the arm64 one).
        image_id: pulumi.Input[str]
        if args.image_id is not None and args.image_id.startswith("ami-"):
            image_id = args.image_id
        else:
            parameter = args.image_id or ami_parameter(args.instance_type)
            image_id = aws.ssm.get_parameter_output(
                name=parameter, opts=pulumi.InvokeOutputOptions(parent=self)
            ).value
        user_data = pulumi.Output.all(cluster.name, args.vpc_cidr or "").apply(
            lambda resolved: base64.b64encode(
                host_script(
                    resolved[0], args.http_proxy, resolved[1], args.context.region, args.user_data
                ).encode()
            ).decode()
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            image_id=image_id,
            instance_type=args.instance_type,
            # Instances boot and register at once: the profile's role must carry its policies.
            iam_instance_profile={"arn": ready(profile.arn, *attachments)},
            user_data=user_data,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",  # IMDSv2 only
                "http_put_response_hop_limit": 1,
            },
            network_interfaces=[{"associate_public_ip_address": "false", "security_groups": [group.id]}],
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    # Encrypted with the account's EBS key: a customer-managed key would also
                    # need a grant for the Auto Scaling service-linked role.
                    "ebs": {
                        "volume_size": args.root_volume_size,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            monitoring={"enabled": True},
            tag_specifications=[{"resource_type": "instance", "tags": {**args.tags, "Name": f"{name}-ecs"}}],
            tags=args.tags,
            opts=child,
        )
        # ENI trunking: an awsvpc task takes an ENI, and a host has few (a c5.large 3, so 2 tasks);
        # with trunking, supported types take many more (the c5.large 10), so a 200% rollout fits on
        # the hosts that run the service (ECS developer guide, "Increasing Amazon ECS Linux container
        # instance network interfaces"). An account setting of the region: it applies to hosts
        # launched after it, so the hosts wait for it; kept when a stack goes (another may rely on it).
        trunking = aws.ecs.AccountSettingDefault(
            f"{name}-eni-trunking",
            name="awsvpcTrunking",
            value="enabled",
            opts=child.merge(pulumi.ResourceOptions(retain_on_delete=True)),
        )
        asg = aws.autoscaling.Group(
            f"{name}-instances",
            vpc_zone_identifiers=ready(args.private_subnet_ids, trunking),
            min_size=args.min_size,
            max_size=args.max_size,
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            protect_from_scale_in=True,  # ECS managed termination protection decides
            # `pulumi destroy` would otherwise wait forever on instances protected from scale-in.
            force_delete=True,
            health_check_type="EC2",
            # Hosts are replaced, not patched in place: a new AMI (read from AWS's ECS-optimized
            # parameter at each deploy) makes a new launch template version, and the refresh rolls
            # the hosts while ECS drains their tasks (managed draining on the capacity provider).
            instance_refresh={
                "strategy": "Rolling",
                "preferences": {
                    "min_healthy_percentage": REFRESH["MinHealthyPercentage"],
                    # Launch the replacement before the old one goes.
                    "max_healthy_percentage": REFRESH["MaxHealthyPercentage"],
                    "instance_warmup": str(REFRESH["InstanceWarmup"]),
                    # ECS protects hosts running tasks.
                    "scale_in_protected_instances": REFRESH["ScaleInProtectedInstances"],
                    "standby_instances": REFRESH["StandbyInstances"],
                    "skip_matching": True,
                },
            },
            max_instance_lifetime=(
                args.max_instance_lifetime_days * 86_400 if args.max_instance_lifetime_days else None
            ),
            tags=[
                {"key": "AmazonECSManaged", "value": "true", "propagate_at_launch": True},
                *[{"key": k, "value": v, "propagate_at_launch": True} for k, v in args.tags.items()],
            ],
            # The capacity provider's managed scaling owns the desired capacity.
            opts=child.merge(pulumi.ResourceOptions(ignore_changes=["desiredCapacity"])),
        )
        self._host_refresh(asg)
        # Patch Manager scans the hosts daily (scan only: hosts are replaced, never patched in
        # place), so patch compliance is reported in Systems Manager.
        aws.ssm.Association(
            f"{name}-patch-scan",
            name="AWS-RunPatchBaseline",
            association_name=f"{self._args.context.namespace}-{name}-patch-scan",
            parameters={"Operation": "Scan"},
            targets=[{"key": "tag:aws:autoscaling:groupName", "values": [asg.name]}],
            schedule_expression="rate(1 day)",
            compliance_severity="HIGH",
            opts=child,
        )
        provider = aws.ecs.CapacityProvider(
            f"{name}-ec2-capacity",
            name=f"{self._args.context.namespace}-{name}-ec2",
            auto_scaling_group_provider={
                "auto_scaling_group_arn": asg.arn,
                "managed_termination_protection": "ENABLED",
                "managed_draining": "ENABLED",
                "managed_scaling": {
                    "status": "ENABLED",
                    "target_capacity": 100,
                    "minimum_scaling_step_size": 1,
                    "maximum_scaling_step_size": 10,
                },
            },
            tags=args.tags,
            opts=child,
        )
        return provider.name

    def _host_refresh(self, asg: aws.autoscaling.Group) -> None:
        """Every ``host_refresh_days``, an instance refresh replaces every host, those ECS protects
        included (their tasks drained by the capacity provider's managed draining). A maximum
        instance lifetime alone never replaces a protected host ("use instance scale-in protection
        to temporarily prevent individual instances from being terminated": EC2 Auto Scaling user
        guide, "Replace Auto Scaling instances based on maximum instance lifetime"), and with ECS's
        managed termination protection every host running a task is protected."""
        args, name, child = self._args, self._name, self._child
        context = args.context
        role = aws.iam.Role(
            f"{name}-host-refresh-role",
            name=fit(f"{context.namespace}-{name}-host-refresh", 64),
            assume_role_policy=assume_role_policy(
                context.service_principal("scheduler"), source_account=context.account_id
            ),
            tags=args.tags,
            opts=child,
        )
        # StartInstanceRefresh takes the group's ARN as its resource: this group only.
        policy = aws.iam.RolePolicy(
            f"{name}-host-refresh-policy",
            role=role.id,
            policy=to_json(
                document(allow("autoscaling:StartInstanceRefresh", asg.arn, Sid="RefreshOwnHosts"))
            ),
            opts=child,
        )
        aws.scheduler.Schedule(
            f"{name}-host-refresh",
            name=fit(f"{context.namespace}-{name}-host-refresh", 64),
            description=f"muon {name}: replace every ECS host (instance refresh)",
            schedule_expression=f"rate({args.host_refresh_days} days)",
            flexible_time_window={"mode": "OFF"},
            state="ENABLED",
            target={
                # EventBridge Scheduler's universal target: the API call itself, no function.
                "arn": f"arn:{context.partition}:scheduler:::aws-sdk:autoscaling:startInstanceRefresh",
                "role_arn": ready(role.arn, policy),
                "input": asg.name.apply(lambda group: json.dumps(refresh_request(group), sort_keys=True)),
                # A refresh in progress (a deploy's) refuses another: the next one comes next week.
                "retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 3600},
            },
            opts=child,
        )
