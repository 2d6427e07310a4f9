"""The Automation API library, wired to a stand-in `pulumi` that records its calls (no CLI here)."""

from __future__ import annotations

import inspect
import os
import shutil
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.automation.events import EngineEvent

from muon.automation import (
    InvalidConfigError,
    Muon,
    OperationFailedError,
    PulumiNotInstalledError,
    StackFileNotFoundError,
    StackLockedError,
    UnknownStackError,
)
from muon.stacks.errors import MuonError
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
    with pytest.raises(TypeError, match="unexpected keyword argument 'on_progress'"):
        muon.up("dev", on_progress=print)  # type: ignore[call-arg]


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


def test_a_str_or_any_path_like_names_the_project(fake) -> None:
    stand_in, log = fake
    muon = Muon(str(PROJECT_DIR), pulumi_root=str(stand_in.pulumi_root))  # the README's first line
    assert (muon.project_dir, muon.pulumi_root) == (PROJECT_DIR.resolve(), stand_in.pulumi_root)
    assert muon.up("dev").summary == "succeeded"
    assert all(c["cwd"] == str(PROJECT_DIR.resolve()) for c in fake_pulumi.calls(log)[1:])


def test_the_api_is_typed_and_documented() -> None:
    """py.typed ships with the package; every public method says what it does; callbacks are typed
    (no **kwargs): on_output and on_error take a line, on_event Pulumi's EngineEvent."""
    assert (PROJECT_DIR / "muon" / "py.typed").is_file()
    assert '"py.typed"' in (PROJECT_DIR / "pyproject.toml").read_text()
    public = [(n, m) for n, m in inspect.getmembers(Muon, inspect.isfunction) if not n.startswith("_")]
    assert {"preview", "up", "destroy", "refresh", "outputs", "validate", "estimate"} <= {
        n for n, _ in public
    }
    for name, method in [*public, ("__init__", Muon.__init__)]:
        assert method.__doc__ and len(method.__doc__.split()) > 5, name
        kinds = {p.kind for p in inspect.signature(method).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, name
    for name in ("preview", "up", "destroy", "refresh"):
        hints = typing.get_type_hints(getattr(Muon, name))
        assert set(typing.get_args(hints["on_event"])) == {Callable[[EngineEvent], None], type(None)}, name
        for stream in ("on_output", "on_error"):
            assert set(typing.get_args(hints[stream])) == {Callable[[str], None], type(None)}, name
    project_dir = typing.get_type_hints(Muon.__init__)["project_dir"]
    assert set(typing.get_args(project_dir)) == {str, os.PathLike[str], type(None)}


def test_a_missing_stack_file_is_one_error_naming_it(fake) -> None:
    muon, log = fake
    path = PROJECT_DIR.resolve() / "Pulumi.staging.yaml"
    for call in (
        lambda: muon.up("staging"),
        lambda: muon.preview("staging", config={"images": {"banana": DIGEST}}),
        lambda: muon.outputs("staging"),
        lambda: muon.validate("staging", {}),
        lambda: muon.estimate("staging"),
        lambda: muon.migrations("staging"),
    ):
        with pytest.raises(StackFileNotFoundError) as raised:
            call()
        assert (
            str(raised.value)
            == f"{path}: no such stack file; the stacks of {PROJECT_DIR.resolve()}: dev, org, pipeline, prod"
        )
    assert fake_pulumi.calls(log) == []


@pytest.mark.parametrize(
    "reference", ["repo:latest", "123456789012.dkr.ecr.us-east-1.amazonaws.com/banana:v1", "banana"]
)
def test_a_mutable_image_tag_is_refused_unless_allowed(fake, reference: str) -> None:
    muon, log = fake
    with pytest.raises(InvalidConfigError) as raised:
        muon.up("dev", config={"images": {"banana": reference}})
    assert str(raised.value).startswith(
        f"config of stack 'dev': muon:images.banana: '{reference}' names a mutable tag; give the image by digest"
    )
    assert fake_pulumi.calls(log) == []
    allowed = Muon(PROJECT_DIR, pulumi_root=muon.pulumi_root, allow_mutable_images=True)
    assert allowed.up("dev", config={"images": {"banana": reference}}).summary == "succeeded"


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in's backend holds the stacks prod and pipeline, not dev."""
    stacks = tmp_path / "stacks.txt"
    stacks.write_text("prod\npipeline\n")
    monkeypatch.setenv("FAKE_PULUMI_STACKS", str(stacks))
    return stacks


def test_read_only_operations_never_create_a_stack(fake, backend: Path) -> None:
    muon, log = fake
    for call in (
        lambda: muon.outputs("dev"),
        lambda: muon.preview("dev"),
        lambda: muon.refresh("dev"),
        lambda: muon.destroy("dev"),
    ):
        with pytest.raises(UnknownStackError) as raised:
            call()
        assert str(raised.value) == (
            "no stack 'dev' in this project's backend; its stacks: pipeline, prod (`up` creates it; the "
            "offline plan needs none: muon plan dev)"
        )
    assert not [c for c in commands(log) if c[:2] == ["stack", "init"]]
    assert backend.read_text().split() == ["prod", "pipeline"]
    assert muon.outputs("prod")["token"] == "[secret]"  # an existing stack is only selected


def test_up_creates_a_missing_stack_with_the_projects_secrets_provider(fake, backend: Path) -> None:
    muon, log = fake
    assert muon.up("dev").summary == "succeeded"
    calls = commands(log)
    assert [
        "stack",
        "init",
        "dev",
        "--secrets-provider",
        "awskms://alias/muon-pulumi?region=us-east-1",
    ] in calls
    assert backend.read_text().split() == ["prod", "pipeline", "dev"]
    assert all(
        c["env"].get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER") == "true"
        for c in fake_pulumi.calls(log)
        if c["args"] != ["version"]
    )
    muon.up("prod")
    assert len([c for c in commands(log) if c[:2] == ["stack", "init"]]) == 1  # prod existed


def project_without_provider(tmp_path: Path, *, backend: str | None = None) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "muon.yaml").write_text(
        "environments: {dev: {}}\nservices: {banana: {port: 8080, pathPatterns: [/b]}}\n"
    )
    (project / "Pulumi.dev.yaml").write_text("config:\n  muon:environments: [dev]\n")
    if backend:
        (project / "Pulumi.pipeline.yaml").write_text(
            f"config:\n  muon:pipeline: true\n  muon:backend: {backend}\n"
        )
    return project


