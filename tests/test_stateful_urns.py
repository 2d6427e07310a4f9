"""Stateful resources keep their URNs: a pinned URN that no resource answers to any more is data lost.

Pulumi tracks a resource by its URN (stack, project, the types of its parents, its type, its name).
A program whose next version gives a database, a key or a bucket another URN — renamed, or moved
under another component — makes the engine create a new, empty one and delete the old one. The
URNs of every stateful resource of the shipped stacks and of a definition that uses every stateful
feature are pinned in tests/data/stateful_urns.json; each must still be some resource's URN, or one
of its aliases (its own or a parent's), or be named in docs/upgrading.md, which tells operators what
to do about it. `pytest tests/test_stateful_urns.py --update-stateful-urns` rewrites the file on
purpose (after an alias or an upgrading note; it still refuses to drop a URN that has neither).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from muon.plan.offline import RenderedResource, Rendering, render
from tests.conftest import PROJECT_DIR, render_repository_stack, render_shared
from tests.test_creation_order import EVERYTHING, PIPELINE_CONFIG

DATA = PROJECT_DIR / "tests" / "data" / "stateful_urns.json"
UPGRADING = PROJECT_DIR / "docs" / "upgrading.md"

# Replaced, each of these loses what it holds, or breaks what depends on it, beyond what the next
# `pulumi up` can rebuild (docs/upgrading.md says so per type).
STATEFUL_TYPES = frozenset(
    {
        "aws:rds/cluster:Cluster",  # the database's storage
        "aws:rds/instance:Instance",  # the database's storage
        "aws:kms/key:Key",  # a new key cannot decrypt what the old one encrypted
        "random:index/randomPassword:RandomPassword",  # a new password the database does not know
        "aws:ssm/parameter:Parameter",  # the value it holds (the database's password)
        "aws:s3/bucket:Bucket",  # its objects
        "aws:s3/bucketV2:BucketV2",
        "aws:dynamodb/table:Table",  # its items
        "aws:sqs/queue:Queue",  # messages not yet received
        "aws:ecr/repository:Repository",  # the images services run
        "aws:backup/vault:Vault",  # recovery points
        "aws:cloudwatch/logGroup:LogGroup",  # logs kept for audits
        "aws:route53/zone:Zone",  # new name servers: the parent zone's delegation breaks
        "aws:organizations/organization:Organization",  # the organization itself
        "aws:organizations/account:Account",  # an account and everything in it
        "aws:efs/fileSystem:FileSystem",  # its files
    }
)

CREATED_ZONE = "environments:\n  dev: {domain: {name: dev.example.com, createZone: true}}\n"


def renderings() -> Iterator[tuple[str, Rendering]]:
    """The shipped stacks, and a definition using every stateful feature (the creation-order
    suite's, shared with it; a created hosted zone is the one feature it lacks)."""
    for stack in ("dev", "prod", "pipeline", "org"):
        yield stack, render_repository_stack(stack)
    yield "everything", render_shared(EVERYTHING, ["dev", "staging"])
    yield "everything-pipeline", render_shared(EVERYTHING, [], extra_config=PIPELINE_CONFIG)
    # Once delegated (the first run makes the zone alone): the zone and the environment in it.
    yield "created-zone", render_shared(CREATED_ZONE, ["dev"], extra_config={"muon:delegatedZones": ["dev"]})


# -- the engine's view of a rendering -----------------------------------------------------------------


def _urn(stack_project: str, parent_type: str, type_: str, name: str) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack_project}::{qualified}::{name}"


