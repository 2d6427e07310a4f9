"""A stand-in `pulumi` executable for testing the Automation API wiring without the CLI.

It records every invocation (argv, working directory, the PULUMI_* environment) as a JSON line and
answers the commands the Automation API issues with canned output. ``FAKE_PULUMI_SCENARIO``
chooses the behaviour: ``ok`` (default), ``locked`` (another update holds the lock), ``fail``;
``stack export`` prints the state in the file ``FAKE_PULUMI_STATE`` names; ``stack output``, the
JSON in the file ``FAKE_PULUMI_OUTPUTS`` names when it is set. ``FAKE_PULUMI_STACKS`` names a file
listing the backend's stacks, one a line: ``stack select`` of another fails as Pulumi's does ("no
stack named ... found"), ``stack ls --json`` lists them, ``stack init`` adds one; unset, every stack
exists.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

SCRIPT = r"""
import json, os, sys, time
args = sys.argv[1:]
log = os.environ["FAKE_PULUMI_LOG"]
with open(log, "a", encoding="utf-8") as handle:
    handle.write(json.dumps({"args": args, "cwd": os.getcwd(),
                             "env": {k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "MUON_"))}}) + "\n")
scenario = os.environ.get("FAKE_PULUMI_SCENARIO", "ok")
words = [a for a in args if not a.startswith("--")]
if words[:1] == ["version"]:
    print("v3.200.0"); sys.exit(0)
stacks_file = os.environ.get("FAKE_PULUMI_STACKS")  # the backend's stacks, one a line; unset: any exists
known = open(stacks_file, encoding="utf-8").read().split() if stacks_file else None
if words[:2] == ["stack", "select"] and known is not None and words[2] not in known:
    sys.stderr.write(f"error: no stack named '{words[2]}' found\n"); sys.exit(255)
if words[:2] == ["stack", "ls"]:
    print(json.dumps([{"name": name, "current": False} for name in known or []])); sys.exit(0)
if words[:2] == ["stack", "init"] and known is not None:
    if words[2] in known:
        sys.stderr.write(f"error: stack '{words[2]}' already exists\n"); sys.exit(255)
    with open(stacks_file, "a", encoding="utf-8") as handle:
        handle.write(words[2] + "\n")
    sys.exit(0)
if "--event-log" in args:
    path = args[args.index("--event-log") + 1]
    with open(path, "w", encoding="utf-8") as events:
        events.write(json.dumps({"sequence": 1, "timestamp": int(time.time()), "summaryEvent": {
            "maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": {"create": 3, "same": 2},
            "policyPacks": {}}}) + "\n")
        events.write(json.dumps({"sequence": 2, "timestamp": int(time.time()), "cancelEvent": {}}) + "\n")
if words[:1] in (["up"], ["preview"], ["destroy"], ["refresh"]):
    if scenario == "locked":
        sys.stderr.write("error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
                         "to end or delete the lock file with `pulumi cancel`.\n")
        sys.exit(255)
    if scenario == "fail":
        print("Updating (dev):")
        sys.stderr.write("error: update failed\n")
        sys.exit(255)
    print(f"{words[0]}: 3 to create, 2 unchanged")
    sys.exit(0)
if words[:2] == ["stack", "history"]:
    print(json.dumps([{"kind": "update", "startTime": "2026-11-26T10:00:00.000Z", "endTime": "2026-11-26T10:01:00.000Z",
                       "message": "", "environment": {}, "config": {}, "result": "succeeded", "version": 2,
                       "resourceChanges": {"create": 3, "same": 2}}]))
    sys.exit(0)
if words[:2] == ["stack", "export"]:
    with open(os.environ["FAKE_PULUMI_STATE"], encoding="utf-8") as state:
        print(json.dumps({"version": 3, "deployment": json.load(state)["deployment"]}))
    sys.exit(0)
if words[:2] == ["stack", "output"] and os.environ.get("FAKE_PULUMI_OUTPUTS"):
    with open(os.environ["FAKE_PULUMI_OUTPUTS"], encoding="utf-8") as outputs:
        print(outputs.read())
    sys.exit(0)
if words[:2] == ["stack", "output"]:
    secret = "--show-secrets" in args
    print(json.dumps({"services": {"dev": {"banana": {"url": "http://dev.example/bananas"}}},
                      "token": "s3cr3t" if secret else "[secret]"}))
    sys.exit(0)
sys.exit(0)
"""


def install(directory: Path) -> Path:
    """Write ``directory/bin/pulumi``; return ``directory`` (a PulumiCommand root)."""
    binary = directory / "bin" / "pulumi"
    binary.parent.mkdir(parents=True, exist_ok=True)
    # -S: the script needs the standard library only; skipping site-packages takes a third off its start-up.
    binary.write_text(f"#!{sys.executable} -S\n{SCRIPT}", encoding="utf-8")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def calls(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def commands(log: Path) -> list[list[str]]:
    """The recorded argv lists, without the `--non-interactive` the Automation API always adds."""
    return [[a for a in c["args"] if a != "--non-interactive"] for c in calls(log)]


def activate(directory: Path, monkeypatch: Any, *, on_path: bool) -> tuple[Path, Path]:
    """Install the stand-in under ``directory`` and point this test's environment at it.

    Returns (PulumiCommand root, call log); ``on_path`` also puts it first on PATH.
    """
    log = directory / "calls.jsonl"
    root = install(directory / "pulumi")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", "ok")
    if on_path:
        monkeypatch.setenv("PATH", f"{root / 'bin'}:{os.environ.get('PATH', '')}")
    return root, log
