"""`muon site publish`: a built site to its bucket and CloudFront, as the pipeline publishes it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from muon.cli.app import PLAIN_HELP, EnvOption, State, app, console, run
from muon.cli.errors import NotFoundError, UsageError

site_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP, help="Static sites: publish a build.", no_args_is_help=True
)
app.add_typer(site_app, name="site")


def site_outputs(state: State, name: str, environment: str | None) -> tuple[str, dict[str, Any]]:
    by_env = {
        env: sites[name] for env, sites in (state.outputs.values.get("sites") or {}).items() if name in sites
    }
    if not by_env:
        raise NotFoundError(f"no site '{name}' in stack '{state.stack}'")
    if environment is None:
        if len(by_env) > 1:
            raise UsageError(
                f"site '{name}' is in several environments ({', '.join(sorted(by_env))}): give --env"
            )
        environment = next(iter(by_env))
    if environment not in by_env:
        raise NotFoundError(
            f"no site '{name}' in environment '{environment}'; it is in: {', '.join(sorted(by_env))}"
        )
    return environment, by_env[environment]


@site_app.command("publish")
def site_publish(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The site (sites.<name> of muon.yaml).")],
    env: EnvOption = None,
    folder: Annotated[Path, typer.Option("--dir", help="The built site (its output folder).")] = Path("dist"),
) -> None:
    """Upload what changed (cache headers by kind), delete stale files, invalidate changed paths."""
    from muon.deploy.site_publish import publish

    def action(state: State) -> dict[str, Any]:
        environment, outputs = site_outputs(state, name, env)
        try:
            done = publish(
                state.clients, folder, bucket=outputs["bucket"], distribution_id=outputs.get("distributionId")
            )
        except FileNotFoundError as error:
            raise UsageError(str(error)) from None
        return {"site": name, "environment": environment, "url": outputs.get("url"), **done.as_dict()}

    run(
        ctx,
        action,
        lambda data: console.print(
            f"{data['site']} ({data['environment']}): {len(data['uploaded'])} uploaded, "
            f"{len(data['deleted'])} deleted, {data['unchanged']} unchanged; "
            + (
                f"invalidated {', '.join(data['invalidated'])}"
                if data["invalidated"]
                else "nothing to invalidate"
            )
            + f" — {data['url']}",
            markup=False,
        ),
    )