class Engine:
    """What the Pulumi engine makes of a rendering.

    ``urn``: a resource's URN as the engine builds it, from every parent's type down the chain
    (``resource.NewURN`` with the parent's ``QualifiedType()``; Pulumi's mock monitor keeps only the
    nearest parent's type). ``adopts``: the URNs of the last deployment the resource would take over
    — its own, each of its aliases, and each alias it inherits from its parent, renamed as the
    engine renames a child whose name starts with its parent's (the step generator's
    ``generateAliases`` and ``inheritedChildAlias``).
    """

    def __init__(self, rendering: Rendering) -> None:
        self.by_urn = {r.urn: r for r in rendering.resources}
        self._types: dict[str, str] = {}
        self._adopts: dict[str, frozenset[str]] = {}

    @staticmethod
    def split(urn: str) -> tuple[str, str, str]:
        """(``stack::project``, qualified type, name)."""
        body = urn.removeprefix("urn:pulumi:")
        stack, project, qualified, name = body.split("::", 3)
        return f"{stack}::{project}", qualified, name

    def parent_of(self, resource: RenderedResource) -> RenderedResource | None:
        return self.by_urn.get(resource.parent)  # the root stack is not a rendered resource

    def qualified_type(self, resource: RenderedResource) -> str:
        if resource.urn not in self._types:
            parent = self.parent_of(resource)
            self._types[resource.urn] = (
                f"{self.qualified_type(parent)}${resource.type}" if parent else resource.type
            )
        return self._types[resource.urn]

    def urn(self, resource: RenderedResource) -> str:
        return _urn(
            self.split(resource.urn)[0], self.qualified_type_of_parent(resource), resource.type, resource.name
        )

    def qualified_type_of_parent(self, resource: RenderedResource) -> str:
        parent = self.parent_of(resource)
        return self.qualified_type(parent) if parent else ""

    def _parent_types(self, parent_urn: str) -> set[str]:
        """The qualified types an alias's ``parentUrn`` stands for: a rendered resource's (under its
        own URN or any it adopts), or a URN written out by hand."""
        parent = self.by_urn.get(parent_urn)
        if parent is None:
            qualified = self.split(parent_urn)[1]
            return {"" if qualified == "pulumi:pulumi:Stack" else qualified}
        return {self.split(urn)[1] for urn in self.adopts(parent)}

    def own_aliases(self, resource: RenderedResource) -> set[str]:
        stack, project = self.split(resource.urn)[0].split("::")
        found: set[str] = set()
        for alias in resource.alias_specs:
            if "urn" in alias:
                found.add(alias["urn"])
                continue
            spec: dict[str, Any] = alias.get("spec", {})
            name, type_ = spec.get("name") or resource.name, spec.get("type") or resource.type
            stack_project = f"{spec.get('stack') or stack}::{spec.get('project') or project}"
            if spec.get("noParent"):
                parents = {""}
            elif spec.get("parentUrn"):
                parents = self._parent_types(spec["parentUrn"])
            else:
                parents = {self.qualified_type_of_parent(resource)}
            found |= {_urn(stack_project, parent, type_, name) for parent in parents}
        return found

    def adopts(self, resource: RenderedResource) -> frozenset[str]:
        if resource.urn not in self._adopts:
            current = self.urn(resource)
            own = self.own_aliases(resource)
            found = {current, *own}
            parent = self.parent_of(resource)
            if parent is not None:
                for parent_alias in self.adopts(parent) - {self.urn(parent)}:
                    found |= {self._inherited(child, parent.name, parent_alias) for child in (current, *own)}
            self._adopts[resource.urn] = frozenset(found)
        return self._adopts[resource.urn]

    def _inherited(self, child: str, parent_name: str, parent_alias: str) -> str:
        stack_project, qualified, name = self.split(child)
        _, alias_type, alias_name = self.split(parent_alias)
        if name.startswith(parent_name):
            name = alias_name + name[len(parent_name) :]
        return _urn(stack_project, alias_type, qualified.split("$")[-1], name)

    def stateful(self) -> dict[str, RenderedResource]:
        """Engine URN → resource, for every stateful resource."""
        return {self.urn(r): r for r in self.by_urn.values() if r.type in STATEFUL_TYPES}


def problems(pinned: dict[str, list[str]], current: dict[str, Rendering], documented: str) -> list[str]:
    """Pinned URNs that no resource adopts any more and that docs/upgrading.md does not name (in
    backquotes)."""
    lost = []
    for name, urns in sorted(pinned.items()):
        engine = Engine(current.get(name, Rendering()))  # a render no longer made keeps nothing
        adopted = set().union(*(engine.adopts(r) for r in engine.by_urn.values()))
        lost += [f"{name}: {urn}" for urn in urns if urn not in adopted and f"`{urn}`" not in documented]
    if not lost:
        return []
    return [
        f"{len(lost)} stateful resource(s) would be replaced, losing what they hold: "
        + "; ".join(lost)
        + ". Keep each one's URN with a Pulumi alias (`aliases=[pulumi.Alias(name=..., parent=...)]`"
        " on the resource, or on a parent component that was renamed or moved: its children inherit"
        " it), or, if the replacement is intended, add an entry naming the URN to docs/upgrading.md."
        " Then rewrite tests/data/stateful_urns.json: pytest tests/test_stateful_urns.py"
        " --update-stateful-urns"
    ]


