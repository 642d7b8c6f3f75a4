"""`flask --app app token client-credentials`: a machine-to-machine token from the command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource
from dotenv import dotenv_values
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from aws_setup import ledger
from aws_setup.api import CognitoApi, SetupError
from aws_setup.cognito import ISSUER_TYPES, CognitoSetup
from aws_setup.envfile import update_env_file
from aws_setup.inspect import inspect as inspect_pool
from aws_setup.teardown import teardown
from config import Settings, emulator_endpoint, endpoint_override
from lab import doctor
from lab import inspector as inspect
from lab.causes import refusal_message
from lab.offline import inspect_with_keyset
from oauth.errors import ProviderRefused
from oauth.http import Http, ProviderError
from oauth.keyset import MAX_KEYSET, KeySetError, fetch_keyset

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
@click.option("--jwks", "jwks", metavar="FILE_OR_URL", help="Verify offline against this saved key set (JWKS).")
@click.option("--at", "at", metavar="TIME", help="Check the times at this moment: ISO 8601 or epoch seconds.")
@click.option("--issuer", metavar="ISS", help="The issuer to trust (offline; without it iss is not checked).")
@click.option("--client-id", metavar="ID", help="The app client to expect (offline; else aud/client_id unchecked).")
@with_appcontext
def inspect_command(token: str, jwks: str | None, at: str | None, issuer: str | None, client_id: str | None) -> None:
    """Decode and verify TOKEN (`-` or nothing: read standard input, which keeps it out of your shell history):
    against the configured provider, or with --jwks offline against a saved key set. Exit 0 when every check
    made passes, 1 when one fails, 2 for no token or unusable options (one line, on standard error)."""
    raw = sys.stdin.read(inspect.MAX_PASTE + 1024) if token == "-" else token
    try:
        if jwks is None:
            if at or issuer or client_id:
                raise inspect.InspectError(
                    400, "--at, --issuer and --client-id go with --jwks (offline inspection against a saved key set)."
                )
            client = current_app.extensions["oauth_client"]
            result = inspect.inspect_token(raw, client.config, client.presets)
        else:
            keyset, source = _keyset(jwks)
            result = inspect_with_keyset(raw, keyset, source=source, at=at, issuer=issuer, client_id=client_id)
    except (inspect.InspectError, KeySetError) as exc:
        click.echo(f"Error: {exc.message}", err=True)
        raise SystemExit(2) from None
    except ProviderError as exc:
        raise click.ClickException(f"The provider failed: {exc.step} {exc.message}") from None
    click.echo(inspect.as_text(result))
    if result.verdict == "invalid":
        raise SystemExit(1)


def _keyset(where: str) -> tuple[str | dict, str]:
    """The key set from a URL (fetched and parsed) or a file (its text, at most one byte past the limit), and
    how to name it."""
    if where.startswith(("https://", "http://")):
        return fetch_keyset(where, Http(timeout=10)), f"the key set at {where}"
    try:
        with Path(where).open(encoding="utf-8") as file:
            return file.read(MAX_KEYSET + 1), f"the key set file {where}"  # a longer file is refused by its size
    except (OSError, UnicodeDecodeError) as exc:
        raise KeySetError(f"the key set file {where} cannot be read ({exc.__class__.__name__})") from None


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
    _, endpoint = endpoint_override(dict(os.environ))  # also the _COGNITO_IDP spelling boto3 ignores
    session = boto3.session.Session()  # a fresh credential chain
    return session.client("cognito-idp", region_name=region, endpoint_url=endpoint or None)


def _state_path() -> Path:
    return Path(current_app.extensions["settings"].instance_path) / "cognito-setup.json"


def _endpoint_note() -> str:
    """boto3's endpoint override (AWS_ENDPOINT_URL_COGNITO_IDP or AWS_ENDPOINT_URL), said once per command."""
    name, url = endpoint_override(dict(os.environ))
    if not name:
        return ""
    kind = "an emulator on loopback" if emulator_endpoint(dict(os.environ)) else "not loopback: treated as AWS"
    return f"Cognito endpoint: {url} (from {name}; {kind})"


