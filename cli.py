"""`flask --app app token client-credentials`: a machine-to-machine token from the command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from aws_setup.cognito import CognitoSetup, SetupError, load_state, save_state
from aws_setup.envfile import update_env_file
from lab import inspector as inspect
from lab.causes import refusal_message
from oauth import doctor
from oauth.errors import ProviderRefused
from oauth.http import ProviderError

token_cli = AppGroup("token", help="Get tokens without a browser.")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the configuration against the provider; exit 1 if anything fails."""
    client = current_app.extensions["oauth_client"]
    findings = doctor.run(client.config, client.http)
    for f in findings:
        click.echo(f"{f.status.upper():5} {f.name}: {f.message}")
        if f.fix:
            click.echo(f"      fix: {f.fix}")
    if any(f.status == "fail" for f in findings):
        raise SystemExit(1)


@click.command("inspect")
@click.argument("token", default="-")
@with_appcontext
def inspect_command(token: str) -> None:
    """Decode and verify TOKEN against the configured provider (`-` or nothing: read standard input,
    which keeps the token out of your shell history). Exit 1 when a check fails, 2 for no token."""
    client = current_app.extensions["oauth_client"]
    raw = sys.stdin.read(inspect.MAX_PASTE + 1024) if token == "-" else token
    try:
        result = inspect.inspect_token(raw, client.config, client.presets)
    except inspect.InspectError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        raise SystemExit(2) from None
    except ProviderError as exc:
        raise click.ClickException(f"The provider failed: {exc.step} {exc.message}") from None
    click.echo(inspect.as_text(result))
    if result.verdict == "invalid":
        raise SystemExit(1)


@token_cli.command("client-credentials")
@click.option("--scope", default="", help="Space-separated custom scopes (resource-server/scope).")
@click.option("--client-id", envvar="M2M_CLIENT_ID", default="", help="Machine client id [M2M_CLIENT_ID].")
@click.option("--client-secret", envvar="M2M_CLIENT_SECRET", default="", help="Its secret [M2M_CLIENT_SECRET].")
@click.option("--json", "as_json", is_flag=True, help="Print the whole token response as JSON.")
def client_credentials(scope: str, client_id: str, client_secret: str, as_json: bool) -> None:
    """Print an access token from grant_type=client_credentials (no user involved)."""
    client = current_app.extensions["oauth_client"]
    if not (client_id or client.config.m2m_client_id):
        raise click.ClickException("No machine client: set M2M_CLIENT_ID and M2M_CLIENT_SECRET (or --client-id).")
    try:
        tokens = client.client_credentials(scope, client_id, client_secret)
    except ProviderRefused as exc:
        ctx = click.get_current_context()
        given = any(ctx.get_parameter_source(p) == ParameterSource.COMMANDLINE for p in ("client_id", "client_secret"))
        raise click.ClickException(refusal_message(exc, given_credentials=given)) from None
    except ProviderError as exc:
        raise click.ClickException(f"The provider failed: {exc.step} {exc.message}") from None
    click.echo(json.dumps(tokens, indent=2) if as_json else tokens["access_token"])


cognito_cli = AppGroup("cognito", help="Create, check and remove the Amazon Cognito setup this app needs (boto3).")
ENV_FILE = Path(__file__).with_name(".env")


def _idp(region: str):
    try:
        import boto3
    except ImportError:
        raise click.ClickException(
            "boto3 is not installed. Install the optional AWS tools: .venv/bin/pip install -r requirements-aws.txt"
        ) from None
    return boto3.session.Session().client("cognito-idp", region_name=region)  # a fresh credential chain


def _state_path() -> Path:
    return Path(current_app.extensions["settings"].instance_path) / "cognito-setup.json"


