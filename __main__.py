"""Entry point for `pulumi up`: the program lives in stacks/program.py."""

import pulumi

from stacks.errors import MuonError
from stacks.program import run

try:
    run()
except MuonError as error:
    # A RunError is reported as its message alone: bad input never shows a traceback.
    raise pulumi.RunError(str(error)) from None
