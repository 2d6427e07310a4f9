"""What stays in AWS when it leaves the stack: data is never deleted as a side effect of an edit.

Pulumi's ``retain_on_delete`` keeps a resource in AWS when the program stops declaring it (a
service removed or renamed, a stack destroyed) or when a replacement deletes the old one: the
engine drops it from the state and never calls the provider's delete. muon retains:

- every KMS key it creates (``encryption.rotating_key``): a key encrypts logs, parameters,
  databases, their snapshots and backups, and a final snapshot outlives its database; a key that
  is deleted takes everything it encrypted with it. A retained key costs $1 a month until someone
  schedules its deletion (30 days' window) once nothing it encrypted is left;
- in a production environment, the delivery stack and the organization stack
  (``retention_transformation``): log groups (the record of what happened), buckets (access
  logs, audit trails, artifacts), backup vaults (recovery points; production's are also
  ``protect``ed), image repositories (the images production runs, by digest), and a service's
  own tables and file systems (``storage.py``; also ``protect``ed).

A retained log group still expires its events by its retention; a retained bucket keeps its
lifecycle rules. Databases are not retained: RDS takes a final snapshot when it deletes one
(``database.py``), and production's are ``protect``ed.
"""

from __future__ import annotations

import pulumi

RETAINED_TYPES: dict[str, str] = {
    "aws:cloudwatch/logGroup:LogGroup": "its events (until its retention expires them)",
    "aws:s3/bucket:Bucket": "its objects: access logs, audit trails, artifacts, files",
    "aws:backup/vault:Vault": "its recovery points",
    "aws:ecr/repository:Repository": "its images, which running tasks pull by digest",
    "aws:dynamodb/table:Table": "its items (a service's own table)",
    "aws:efs/fileSystem:FileSystem": "its files (a service's own volume)",
}
"""The types a production environment, the delivery stack and the organization retain, and what
each would lose."""


def retention_transformation() -> pulumi.ResourceTransformation:
    """Retain every resource of ``RETAINED_TYPES`` under the component it is set on."""

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ not in RETAINED_TYPES:
            return None
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True))
        return pulumi.ResourceTransformationResult(props=args.props, opts=opts)

    return transformation


def retained(production: bool = True) -> pulumi.ResourceOptions:
    """Options that retain the data of a component's subtree (none when ``production`` is False)."""
    return pulumi.ResourceOptions(transformations=[retention_transformation()] if production else None)
