"""`pulumi preview --policy-pack "$(muon policy-pack)"`: muon's compliance rules on a real preview.

`muon policy-pack` writes this folder with a PulumiPolicy.yaml naming the virtualenv muon runs in,
where muon and pulumi-policy are installed: the pack needs nothing else.
"""

from pulumi_policy import PolicyPack

from muon.policy.crossguard import policies

PolicyPack(name="muon-compliance", policies=policies())
