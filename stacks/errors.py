"""The one error type a user sees: a clear message, never a traceback."""

from __future__ import annotations


class MuonError(Exception):
    """Bad input or an impossible request, phrased for the person who wrote it.

    Entry points (``__main__.py``, the plan CLI, the Automation API library) catch this and
    print ``str(error)`` alone; everything else is a bug and keeps its traceback.
    """


class DefinitionError(MuonError):
    """The definition file or the stack config is invalid.

    ``problems`` holds one line per problem, each naming the file, the path inside it and what
    was expected, so callers (a portal, a test) can show them without parsing the message.
    """

    SHOWN = 8
    """Problems the message lists; one slipped indentation can cause dozens, and the first few
    point at it. ``problems`` always holds them all."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = [_one_line(problem) for problem in problems]
        problems = self.problems
        if len(problems) == 1:
            message = problems[0]
        else:
            shown = problems[: self.SHOWN]
            message = f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in shown)
            if len(problems) > len(shown):
                hidden = len(problems) - len(shown)
                message += f"\n  … and {hidden} more (fix the first ones first: they often cause the rest)"
        super().__init__(message)


def _one_line(problem: str) -> str:
    """``problem`` on one line whatever it quotes: a value may hold a line break or a character
    no terminal shows (escaped as Python writes them, ``\\n``, ``\\u2028``)."""
    if problem.isprintable():
        return problem
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in problem)
