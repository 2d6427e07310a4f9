"""``python -m muon.deploy COMMAND``: the pipeline's deploy step."""

import sys

from muon.deploy.steps import main

sys.exit(main())
