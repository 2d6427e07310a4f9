"""The load balancer's TLS policies, apart from the component: the definition's models check
against them without importing Pulumi (a definition error answers before Pulumi loads)."""

TLS_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
)
"""The TLS policies Security Hub's ELB.17 accepts (TLS 1.3, or 1.2 restricted to current ciphers);
the definition takes no other, so a choice never falls behind the control."""
