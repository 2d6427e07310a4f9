"""The cron, rate and at expressions EventBridge Scheduler, Application Auto Scaling and AWS Backup
share, checked field by field (EventBridge Scheduler user guide, "Schedule types": cron has six
fields, exactly one of day-of-month and day-of-week is '?'; rate takes minute(s), hour(s), day(s),
singular for 1). The types that carry these rules are in ``types.py``."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}  # noqa: SIM905


_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: dict[str, int]
    day: Literal["month", "week", ""] = ""


_CRON_FIELDS = (
    _CronField("minutes", 0, 59, {}),
    _CronField("hours", 0, 23, {}),
    _CronField("day-of-month", 1, 31, {}, "month"),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day-of-week", 1, 7, _DAYS, "week"),
    _CronField("year", 1970, 2199, {}),
)


_RATE_UNITS = ("minute", "hour", "day")


def _value_problem(text: str, field: _CronField) -> str | None:
    if text.upper() in field.names:
        return None
    if not text.isdigit():
        names = f" or {', '.join(field.names)}" if field.names else ""
        return f"{field.name}: '{text}' is not a number from {field.low} to {field.high}{names}"
    if not field.low <= int(text) <= field.high:
        return f"{field.name}: {int(text)} is outside {field.low}-{field.high}"
    return None


def _part_problem(part: str, field: _CronField) -> str | None:
    """One comma-separated part of a cron field: *, a value, a range, a step, or a day wildcard."""
    if field.day == "month" and re.fullmatch(r"L|LW|\d{1,2}W", part.upper()):
        day = part.upper().rstrip("W")
        return None if day in ("L", "") else _value_problem(day, field)
    if field.day == "week" and re.fullmatch(r"L|\w{1,3}L|\w{1,3}#\d", part.upper()):
        if part.upper() == "L":
            return None
        day, _, nth = part.upper().rstrip("L").partition("#")
        if nth and not 1 <= int(nth) <= 5:
            return f"{field.name}: '#{nth}' names the nth weekday of a month: 1 to 5"
        return _value_problem(day, field)
    base, slash, step = part.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        return f"{field.name}: '/{step}' needs a positive whole increment"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    for value in (low, high) if dash else (low,):
        problem = _value_problem(value, field)
        if problem:
            return problem
    return None


def cron_problem(body: str, backup: bool) -> str | None:
    fields = body.split()
    if len(fields) != len(_CRON_FIELDS):
        return f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "cron needs '?' in exactly one of day-of-month and day-of-week"
    for text, field in zip(fields, _CRON_FIELDS, strict=True):
        if text == "?" and field.day:
            continue
        for part in text.split(","):
            problem = _part_problem(part, field) if part else f"{field.name}: an empty part in '{text}'"
            if problem:
                return problem
    if backup and not fields[0].isdigit():
        # AWS Backup: "The interval between backup jobs shouldn't be less than 60 minutes".
        return f"AWS Backup runs at most hourly: minutes must be one number, got '{fields[0]}'"
    return None


def _rate_problem(body: str) -> str | None:
    parts = body.split()
    units = ", ".join(f"{u}(s)" for u in _RATE_UNITS)
    if (
        len(parts) != 2
        or not parts[0].isdigit()
        or int(parts[0]) < 1
        or parts[1].rstrip("s") not in _RATE_UNITS
    ):
        return f"rate takes a positive whole number and {units}, e.g. rate(5 minutes)"
    if parts[1] not in (*_RATE_UNITS, *(f"{u}s" for u in _RATE_UNITS)):
        return f"rate takes a positive whole number and {units}, e.g. rate(5 minutes)"
    if (int(parts[0]) == 1) != (not parts[1].endswith("s")):
        return f"rate({body}): AWS wants the singular unit for 1 and the plural otherwise"
    return None


def _at_problem(body: str) -> str | None:
    try:
        datetime.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return "at takes yyyy-mm-ddThh:mm:ss, a date and time that exist, e.g. at(2026-12-24T18:00:00)"
    return None


ScheduleKind = Literal["cron", "rate", "at"]


def schedule_problem(schedule: str, kinds: tuple[ScheduleKind, ...] = ("cron", "rate", "at")) -> str | None:
    """Why AWS would refuse ``schedule``, or None: its kind, then every field of it."""
    kind, paren, rest = schedule.partition("(")
    if kind not in kinds or not paren or not rest.endswith(")"):
        return "expected " + " or ".join(f"{k}(...)" for k in kinds)
    body = rest[:-1].strip()
    if kind == "cron":
        return cron_problem(body, backup=False)
    if kind == "rate":
        return _rate_problem(body)
    return _at_problem(body)