@cognito_cli.command("setup")
@click.option("--region", required=True, help="AWS region, e.g. eu-west-1.")
@click.option(
    "--domain-prefix", required=True, help="Hosted UI domain prefix (<prefix>.auth.<region>.amazoncognito.com)."
)
@click.option("--test-user", default="", help="Also create this user, with a generated temporary password.")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
def cognito_setup(region: str, domain_prefix: str, test_user: str, dry_run: bool) -> None:
    """Create or reuse a user pool, domain, app clients and resource server; write .env."""
    settings = current_app.extensions["settings"]
    setup = CognitoSetup(_idp(region), region, say=click.echo)
    try:
        outcome = setup.setup(
            app_url=settings.app_url, domain_prefix=domain_prefix, test_user=test_user, dry_run=dry_run
        )
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo("Plan (dry run, nothing changed):")
        for action in outcome.actions:
            click.echo(f"  - {action}")
        return
    save_state(_state_path(), region, outcome.created)
    written = update_env_file(ENV_FILE, outcome.env)
    if not outcome.changed and not written:
        click.echo("Nothing to change: the user pool, domain, app clients and resource server already match.")
    else:
        for action in outcome.actions:
            click.echo(f"  - {action}")
    env = outcome.env
    click.echo(
        f"User pool {env['COGNITO_USER_POOL_ID']} in {region} (feature plan Essentials or above); "
        f"sign-in pages: {outcome.login_pages} at https://{env['COGNITO_DOMAIN']}, with a managed login "
        "branding style on the web client"
    )
    click.echo(f"Web app client {env['OAUTH_CLIENT_ID']}; machine client {env['M2M_CLIENT_ID']} (scopes flowlab-api/*)")
    click.echo(f".env: {'updated ' + ', '.join(written) if written else 'already up to date'} (secrets not shown)")
    if outcome.temporary_password:
        click.echo(
            f"Test user {test_user}: temporary password {outcome.temporary_password} (change it at first sign-in)"
        )
    click.echo("Next: make run, then sign in at " + settings.app_url)


@cognito_cli.command("inspect")
@click.option("--pool-id", default="", help="Defaults to COGNITO_USER_POOL_ID.")
@click.option("--client-id", default="", help="Defaults to OAUTH_CLIENT_ID.")
def cognito_inspect(pool_id: str, client_id: str) -> None:
    """Report every setting of the configured pool and app client that would break this app."""
    settings = current_app.extensions["settings"]
    pool_id = pool_id or os.environ.get("COGNITO_USER_POOL_ID", "")
    client_id = client_id or settings.client_id
    if not pool_id or not client_id:
        raise click.ClickException("Set COGNITO_USER_POOL_ID and OAUTH_CLIENT_ID (or pass --pool-id and --client-id).")
    region = os.environ.get("COGNITO_REGION") or pool_id.split("_", 1)[0]
    try:
        findings = CognitoSetup(_idp(region), region).inspect(
            pool_id=pool_id, client_id=client_id, app_url=settings.app_url
        )
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    for status, finding, fix in findings:
        click.echo(f"{status.upper():5} {finding}")
        if fix:
            click.echo(f"      fix: {fix}")
    if any(status == "fail" for status, _, _ in findings):
        raise SystemExit(1)


@cognito_cli.command("teardown")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def cognito_teardown(yes: bool) -> None:
    """Delete only what `setup` created (recorded in instance/cognito-setup.json)."""
    state = load_state(_state_path())
    if not state["created"]:
        click.echo("Nothing to delete: setup has created nothing from this checkout.")
        return
    click.echo("This deletes:")
    for item in state["created"]:
        click.echo(f"  - {item['type'].replace('_', ' ')} {item['id']}")
    if not yes and not click.confirm("Delete them?", default=False):
        raise click.ClickException("Cancelled; nothing was deleted.")
    try:
        done = CognitoSetup(_idp(state["region"]), state["region"]).teardown(state["created"])
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    for line in done:
        click.echo(f"  - {line}")
    _state_path().unlink()
    click.echo(
        "Done. Remove the COGNITO_* , OAUTH_CLIENT_* and M2M_* lines from .env to go back to the local provider."
    )
