"""The Automation API library, wired to a stand-in `pulumi` that records its calls (no CLI here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from muon.automation import (
    InvalidConfigError,
    Muon,
    OperationFailedError,
    PulumiNotInstalledError,
    StackLockedError,
)
from tests import fake_pulumi
from tests.conftest import PROJECT_DIR

DIGEST = "repo@sha256:" + "a" * 64


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Muon, Path]:
    root, log = fake_pulumi.activate(tmp_path, monkeypatch, on_path=False)
    return Muon(pulumi_root=root), log


commands = fake_pulumi.commands


def test_up_validates_selects_configures_and_returns_a_typed_result(fake) -> None:
    muon, log = fake
    lines: list[str] = []
    result = muon.up(
        "dev", config={"environments": ["dev"], "images": {"banana": DIGEST}}, on_output=lines.append
    )
    assert result.stack == "dev"
    assert result.operation == "up"
    assert result.summary == "succeeded"
    assert result.changes == {"create": 3, "same": 2}
    assert result.outputs["services"]["dev"]["banana"]["url"] == "http://dev.example/bananas"
    assert result.outputs["token"] == "[secret]"  # masked unless asked for
    assert lines == ["up: 3 to create, 2 unchanged"]
    calls = commands(log)
    assert calls[0] == ["version"]
    assert calls[1] == ["stack", "select", "--stack", "dev"]
    assert calls[2] == [
        "config", "set-all", "--stack", "dev",
        "--plaintext", 'muon:environments=["dev"]',
        "--plaintext", f'muon:images={{"banana": "{DIGEST}"}}',
    ]  # fmt: skip
    assert calls[3][:3] == ["up", "--yes", "--skip-preview"]
    assert calls[3][-2:] == ["--stack", "dev"]
    assert all(c["cwd"] == str(muon.project_dir) for c in fake_pulumi.calls(log)[1:])


def test_invalid_config_is_refused_before_any_stack_is_touched(fake) -> None:
    muon, log = fake
    with pytest.raises(
        InvalidConfigError,
        match=r"config of stack 'dev': muon:environments\[0\]: unknown environment 'staging'",
    ):
        muon.up("dev", config={"environments": ["staging"]})
    with pytest.raises(InvalidConfigError, match="muon:enviroments: unknown setting"):
        muon.preview("dev", config={"enviroments": ["dev"]})
    assert fake_pulumi.calls(log) == []


def test_a_locked_stack_is_its_own_error(fake, monkeypatch: pytest.MonkeyPatch) -> None:
    muon, _ = fake
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", "locked")
    with pytest.raises(StackLockedError, match="stack 'dev' is locked by another update"):
        muon.up("dev")


def test_a_failed_update_says_the_last_thing_pulumi_said(fake, monkeypatch: pytest.MonkeyPatch) -> None:
    muon, _ = fake
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", "fail")
    with pytest.raises(
        OperationFailedError, match="pulumi failed on stack 'dev': error: update failed"
    ) as raised:
        muon.up("dev")
    assert "Updating (dev):" in raised.value.output


def test_a_missing_cli_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PulumiNotInstalledError, match="get.pulumi.com"):
        Muon(pulumi_root=tmp_path).preview("dev")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PulumiNotInstalledError, match="not on PATH; install it"):
        Muon().outputs("dev")


def test_preview_destroy_refresh_and_outputs(fake) -> None:
    muon, log = fake
    preview = muon.preview("dev")
    assert (preview.summary, preview.changes) == ("previewed", {"create": 3, "same": 2})
    assert muon.destroy("dev").summary == "succeeded"
    assert muon.refresh("dev").summary == "succeeded"
    assert muon.outputs("dev", show_secrets=True)["token"] == "s3cr3t"
    operations = [c[0] for c in commands(log) if c[0] in ("preview", "destroy", "refresh")]
    assert operations == ["preview", "destroy", "refresh"]
    destroy = next(c for c in commands(log) if c[0] == "destroy")
    assert "--yes" in destroy and "--skip-preview" in destroy


def test_events_stream_to_the_callback(fake) -> None:
    muon, _ = fake
    events = []
    muon.preview("dev", on_event=events.append)
    assert any(e.summary_event is not None for e in events)
    with pytest.raises(TypeError, match="callbacks are"):
        muon.up("dev", on_progress=print)


def test_the_portal_example_runs_against_the_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import runpy

    fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)
    example = runpy.run_path(str(Path(__file__).resolve().parent.parent / "examples" / "portal.py"))
    project = str(Path(__file__).resolve().parent.parent)
    assert example["deploy"](project, "dev", "banana", DIGEST) == 0
    out = capsys.readouterr().out
    assert "dev: {'create': 3, 'same': 2}" in out
    assert "succeeded" in out and "banana at http://dev.example/bananas" in out
    assert example["deploy"](project, "dev", "apple", DIGEST) == 2
    assert "refused: config of stack 'dev': muon:images.apple: no such service" in capsys.readouterr().out


def test_estimate_is_offline_and_honours_the_config(tmp_path: Path) -> None:
    """No Pulumi CLI is needed: the estimate is the offline plan's, over the config given."""
    muon = Muon(PROJECT_DIR, pulumi_root=tmp_path)  # an empty root: any CLI call would fail
    estimate = muon.estimate("dev")
    assert (estimate["unit"], estimate["usdPerMonth"]) == ("USD per month", 58.44)
    frankfurt = muon.estimate("dev", config={"aws:region": "eu-central-1"})
    assert frankfurt["region"] == "eu-central-1"
    assert frankfurt["usdPerMonth"] > estimate["usdPerMonth"]  # Frankfurt's list prices are higher
    with pytest.raises(InvalidConfigError) as caught:
        muon.estimate("dev", config={"aws:region": "sa-east-1"})
    assert "no prices for region 'sa-east-1' in muon's price table; it has: ap-southeast-2" in str(
        caught.value
    )
