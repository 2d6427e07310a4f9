import ipaddress

import pytest

from muon.components.addressing import plan_subnets


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/22"])
@pytest.mark.parametrize("zones", [1, 2, 3, 6, 8])
def test_subnets_are_disjoint_and_inside_the_vpc(cidr: str, zones: int) -> None:
    plan = plan_subnets(cidr, zones)
    vpc = ipaddress.IPv4Network(cidr)
    networks = [ipaddress.IPv4Network(c) for c in (*plan.public, *plan.private, *plan.isolated)]
    assert len(networks) == 3 * zones
    assert all(n.subnet_of(vpc) for n in networks)
    for index, first in enumerate(networks):
        for second in networks[index + 1 :]:
            assert not first.overlaps(second), (first, second)


def test_adding_a_zone_keeps_existing_subnets() -> None:
    two, three = plan_subnets("10.0.0.0/16", 2), plan_subnets("10.0.0.0/16", 3)
    assert three.public[:2] == two.public
    assert three.private[:2] == two.private
    assert three.isolated[:2] == two.isolated


def test_private_subnets_are_the_largest() -> None:
    plan = plan_subnets("10.0.0.0/16", 3)
    assert plan.private[0] == "10.0.0.0/20"
    assert plan.public[0] == "10.0.128.0/21"
    assert plan.isolated[0] == "10.0.192.0/21"


def test_more_zones_than_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="zones must be 1 to 8"):
        plan_subnets("10.0.0.0/16", 9)
