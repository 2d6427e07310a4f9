"""Shared helpers: render the real program under mocks with a given definition and stack config."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import pickle
import socket
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
import yaml

from muon.plan.offline import MuonMocks, Rendering, render
from muon.stacks import compose as program
from muon.stacks.definition.stack_config import read_stack_file

PROJECT_DIR = Path(__file__).resolve().parent.parent
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:" + "b" * 64


def pipeline_image(service: str) -> str:
    """What the pipeline's deploy step sets: the delivery repository's image, by digest."""
    return f"{REGISTRY}/muon/{service}@{DIGEST}"


def delivered_images(definition: str) -> dict[str, str]:
    """``muon:images`` as after the pipeline's first run: every service that names no image and
    builds none of its own runs the pipeline's build."""
    document = yaml.safe_load(textwrap.dedent(definition))
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict):
        return {}  # not a definition muon takes: the plan says why
    return {
        name: pipeline_image(name)
        for name, spec in services.items()
        if not (isinstance(spec, dict) and ({"image", "build"} & set(spec)))
    }


Renderer = Callable[..., Rendering]


class _SearchPaths(list):
    def append(self, path: str) -> None:  # boto3 adds its own data folder to every session's loader
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader(search_path_string: str | None) -> botocore.loaders.Loader:
    loader = _create_loader(search_path_string)
    loader._search_paths = _SearchPaths(loader.search_paths)
    return loader


# botocore reads and parses its data files (service models, endpoints: about 0.1 s of CPU for each
# new client) once per session, and the commands under test open a session per client, in every
# test again. One loader per search path for this process: what a single session does anyway.
_create_loader = botocore.session.create_loader
botocore.session.create_loader = _shared_loader


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-stateful-urns",
        action="store_true",
        help="rewrite tests/data/stateful_urns.json from the current renders (tests/test_stateful_urns.py)",
    )


