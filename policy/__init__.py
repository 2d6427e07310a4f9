"""Compliance rules (AWS FSBP, Checkov, cdk-nag) checked against the rendered resource graph."""