def _env_keys() -> set[str]:
    return set(dotenv_values(ENV_FILE)) if ENV_FILE.exists() else set()


def _allowed_ids(added: str) -> str:
    """API_ALLOWED_CLIENT_IDS with `added`, keeping the ids .env already lists."""
    current = (dotenv_values(ENV_FILE).get("API_ALLOWED_CLIENT_IDS") or "") if ENV_FILE.exists() else ""
    ids = current.replace(",", " ").split()
    return " ".join(ids if added in ids else [*ids, added])


@cognito_cli.command("setup")
@click.option("--region", required=True, help="AWS region, e.g. eu-west-1.")
@click.option(
    "--domain-prefix", required=True, help="Managed login domain prefix (<prefix>.auth.<region>.amazoncognito.com)."
)
@click.option("--test-user", default="", help="Also create this user, with a generated temporary password.")
@click.option(
    "--permanent-password",
    is_flag=True,
    help="Make the test user's password permanent (no new-password page at the first sign-in).",
)
@click.option(
    "--issuer-type",
    type=click.Choice(ISSUER_TYPES, case_sensitive=False),
    default="UPDATED",
    show_default=True,
    help="A new pool's issuer form (IssuerConfiguration); a reused pool keeps its own.",
)
@click.option(
    "--refresh-token-rotation",
    "rotation",
    type=click.IntRange(0, 60),
    is_flag=False,
    flag_value=0,
    default=None,
    metavar="[GRACE_SECONDS]",
    help="Turn on refresh-token rotation for the web client; the old token works GRACE_SECONDS more (0-60, "
    "default 0). Also writes REFRESH_TOKEN_GRACE_SECONDS.",
)
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
def cognito_setup(
    region: str,
    domain_prefix: str,
    test_user: str,
    permanent_password: bool,
    issuer_type: str,
    rotation: int | None,
    dry_run: bool,
) -> None:
    """Create or reuse a user pool, domain, app clients and resource server; write .env."""
    settings: Settings = current_app.extensions["settings"]
    state = _state_path()
    note = _endpoint_note()
    if note:
        click.echo(note)
    setup = CognitoSetup(
        _idp(region),
        region,
        say=click.echo,
        record=lambda item: ledger.save_state(state, region, [item]),
        owned=lambda kind, resource_id: ledger.owns(state, kind, resource_id),
    )
    try:
        outcome = setup.setup(
            app_url=settings.client.app_url,
            domain_prefix=domain_prefix,
            test_user=test_user,
            dry_run=dry_run,
            permanent_password=permanent_password,
            issuer_type=issuer_type.upper(),
            endpoint=emulator_endpoint(dict(os.environ)),
            refresh_token_rotation=rotation,
        )
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo("Plan (dry run, nothing changed):")
        for action in outcome.actions:
            click.echo(f"  - {action}")
        return
    env = outcome.env
    env["API_ALLOWED_CLIENT_IDS"] = _allowed_ids(env["API_ALLOWED_CLIENT_IDS"])
    if not env["REFRESH_TOKEN_GRACE_SECONDS"] and "REFRESH_TOKEN_GRACE_SECONDS" not in _env_keys():
        del env["REFRESH_TOKEN_GRACE_SECONDS"]  # no rotation, and no old value to clear: no line for it
    written = update_env_file(ENV_FILE, env)
    if not outcome.changed and not written:
        click.echo("Nothing to change: the user pool, domain, app clients and resource server already match.")
    else:
        for action in outcome.actions:
            click.echo(f"  - {action}")
    _summary(outcome, region, written, test_user, settings.client.app_url)


