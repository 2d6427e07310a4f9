"""Tags other code reads back: kept here, free of Pulumi imports, so the CLI can share them."""

MANAGED_BY_TAG = "muon:managed-by"
"""On a muon-generated password parameter: the ``<project>/<stack>`` that owns it."""

BACKUP_TAG = "muon:backup"
"""On a stateful resource: the ``<namespace>-<environment>`` whose AWS Backup plan covers it."""
