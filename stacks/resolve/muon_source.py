"""``pipeline.muonSource``: where the pipeline's Pulumi steps install muon from, checked against
the project's requirements file before anything is deployed.

muon's distribution is ``muon-platform``, which is on no public index: a requirement naming it
resolves only where the team publishes it. PyPI's ``muon`` is another project. So the pipeline
refuses what would install someone else's code: ``muon`` by name; ``muon-platform`` by name with
PyPI as the index (anyone may publish that name there); ``--extra-index-url`` beside it (pip takes
the highest version any index offers: pip install's ``--extra-index-url`` warning,
CVE-2018-20225); a path on the machine that planned.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from muon.components.buildspecs import PackageSource
from muon.stacks.definition.pipeline import MuonSourceSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.requirements import DISTRIBUTION, OTHER_PROJECT, Requirement, read_requirements


def _host(reference: str) -> str | None:
    url = reference.split("+", 1)[1] if re.match(r"^[a-z]+\+", reference) else reference
    return urlsplit(url).hostname


def check_muon_requirement(
    requirements: list[Requirement], options: list[str], spec: MuonSourceSpec, where: str
) -> tuple[list[str], Requirement | None]:
    """The problems (one line each) and the requirement that brings muon, if one does."""
    problems = [
        f"{r.where}: '{OTHER_PROJECT}' by name is PyPI's project of that name, not this muon: "
        f"require {DISTRIBUTION} (a direct reference, or from pipeline.muonSource.indexUrl)"
        for r in requirements
        if r.name == OTHER_PROJECT and r.direct is None
    ]
    muon = next((r for r in requirements if r.name == DISTRIBUTION), None)
    file_index = any(o.endswith(("-i", "--index-url")) for o in options)
    if muon is None:
        if not any(r.name is None for r in requirements):  # a line muon cannot name may be it
            problems.append(
                f"{where}.requirements: {spec.requirements} requires no {DISTRIBUTION}: the pipeline's "
                f"deploy steps run muon from this file's packages (add the line `muon init` writes)"
            )
    elif muon.direct is None:
        if spec.index_url is None and not file_index:
            problems.append(
                f"{muon.where}: {DISTRIBUTION} by name, but pipeline.muonSource.indexUrl is not set: "
                "the pipeline would ask PyPI, where anyone may publish that name; set indexUrl (your "
                f"index) or require it by URL ({DISTRIBUTION} @ https://...)"
            )
        problems += [
            f"{option}: beside {DISTRIBUTION} by name, pip would take the highest version of any "
            "index: set pipeline.muonSource.indexUrl (one index serving everything) instead"
            for option in options
            if option.endswith("--extra-index-url")
        ]
    elif muon.direct.startswith(("file:", "/")):
        problems.append(
            f"{muon.where}: {DISTRIBUTION} @ {muon.direct} is a path on this machine: the pipeline's "
            "build cannot reach it; require it by URL, or a wheel committed in the repository (./...)"
        )
    return problems, muon


def package_source(spec: MuonSourceSpec, project_dir: Path, source: str) -> PackageSource:
    """The checked ``pipeline.muonSource`` of the project in ``project_dir``."""
    where = f"{source}: pipeline.muonSource"
    path = project_dir / spec.requirements
    if not path.is_file():
        raise DefinitionError(
            [f"{where}.requirements: no {spec.requirements} in the project (the deploy steps install it)"]
        )
    requirements, options = read_requirements(path, spec.requirements)
    problems, muon = check_muon_requirement(requirements, options, spec, where)
    host = None
    if spec.credentials_parameter is not None:
        if spec.index_url is not None:
            host = urlsplit(spec.index_url).hostname
        elif muon is not None and muon.direct is not None:
            host = _host(muon.direct)
        if host is None:
            problems.append(
                f"{where}.credentialsParameter: for which host? set indexUrl, or require "
                f"{DISTRIBUTION} by an https:// URL"
            )
    if problems:
        raise DefinitionError(problems)
    return PackageSource(
        requirements=spec.requirements,
        index_url=spec.index_url,
        credentials_parameter=spec.credentials_parameter,
        credentials_host=host,
    )