def _summary(outcome, region: str, written: list[str], test_user: str, app_url: str) -> None:
    env = outcome.env
    domain = env["COGNITO_DOMAIN"]
    click.echo(
        f"User pool {env['COGNITO_USER_POOL_ID']} in {region} (feature plan Essentials or above; issuer "
        f"{outcome.issuer_type}); sign-in pages: {outcome.login_pages} at "
        f"{domain if '://' in domain else 'https://' + domain}"
    )
    click.echo(
        f"Web app client {env['OAUTH_CLIENT_ID']}; machine client {env['M2M_CLIENT_ID']} (scopes flowlab-api/*, "
        "accepted by /api/me: API_ALLOWED_CLIENT_IDS)"
    )
    if outcome.rotation_grace is None:
        click.echo(
            "Refresh-token rotation: off for the web client (--refresh-token-rotation [GRACE_SECONDS] turns it on)."
        )
    else:
        grace = outcome.rotation_grace
        click.echo(
            f"Refresh-token rotation: on for the web client; a rotated-out refresh token works {grace} s more "
            f"(REFRESH_TOKEN_GRACE_SECONDS={grace})."
        )
    click.echo(f".env: {'updated ' + ', '.join(written) if written else 'already up to date'} (secrets not shown)")
    for warning in outcome.warnings:
        click.echo(f"Warning: {warning}")
    if outcome.temporary_password and outcome.permanent_password:
        click.echo(f"Test user {test_user}: password {outcome.temporary_password} (permanent: sign in with it as is)")
    elif outcome.temporary_password:
        click.echo(
            f"Test user {test_user}: temporary password {outcome.temporary_password}. The user is in "
            "FORCE_CHANGE_PASSWORD: at the first sign-in, Cognito's page asks for a new password, then signs in. "
            "(Run setup with --permanent-password for a password that needs no change.)"
        )
    click.echo(
        "/machine stays off with a real pool until MACHINE_PAGE=on (see docs/screens.md, Machine to machine, "
        "for the risk)."
    )
    click.echo(
        "Token customization (optional; docs/local-provider.md's 'Token customization' has the Lambda handler): "
        "once the function may be invoked by Cognito, attach it with\n"
        "  aws cognito-idp update-user-pool --user-pool-id "
        f"{env['COGNITO_USER_POOL_ID']} --lambda-config 'PreTokenGenerationConfig={{LambdaVersion=V3_0,"
        "LambdaArn=<function-arn>}'\n  UpdateUserPool resets every setting it is not given: add the pool's "
        "current ones (aws cognito-idp describe-user-pool), or attach it in the console (Extensions → Lambda triggers)."
    )
    click.echo("Next: make run, then sign in at " + app_url)


@cognito_cli.command("inspect")
@click.option("--pool-id", default="", help="Defaults to COGNITO_USER_POOL_ID.")
@click.option("--client-id", default="", help="Defaults to OAUTH_CLIENT_ID.")
def cognito_inspect(pool_id: str, client_id: str) -> None:
    """Report every setting of the configured pool and app client that would break this app."""
    settings: Settings = current_app.extensions["settings"]
    pool_id = pool_id or os.environ.get("COGNITO_USER_POOL_ID", "")
    client_id = client_id or settings.client.client_id
    if not pool_id or not client_id:
        raise click.ClickException("Set COGNITO_USER_POOL_ID and OAUTH_CLIENT_ID (or pass --pool-id and --client-id).")
    region = os.environ.get("COGNITO_REGION") or pool_id.split("_", 1)[0]
    note = _endpoint_note()
    if note:
        click.echo(note)
    findings = inspect_pool(
        CognitoApi(_idp(region), region), pool_id=pool_id, client_id=client_id, app_url=settings.client.app_url
    )
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
    state = ledger.load_state(_state_path())
    if not state["created"]:
        click.echo("Nothing to delete: setup has created nothing from this checkout.")
        return
    click.echo("This deletes:")
    for item in state["created"]:
        click.echo(f"  - {item['type'].replace('_', ' ')} {item['id']}")
    if not yes and not click.confirm("Delete them?", default=False):
        raise click.ClickException("Cancelled; nothing was deleted.")
    note = _endpoint_note()
    if note:
        click.echo(note)
    try:
        done = teardown(CognitoApi(_idp(state["region"]), state["region"], say=click.echo), state["created"])
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None
    for line in done:
        click.echo(f"  - {line}")
    _state_path().unlink()
    click.echo(
        "Done. Remove the COGNITO_*, OAUTH_CLIENT_*, M2M_*, API_ALLOWED_CLIENT_IDS and AWS_ENDPOINT_URL_* lines from "
        ".env to go back to the local provider."
    )