_modules_frozen = 0
# Full collections ten times rarer than Python's default: the renders' cycles die young, so the
# full ones, over half the collector's time, found little (measured: the same peak memory).
gc.set_threshold(700, 10, 100)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test that loaded modules, move what this process holds out of the garbage collector's
    reach (``gc.freeze``), as muon's program does at its start (``stacks/compose.py``): pulumi_aws
    loads its classes as a render first uses them, after that freeze, and every full collection
    would traverse them all again (the collector took a third of a render-heavy module's time, a
    sixth with this). Only when modules came in, so the little frozen with them that dies later
    stays a bounded cost."""
    global _modules_frozen
    yield
    if len(sys.modules) > _modules_frozen:
        _modules_frozen = len(sys.modules)
        gc.collect()
        gc.freeze()


def render_definition_text(
    directory: Path,
    definition: str,
    environments: list[str],
    *,
    stack: str = "test",
    extra_config: dict[str, object] | None = None,
    mocks: MuonMocks | None = None,
    delivered: bool = True,
    project: str = "muon",
) -> Rendering:
    """Render ``definition`` (YAML text, written into ``directory``) as stack ``stack``.

    ``delivered``: as after the pipeline's first run (every service has an image); False renders
    the bootstrap, before any image exists.
    """
    path = directory / "muon.yaml"
    path.write_text(textwrap.dedent(definition), encoding="utf-8")
    if (extra_config or {}).get("muon:pipeline"):
        repository_files(directory, textwrap.dedent(definition))
    site_folders(directory, textwrap.dedent(definition))
    config = {
        "aws:region": "us-east-1",
        "muon:definition": str(path),
        "muon:environments": json.dumps(environments),
    }
    images = delivered_images(definition) if delivered and environments else {}
    if images:
        config["muon:images"] = json.dumps(images)
    for key, value in (extra_config or {}).items():
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return render(lambda: program.run(), config=config, stack=stack, mocks=mocks, project=project)


def render_shared(definition: str, environments: list[str], **options: Any) -> Rendering:
    """``render_definition_text`` of a definition that needs no file beside it (no build context,
    no stack file of its own) and no mocks of its own, for tests of several modules or cases that
    read the same render: a render is deterministic, so each test process renders it once for the
    same arguments; every call gets its own copy. Not for a test whose point is rendering again."""
    key = json.dumps([textwrap.dedent(definition), environments, options], sort_keys=True)
    return pickle.loads(_rendered_shared(key))


@functools.cache
def _rendered_shared(key: str) -> bytes:
    definition, environments, options = json.loads(key)
    with tempfile.TemporaryDirectory(prefix="muon-render-") as directory:
        rendering = render_definition_text(Path(directory), definition, environments, **options)
    return pickle.dumps(rendering, protocol=pickle.HIGHEST_PROTOCOL)


def repository_files(directory: Path, definition: str) -> None:
    """The files a pipeline reads from its repository (buildspecs, its Docker builds), as a team's
    repository has them: a pipeline naming a file the repository lacks is refused before anything
    is declared (stacks/resolve/paths.py; tests/test_checks.py shows it)."""
    pipeline = (yaml.safe_load(definition) or {}).get("pipeline")
    if not isinstance(pipeline, dict):
        return
    build = pipeline.get("build") if isinstance(pipeline.get("build"), dict) else {}
    files = [build.get("buildspec", "buildspec.yml")] if build.get("artifact", True) else []
    for stage in pipeline.get("stages") or []:
        files += [stage[key] for key in ("test", "preDeploy") if isinstance(stage, dict) and stage.get(key)]
    folders = []
    for image in (pipeline.get("images") or {}).values():
        if isinstance(image, dict):
            files.append(image.get("dockerfile", "Dockerfile"))
            folders.append(image.get("context", "."))
    for name in files:
        target = directory / str(name)
        if isinstance(name, str) and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("version: 0.2\n", encoding="utf-8")
    for name in folders:
        (directory / str(name)).mkdir(parents=True, exist_ok=True)


def site_folders(directory: Path, definition: str) -> None:
    """Each site's folder (and, for a site without a build, its output), as a project with sites
    has them: a site naming a folder the project lacks is refused before anything is declared
    (stacks/resolve/paths.py; tests/test_checks.py shows it)."""
    document = yaml.safe_load(definition)
    sites = document.get("sites") if isinstance(document, dict) else None
    for site in sites.values() if isinstance(sites, dict) else []:
        if not isinstance(site, dict):
            continue
        source = str(site.get("source", "site/"))
        folder = (
            directory / source if site.get("build") else directory / source / str(site.get("output", "dist/"))
        )
        if not source.startswith("/") and ".." not in str(folder.relative_to(directory)):
            with contextlib.suppress(OSError):  # a file there: the test is about that
                folder.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def render_definition(tmp_path: Path) -> Renderer:
    """Render ``definition`` (YAML text) as stack ``stack`` deploying ``environments``."""

    def _render(definition: str, environments: list[str], **options: object) -> Rendering:
        return render_definition_text(tmp_path, definition, environments, **options)  # type: ignore[arg-type]

    return _render


def run_in_project(*command: str) -> subprocess.CompletedProcess[str]:
    """Run ``muon …`` (the installed command) or ``-m module …`` (this interpreter) in this repository."""
    program_path = str(Path(sys.executable).parent / "muon") if command[0] == "muon" else sys.executable
    return subprocess.run(
        [program_path, *command[1:]] if command[0] == "muon" else [program_path, *command],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def run_muon(
    directory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """``muon …`` in ``directory`` through the command's entry point (what the installed command
    calls), in this process: its exit status, what it printed, what it said on stderr."""
    from muon.cli.main import entry

    monkeypatch.chdir(directory)
    with pytest.raises(SystemExit) as exited:
        entry(list(args))
    printed = capsys.readouterr()
    return exited.value.code, printed.out, printed.err  # type: ignore[return-value]


@functools.cache
def muon_plan_dev() -> subprocess.CompletedProcess[str]:
    """``muon plan dev --quiet --cost --timeline``: the installed command in a process of its own,
    as a person runs it; one process serves every test of how the command passes its options on."""
    return run_in_project("muon", "plan", "dev", "--quiet", "--cost", "--timeline")


def render_repository_stack(stack: str, *, delivered: bool = True) -> Rendering:
    """Render one of this repository's own stacks (Pulumi.<stack>.yaml with muon.yaml).

    ``delivered``: with ``muon:images`` as the pipeline sets them; False: the stack file as it is.
    A render is deterministic, so each test process renders a stack once; every call gets its own
    copy, so a test that changes what it got changes nothing for the next one.
    """
    return pickle.loads(_rendered_repository_stack(stack, delivered))


@functools.cache
def _rendered_repository_stack(stack: str, delivered: bool) -> bytes:
    config = read_stack_file(PROJECT_DIR, stack)
    if delivered and config.get("muon:environments"):
        definition = (PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8")
        config["muon:images"] = json.dumps(delivered_images(definition))
    rendering = render(lambda: program.run(), config=config, stack=stack)
    return pickle.dumps(rendering, protocol=pickle.HIGHEST_PROTOCOL)


@pytest.fixture(scope="module")
def dev() -> Rendering:
    return render_repository_stack("dev")


@pytest.fixture(scope="module")
def prod() -> Rendering:
    return render_repository_stack("prod")


@pytest.fixture(scope="module")
def delivery() -> Rendering:
    """The delivery stack: pipeline, repositories, notifications."""
    return render_repository_stack("pipeline")


class JsonEndpoint(BaseHTTPRequestHandler):
    """A local endpoint speaking AWS's JSON protocol, for answers moto does not give."""

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real AWS API endpoint (moto in server mode) on 127.0.0.1, for the boto3 code."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point boto3 at the moto server with throwaway credentials; reset its state afterwards."""
    for key, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # moto answers APIs it lacks with HTTP 500, which botocore would retry with backoff.
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield moto_endpoint
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere botocore looks (as in CI and offline): no variables, no files, no
    instance metadata."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(key, str(tmp_path / "no-such-aws-file"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)


def definition_error(text: str) -> str:
    """The one-line message ``parse_definition`` refuses ``text`` (a muon.yaml) with."""
    from muon.stacks.definition.loader import parse_definition
    from muon.stacks.errors import DefinitionError

    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "muon.yaml")
    message = str(caught.value)
    assert "\n" not in message.strip() and "Traceback" not in message
    return message
