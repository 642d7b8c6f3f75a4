"""`flask --app app token client-credentials`: a machine-to-machine token from the command line."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from oauth import doctor
from oauth.errors import ProviderRefused
from oauth.http import ProviderError
from views.machine import refusal_message

token_cli = AppGroup("token", help="Get tokens without a browser.")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the configuration against the provider; exit 1 if anything fails."""
    client = current_app.extensions["oauth_client"]
    findings = doctor.run(client.settings, client.http)
    for f in findings:
        click.echo(f"{f.status.upper():5} {f.name}: {f.message}")
        if f.fix:
            click.echo(f"      fix: {f.fix}")
    if any(f.status == "fail" for f in findings):
        raise SystemExit(1)


@token_cli.command("client-credentials")
@click.option("--scope", default="", help="Space-separated custom scopes (resource-server/scope).")
@click.option("--client-id", envvar="M2M_CLIENT_ID", default="", help="Machine client id [M2M_CLIENT_ID].")
@click.option("--client-secret", envvar="M2M_CLIENT_SECRET", default="", help="Its secret [M2M_CLIENT_SECRET].")
@click.option("--json", "as_json", is_flag=True, help="Print the whole token response as JSON.")
def client_credentials(scope: str, client_id: str, client_secret: str, as_json: bool) -> None:
    """Print an access token from grant_type=client_credentials (no user involved)."""
    client = current_app.extensions["oauth_client"]
    if not (client_id or client.settings.m2m_client_id):
        raise click.ClickException("No machine client: set M2M_CLIENT_ID and M2M_CLIENT_SECRET (or --client-id).")
    try:
        tokens = client.client_credentials(scope, client_id, client_secret)
    except ProviderRefused as exc:
        raise click.ClickException(refusal_message(exc)) from None
    except ProviderError as exc:
        raise click.ClickException(f"The provider failed: {exc.step} {exc.message}") from None
    click.echo(json.dumps(tokens, indent=2) if as_json else tokens["access_token"])
