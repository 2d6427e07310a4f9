"""Pulumi ComponentResources that know AWS. They take typed args and never read config."""
