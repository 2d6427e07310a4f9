"""Extension example: load-balancer cookie stickiness on every web service's target group.

In muon.yaml: ``extensions: [examples.extensions.sticky_sessions]``. A service's target group is
named ``<env>-<service>-tg``; to stick only some services, test ``resource.name`` here.
"""

from __future__ import annotations

from muon.stacks.extensions import ExtensionResource

ONE_DAY = 86_400


def transform(resource: ExtensionResource) -> None:
    if resource.type == "aws:lb/targetGroup:TargetGroup":
        resource.props["stickiness"] = {"enabled": True, "type": "lb_cookie", "cookie_duration": ONE_DAY}