def test_up_never_creates_a_stack_with_the_passphrase_provider(fake, backend: Path, tmp_path: Path) -> None:
    muon, log = fake
    project = project_without_provider(tmp_path)
    with pytest.raises(MuonError) as raised:
        Muon(project, pulumi_root=muon.pulumi_root).up("dev")
    assert str(raised.value).startswith(
        "stack 'dev' does not exist yet and no secrets provider is configured for it: set muon:secretsProvider"
    )
    assert not [c for c in commands(log) if c[:2] == ["stack", "init"]]
    # A stack file that names its provider (Pulumi's own key) is created with it.
    (project / "Pulumi.dev.yaml").write_text(
        "secretsprovider: awskms://alias/team?region=eu-west-1\nconfig:\n  muon:environments: [dev]\n"
    )
    Muon(project, pulumi_root=muon.pulumi_root).up("dev")
    assert ["stack", "init", "dev", "--secrets-provider", "awskms://alias/team?region=eu-west-1"] in commands(
        log
    )


def test_a_pulumi_cloud_project_keeps_the_services_default(fake, backend: Path, tmp_path: Path) -> None:
    muon, log = fake
    project = project_without_provider(tmp_path, backend="https://api.pulumi.com")
    Muon(project, pulumi_root=muon.pulumi_root).up("dev")
    assert ["stack", "init", "dev"] in commands(log)
