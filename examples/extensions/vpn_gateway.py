"""Extension example: a virtual private gateway on each environment's VPC, its routes propagated
into the private route tables, so tasks reach an on-premises network over a site-to-site VPN.

In muon.yaml: ``extensions: [examples.extensions.vpn_gateway]``. The VPN connection itself (its
customer gateway and tunnels) is the network team's; this prepares the VPC side.
"""

from __future__ import annotations

import pulumi_aws as aws

from muon.stacks.extensions import ExtensionContext

AMAZON_SIDE_ASN = 64_512


def extend(context: ExtensionContext) -> None:
    wiring = context.wiring
    if not wiring.private_route_table_ids:
        return  # an existing or attached VPC: its routes are not this project's to change
    gateway = aws.ec2.VpnGateway(
        f"{context.environment}-vpn-gateway",
        vpc_id=wiring.vpc_id,
        amazon_side_asn=str(AMAZON_SIDE_ASN),
        tags={**context.tags, "Name": f"{context.aws.namespace}-{context.environment}-vpn"},
        opts=context.opts,
    )
    for index, table in enumerate(wiring.private_route_table_ids):
        aws.ec2.VpnGatewayRoutePropagation(
            f"{context.environment}-vpn-propagation-{index}",
            vpn_gateway_id=gateway.id,
            route_table_id=table,
            opts=context.opts,
        )
