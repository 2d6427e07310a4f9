"""``python -m muon.plan STACK``: the offline plan (same flags as ``muon plan``)."""

import sys

from muon.plan.command import main

sys.exit(main(standalone=True))
