"""From ``muon.yaml`` to components: ``definition/`` (models, loader, settings, schema: no Pulumi),
``tiers`` (the defaults by tier), ``resolve/`` (every check and decision, per area), ``compose``
(components and stack outputs) and ``main`` (what a project's ``__main__.py`` runs)."""
