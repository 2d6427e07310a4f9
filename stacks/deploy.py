"""Kept for pipelines already deployed: their buildspecs run ``python -m muon.stacks.deploy``
(``components/buildspecs.py`` still writes it, so a pipeline's CodeBuild projects do not change
with this release). The step itself is :mod:`muon.deploy.steps`."""

import sys

from muon.deploy.steps import main

if __name__ == "__main__":
    sys.exit(main())
