"""Kept for teams' CI scripts written against earlier releases: ``python -m muon.stacks.plan`` is
``python -m muon.plan`` (:mod:`muon.plan.command`)."""

import sys

from muon.plan.command import main

if __name__ == "__main__":
    sys.exit(main(standalone=True))
