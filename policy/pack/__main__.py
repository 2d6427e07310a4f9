"""`pulumi preview --policy-pack policy/pack`: muon's compliance rules on a real preview."""

from pulumi_policy import PolicyPack

from muon.policy.crossguard import policies

PolicyPack(name="muon-compliance", policies=policies())