@pytest.mark.slow
def test_stateful_resources_keep_their_urns(request: pytest.FixtureRequest) -> None:
    current = dict(renderings())
    urns = {name: sorted(Engine(rendering).stateful()) for name, rendering in current.items()}
    pinned = json.loads(DATA.read_text(encoding="utf-8")) if DATA.exists() else {}
    found = problems(pinned, current, UPGRADING.read_text(encoding="utf-8"))
    assert found == [], found[0]
    if request.config.getoption("--update-stateful-urns"):
        DATA.write_text(json.dumps(urns, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    unpinned = [f"{name}: {urn}" for name in urns for urn in urns[name] if urn not in pinned.get(name, [])]
    assert unpinned == [], (
        f"stateful resources not pinned yet: {'; '.join(unpinned)}. Pin them: pytest"
        " tests/test_stateful_urns.py --update-stateful-urns, and commit tests/data/stateful_urns.json"
    )
    assert set(pinned) == set(urns)


def test_the_pinned_renders_hold_every_stateful_type_muon_creates() -> None:
    """The stateful types muon declares that the pinned renders contain: a type dropping out of
    every render would leave its URNs unguarded."""
    pinned = json.loads(DATA.read_text(encoding="utf-8"))
    types = {Engine.split(urn)[1].split("$")[-1] for urns in pinned.values() for urn in urns}
    assert types == STATEFUL_TYPES - {
        "aws:s3/bucketV2:BucketV2",  # muon creates none of these (yet)
    }


# -- the rule itself, on a small program ---------------------------------------------------------------


def boxes(renamed: bool, *, alias: bool) -> Rendering:
    """A component holding a component holding a bucket; ``renamed``: the outer component is
    ``crate`` instead of ``box``, with an alias to its old name when ``alias``."""

    def program() -> None:
        name = "crate" if renamed else "box"
        aliases = [pulumi.Alias(name="box")] if renamed and alias else None
        outer = pulumi.ComponentResource(
            "muon:test:Outer", name, None, pulumi.ResourceOptions(aliases=aliases)
        )
        inner = pulumi.ComponentResource(
            "muon:test:Inner", f"{name}-inner", None, pulumi.ResourceOptions(parent=outer)
        )
        aws.s3.Bucket(f"{name}-inner-bucket", opts=pulumi.ResourceOptions(parent=inner))

    return render(program, config={"aws:region": "us-east-1"}, stack="test")


BOX_BUCKET = "urn:pulumi:test::muon::muon:test:Outer$muon:test:Inner$aws:s3/bucket:Bucket::box-inner-bucket"


def test_the_engine_urn_carries_every_parent_type() -> None:
    engine = Engine(boxes(renamed=False, alias=False))
    assert list(engine.stateful()) == [BOX_BUCKET]


def test_a_parents_alias_keeps_its_childrens_urns() -> None:
    pinned = {"boxes": [BOX_BUCKET]}
    aliased = problems(pinned, {"boxes": boxes(renamed=True, alias=True)}, documented="")
    assert aliased == []
    lost = problems(pinned, {"boxes": boxes(renamed=True, alias=False)}, documented="")
    assert len(lost) == 1 and f"boxes: {BOX_BUCKET}" in lost[0]
    assert (
        "Pulumi alias" in lost[0] and "docs/upgrading.md" in lost[0] and "--update-stateful-urns" in lost[0]
    )
    # An intended replacement, named in the upgrading notes, is no longer a problem.
    assert problems(pinned, {"boxes": boxes(renamed=True, alias=False)}, documented=f"- `{BOX_BUCKET}`") == []


def test_an_alias_to_another_parent_keeps_the_urn() -> None:
    def program() -> None:
        outer = pulumi.ComponentResource("muon:test:Outer", "box")
        inner = pulumi.ComponentResource(
            "muon:test:Inner", "box-inner", None, pulumi.ResourceOptions(parent=outer)
        )
        # Moved out of ``inner`` to sit under ``outer`` directly.
        aws.s3.Bucket(
            "box-inner-bucket",
            opts=pulumi.ResourceOptions(parent=outer, aliases=[pulumi.Alias(parent=inner)]),
        )

    moved = render(program, config={"aws:region": "us-east-1"}, stack="test")
    assert problems({"boxes": [BOX_BUCKET]}, {"boxes": moved}, documented="") == []
