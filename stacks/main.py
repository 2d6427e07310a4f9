"""What a project's ``__main__.py`` runs: muon's program, with bad input reported as one line."""

from __future__ import annotations

import pulumi

from muon.stacks.errors import MuonError


def main() -> None:
    from muon.stacks.compose import run

    try:
        run()
    except MuonError as error:
        # A RunError is reported as its message alone: bad input never shows a traceback.
        raise pulumi.RunError(str(error)) from None
