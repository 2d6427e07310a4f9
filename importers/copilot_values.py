"""Copilot's value forms, as muon writes them: Go durations, shell-split commands, schedules, paths.

Sources (github.com/aws/copilot-cli): durations are Go's ``time.ParseDuration`` (the manifest's
``Duration`` fields); a string ``command``/``entrypoint`` is split as a shell splits it
(``internal/pkg/manifest/workload.go``, ``ToStringSlice``); schedules as
``internal/pkg/deploy/cloudformation/stack/scheduled_job.go`` (``toFixedSchedule``, ``toRate``,
``toAWSCron``); an ``http.path`` as the listener rule of
``internal/pkg/template/templates/workloads/partials/cf/http-listener.yml`` (``/`` routes
everything, ``api`` routes ``/api`` and ``/api/*``).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

GO_DURATION = re.compile(r"^(?:([0-9]+(?:\.[0-9]+)?)(d|h|m|s|ms|us|µs|ns))+$")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(d|h|ms|m|s|us|µs|ns)")
_UNIT = {"d": 86_400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
PRESETS = {
    "@hourly": "cron(0 * * * ? *)",
    "@daily": "cron(0 0 * * ? *)",
    "@midnight": "cron(0 0 * * ? *)",
    "@weekly": "cron(0 0 ? * 1 *)",
    "@monthly": "cron(0 0 1 * ? *)",
    "@yearly": "cron(0 0 1 1 ? *)",
    "@annually": "cron(0 0 1 1 ? *)",
}
"""Copilot's ``cronHourly`` … ``cronYearly`` (robfig/cron's predefined schedules)."""


def seconds(value: Any) -> int | None:
    """A duration (``30s``, ``1h30m``; Go's units, and days as Copilot's documentation writes them:
    ``retention: 4d``) or a bare number of seconds, in whole seconds; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value == value and abs(value) < 1e12 else None
    text = str(value).strip()
    if text == "0":
        return 0
    if not GO_DURATION.match(text):
        return None
    return int(sum(float(n) * _UNIT[u] for n, u in _PART.findall(text)))


def words(value: Any) -> list[str] | None:
    """``command``/``entrypoint``: a list as it is, a string split as a shell splits it."""
    if isinstance(value, list):
        return [str(v) for v in value if v is not None] or None
    if value is None:
        return None
    try:
        return shlex.split(str(value)) or None
    except ValueError:  # an unclosed quote: Copilot refused it too
        return None


def schedule(value: str) -> str | None:
    """An EventBridge expression for Copilot's ``on.schedule``; None when it has none (``none``)."""
    text = value.strip()
    if text in PRESETS:
        return PRESETS[text]
    if text.startswith("@every "):
        total = seconds(text.removeprefix("@every ").strip())
        if total is None or total < 60 or total % 60:
            return None
        minutes = total // 60
        return f"rate({minutes} minute{'s' if minutes != 1 else ''})"
    if re.match(r"^(cron|rate)\(.+\)$", text):
        return text
    return _aws_cron(text)


def _aws_cron(text: str) -> str | None:
    """``0 9 * * 1-5`` → ``cron(0 9 ? * 2-6 *)``: a ``?`` in one of the day fields, days of the week
    counted from 1, a year field (Copilot's ``toAWSCron``)."""
    fields = text.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields

    def specified(field: str) -> bool:
        return not any(c in field for c in "*?")

    if not specified(dom) and not specified(dow):
        dom, dow = "*", "?"
    elif not specified(dom):
        dom = "?"
    elif not specified(dow):
        dow = "?"
    else:
        return None  # both days given: Copilot refused it
    dow = "".join(str(int(c) + 1) if c in "0123456789" else c for c in dow)
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def path_patterns(path: str) -> list[str]:
    """Copilot's listener rule for ``http.path``."""
    cleaned = path.strip().strip("/")
    if not cleaned:
        return ["/*"]
    return [f"/{cleaned}", f"/{cleaned}/*"]


def count_range(value: Any) -> tuple[int, int] | None:
    """``count.range``: ``1-10`` or ``{min, max}``."""
    if isinstance(value, dict):
        low, high = value.get("min"), value.get("max")
    else:
        match = re.match(r"^\s*([0-9]+)\s*-\s*([0-9]+)\s*$", str(value))
        if not match:
            return None
        low, high = match.groups()
    low, high = whole(low), whole(high)
    return None if low is None or high is None else (low, high)


def whole(value: Any, default: int | None = None) -> int | None:
    """A whole number written as one (``512``, ``"512"``), else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else default
