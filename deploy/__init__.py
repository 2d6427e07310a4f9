"""What the pipeline runs around ``pulumi up`` (``python -m muon.deploy COMMAND``: ``steps``), and the
AWS calls it makes: migrations, one-off tasks, function releases, site publishing, the deployer's
IAM policy."""
