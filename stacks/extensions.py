"""Extensions: a company's Python modules, named in the definition (``extensions: [acme_ext]``),
that change or add to what muon creates without forking it.

A module may define either hook, or both:

- ``transform(resource)``: called for every resource muon creates, before it is registered, with
  an :class:`ExtensionResource`: its type token, its name (muon's names are stable:
  ``<env>-<service>-tg``, ``<env>-<service>-service``…; ``muon plan`` lists them), the muon
  component it belongs to, and its inputs as a mutable dict (snake_case, as the Pulumi class takes
  them). Change ``resource.props`` in place; return nothing.
- ``extend(context)``: called once per environment, after muon composed it, with an
  :class:`ExtensionContext`: the environment's typed wiring (VPC, subnets, private route tables,
  security groups, cluster, listener, key, alarm topic) and ``context.opts`` to parent what it
  adds under an ``muon:extension:Extension`` component of its own.

An exception inside a hook stops the run with one line naming the module and the hook.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi

from muon.components.context import AwsContext
from muon.components.service_args import EnvironmentWiring
from muon.stacks.errors import DefinitionError

HOOKS = ("transform", "extend")


@dataclass
class ExtensionResource:
    """What a ``transform`` hook sees of one resource (and may change: ``props``)."""

    type: str
    name: str
    props: dict[str, Any]
    component_type: str | None
    """The muon component the resource is a child of (``muon:ecs:Service``…), or None."""
    component_name: str | None


@dataclass(frozen=True)
class ServiceWiring:
    """One service of the environment, as an extension may refer to it."""

    name: str
    security_group_id: pulumi.Output[str]
    task_role_name: pulumi.Output[str]
    execution_role_name: pulumi.Output[str]
    service_name: pulumi.Output[str]


@dataclass(frozen=True)
class ExtensionContext:
    environment: str
    tier: str
    aws: AwsContext
    wiring: EnvironmentWiring
    """VPC, private subnets and route tables, cluster, listener, load balancer security group,
    key, alarm topic (``components/service_args.py``)."""
    services: dict[str, ServiceWiring]
    tags: dict[str, str]
    opts: pulumi.ResourceOptions
    """Parent for what the extension adds (its own component under the environment)."""


@dataclass(frozen=True)
class Extension:
    name: str
    index: int
    module: ModuleType
    transform: Callable[[ExtensionResource], Any] | None = None
    extend: Callable[[ExtensionContext], Any] | None = None
    where: str = field(default="")

    def failed(self, hook: str, error: BaseException, about: str = "") -> DefinitionError:
        detail = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        return DefinitionError([f"{self.where}: {hook}{about} raised {detail}"])


def load_extensions(names: list[str], project_dir: Path, source: str) -> list[Extension]:
    """Import each module from the project's folder and check its hooks' signatures."""
    if names and str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    extensions = []
    for index, name in enumerate(names):
        where = f"{source}: extensions[{index}] ({name})"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and name.startswith(error.name):
                missing = f"no module '{name}' on the project's path ({project_dir})"
                raise DefinitionError([f"{source}: extensions[{index}]: {missing}"]) from None
            raise DefinitionError([f"{where}: importing it failed: {error}"]) from None
        except Exception as error:  # a company's module: whatever it raises is one line
            failure = f"{type(error).__name__}: {error}"
            raise DefinitionError([f"{where}: importing it failed: {failure}"]) from None
        hooks: dict[str, Callable[..., Any]] = {}
        for hook in HOOKS:
            function = getattr(module, hook, None)
            if function is None:
                continue
            if not callable(function):
                raise DefinitionError([f"{where}: {hook} is not a function"])
            parameters = [
                p
                for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            ]
            if len(parameters) != 1:
                what = "resource" if hook == "transform" else "context"
                raise DefinitionError(
                    [f"{where}: {hook} must take one argument (the {what}); it takes {len(parameters)}"]
                )
            hooks[hook] = function
        if not hooks:
            raise DefinitionError([f"{where}: defines neither transform(resource) nor extend(context)"])
        extensions.append(Extension(name, index, module, where=where, **hooks))
    return extensions


def transformation(extensions: list[Extension]) -> Callable[..., pulumi.ResourceTransformationResult | None]:
    """One stack transformation running every extension's ``transform`` on each resource."""
    hooks = [e for e in extensions if e.transform is not None]

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not isinstance(args.props, dict) or args.type_.startswith(("muon:", "pulumi:")):
            return None
        parent = args.opts.parent if args.opts is not None else None
        view = ExtensionResource(
            type=args.type_,
            name=args.name,
            props=dict(args.props),
            component_type=getattr(parent, "_type", None),
            component_name=getattr(parent, "_name", None),
        )
        for extension in hooks:
            assert extension.transform is not None
            try:
                extension.transform(view)
            except Exception as error:
                raise extension.failed("transform", error, f" on {view.type} {view.name}") from None
        return pulumi.ResourceTransformationResult(view.props, args.opts)

    return transform


class ExtensionComponent(pulumi.ComponentResource):
    """What one extension added to one environment."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:extension:Extension", name, None, opts)
        self.register_outputs({})


def extend_environment(
    extensions: list[Extension],
    *,
    environment: str,
    tier: str,
    aws: AwsContext,
    wiring: EnvironmentWiring,
    services: dict[str, ServiceWiring],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> None:
    for extension in extensions:
        if extension.extend is None:
            continue
        component = ExtensionComponent(
            f"{environment}-{extension.name.replace('.', '-')}", opts=pulumi.ResourceOptions(parent=parent)
        )
        context = ExtensionContext(
            environment=environment,
            tier=tier,
            aws=aws,
            wiring=wiring,
            services=services,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=component),
        )
        try:
            extension.extend(context)
        except Exception as error:
            raise extension.failed("extend", error, f" in environment {environment}") from None
