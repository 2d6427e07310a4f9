"""Entry point for `pulumi up`: muon's program (muon/stacks/compose.py) on this project's muon.yaml."""

from muon.stacks.main import main

main()
