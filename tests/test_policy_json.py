"""Policy documents with Output leaves serialise like plain ones, secrets and all."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from muon.components.policies import allow, document, to_json
from muon.plan.offline import SECRET_MASK, render


def rendered_policy(doc: object) -> tuple[str, str]:
    """(the policy as the provider receives it, the same with secrets masked)."""

    def program() -> None:
        aws.iam.Policy("probe", policy=to_json(doc))

    policy = render(program, config={"aws:region": "us-east-1"}, stack="probe").one("aws:iam/policy:Policy")
    return policy.inputs["policy"], policy.masked_inputs["policy"]


def test_output_leaves_are_filled_in_place_and_the_json_is_sorted() -> None:
    bucket = pulumi.Output.from_input("arn:aws:s3:::bananas")
    doc = document(
        allow(["s3:GetObject"], [pulumi.Output.concat(bucket, "/*"), "arn:aws:s3:::static/*"]),
        allow("kms:Decrypt", pulumi.Output.from_input("arn:aws:kms:us-east-1:1:key/k"), Sid="Key"),
    )
    sent, _ = rendered_policy(doc)
    assert json.loads(sent) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": ["arn:aws:s3:::bananas/*", "arn:aws:s3:::static/*"],
            },
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "arn:aws:kms:us-east-1:1:key/k",
                "Sid": "Key",
            },
        ],
    }
    assert sent == json.dumps(json.loads(sent), sort_keys=True)


def test_a_secret_leaf_makes_the_whole_document_secret() -> None:
    doc = document(allow("ssm:GetParameter", pulumi.Output.secret("arn:aws:ssm:us-east-1:1:parameter/x")))
    sent, masked = rendered_policy(doc)
    assert "parameter/x" in sent
    assert masked == SECRET_MASK


def test_a_document_without_outputs_is_serialised_as_is() -> None:
    doc = document(allow("s3:ListBucket", "arn:aws:s3:::bananas"))
    sent, masked = rendered_policy(doc)
    assert sent == masked == json.dumps(doc, sort_keys=True)
