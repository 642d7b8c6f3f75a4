"""`flask --app app cognito setup|inspect|teardown` against moto's Cognito IDP in server mode.

moto serves the JSON API (CreateUserPool, ...) but no hosted-UI OAuth endpoints, so sign-in
itself is tested against the local provider elsewhere.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import boto3
import pytest
from aws_fidelity import AwsLikeMoto, SplitClient, strict_params
from botocore.stub import ANY, Stubber
from conftest import free_port
from dotenv import dotenv_values
from moto.server import ThreadedMotoServer

import cli as cli_module
from app import create_app
from aws_setup import cognito
from config import load_settings

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url, monkeypatch, tmp_path) -> boto3.client:
    """Credentials and endpoint for moto; a fresh moto state for each test."""
    for key, value in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(key, value)
    import requests

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    return boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def moto_like_aws(monkeypatch) -> AwsLikeMoto:
    """moto, patched where it differs from the documented AWS behaviour (see aws_fidelity)."""
    return AwsLikeMoto(monkeypatch)


BRANDING_ID = "a1b2c3d4-5678-4abc-8def-0123456789ab"


class Idp:
    """What the CLI's boto3 client did: the operations called (each validated against botocore's
    model) and, for the operations moto lacks, a Stubber holding the expected calls."""

    def __init__(self):
        self.calls: list[str] = []
        self.stubbed = boto3.client(
            "cognito-idp", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        strict_params(self.stubbed, self.calls)
        self.stub = Stubber(self.stubbed)
        self.stub.activate()

    def expect_branding_created(self, client_id=ANY, branding_id: str = BRANDING_ID) -> None:
        self.stub.add_response(
            "create_managed_login_branding",
            {"ManagedLoginBranding": {"ManagedLoginBrandingId": branding_id, "UseCognitoProvidedValues": True}},
            {"UserPoolId": ANY, "ClientId": client_id, "UseCognitoProvidedValues": True},
        )

    def expect_branding_found(self, client_id=ANY) -> None:
        self.stub.add_response(
            "describe_managed_login_branding_by_client",
            {"ManagedLoginBranding": {"ManagedLoginBrandingId": BRANDING_ID, "UseCognitoProvidedValues": True}},
            {"UserPoolId": ANY, "ClientId": client_id},
        )

    def expect_branding_missing(self, client_id=ANY) -> None:
        self.stub.add_client_error(
            "describe_managed_login_branding_by_client",
            service_error_code="ResourceNotFoundException",
            service_message="Managed login branding for the app client not found.",
            http_status_code=404,
            expected_params={"UserPoolId": ANY, "ClientId": client_id},
        )

    def expect_branding_deleted(self, pool_id=ANY) -> None:
        self.stub.add_response(
            "delete_managed_login_branding", {}, {"ManagedLoginBrandingId": BRANDING_ID, "UserPoolId": pool_id}
        )


@pytest.fixture
def idp(monkeypatch) -> Iterator[Idp]:
    """The CLI's boto3 client: moto for what moto serves, botocore's Stubber for managed login branding."""
    recorder = Idp()
    original = cli_module._idp

    def client(region: str):
        real = original(region)  # keeps the "boto3 is not installed" path
        strict_params(real, recorder.calls)
        return SplitClient(real, recorder.stubbed, recorder.stub)

    monkeypatch.setattr(cli_module, "_idp", client)
    monkeypatch.setattr(cognito.CognitoSetup, "domain_poll_seconds", 0.01)
    yield recorder
    recorder.stub.assert_no_pending_responses()


@pytest.fixture
def make_cli(tmp_path, monkeypatch, idp, moto_like_aws):
    """Run the app's CLI with .env and instance/ in a temporary folder."""
    env_file = tmp_path / ".env"
    monkeypatch.setattr("cli.ENV_FILE", env_file)

    def make(app_url: str = "http://localhost:5000"):
        settings = load_settings({"INSTANCE_PATH": str(tmp_path / "instance"), "APP_URL": app_url})
        runner = create_app(settings).test_cli_runner()

        def run(*args: str, input: str | None = None):
            return runner.invoke(args=["cognito", *args], input=input)

        run.env_file = env_file
        run.state = tmp_path / "instance" / "cognito-setup.json"
        run.idp = idp
        return run

    return make


@pytest.fixture
def cli(make_cli):
    return make_cli()


def pools(aws) -> list[dict]:
    return aws.list_user_pools(MaxResults=60)["UserPools"]


def client_named(aws, pool_id: str, name: str) -> dict:
    for item in aws.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]:
        if item["ClientName"] == name:
            return aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=item["ClientId"])["UserPoolClient"]
    raise AssertionError(f"no client {name}")


def test_setup_from_nothing(aws, cli):
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-demo", "--test-user", "tester")
    assert result.exit_code == 0, result.output
    (pool,) = pools(aws)
    assert pool["Name"] == "cognito-flow-lab"
    assert aws.describe_user_pool_domain(Domain="flow-lab-demo")["DomainDescription"]["UserPoolId"] == pool["Id"]
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert web["ClientSecret"] and set(web["AllowedOAuthFlows"]) == {"code", "implicit"}
    assert set(web["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert web["CallbackURLs"] == ["http://localhost:5000/callback", "http://localhost:5000/implicit/callback"]
    assert web["LogoutURLs"] == ["http://localhost:5000/signed-out"]
    machine = client_named(aws, pool["Id"], "cognito-flow-lab-machine")
    assert machine["AllowedOAuthFlows"] == ["client_credentials"] and machine["ClientSecret"]
    assert set(machine["AllowedOAuthScopes"]) == {"flowlab-api/read", "flowlab-api/write"}
    servers = aws.list_resource_servers(UserPoolId=pool["Id"], MaxResults=10)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == ["flowlab-api"]
    assert aws.admin_get_user(UserPoolId=pool["Id"], Username="tester")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    # the summary names what matters and never a secret
    assert pool["Id"] in result.output and "flow-lab-demo.auth.eu-west-1.amazoncognito.com" in result.output
    assert web["ClientSecret"] not in result.output and machine["ClientSecret"] not in result.output
    assert "temporary password" in result.output
    # managed login: the domain is version 2, the web client (only) got Cognito's default style
    domain = aws.describe_user_pool_domain(Domain="flow-lab-demo")["DomainDescription"]
    assert domain["ManagedLoginVersion"] == 2 and "managed login (version 2)" in result.output
    assert aws.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTier"] == "ESSENTIALS"
    assert cli.idp.calls.count("CreateManagedLoginBranding") == 1
    state = json.loads(cli.state.read_text())["created"]
    assert {"type": "branding", "id": BRANDING_ID, "pool": pool["Id"]} in state
    # no user enumeration through the sign-in pages; revocation on for the web client
    assert web["PreventUserExistenceErrors"] == "ENABLED" and machine["PreventUserExistenceErrors"] == "ENABLED"
    assert web["EnableTokenRevocation"] is True


def test_env_is_written_keeping_what_was_there_and_read_back(aws, cli, tmp_path):
    cli.idp.expect_branding_created()
    cli.env_file.write_text("# my settings\nPORT=5001\nOAUTH_CLIENT_ID=old-value\nSESSION_IDLE_MINUTES=45\n")
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-env").exit_code == 0
    text = cli.env_file.read_text()
    assert text.startswith("# my settings\nPORT=5001\n") and "SESSION_IDLE_MINUTES=45" in text
    assert "old-value" not in text and text.count("OAUTH_CLIENT_ID=") == 1
    values = dotenv_values(cli.env_file)
    (pool,) = pools(aws)
    settings = load_settings({**values, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings.issuer == f"https://cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    assert settings.is_cognito and not settings.local_provider
    assert settings.client_id == client_named(aws, pool["Id"], "cognito-flow-lab-web")["ClientId"]
    assert settings.cognito_domain == "https://flow-lab-env.auth.eu-west-1.amazoncognito.com"
    assert settings.m2m_client_id == client_named(aws, pool["Id"], "cognito-flow-lab-machine")["ClientId"]
    assert cli.env_file.stat().st_mode & 0o777 == 0o600


def test_second_run_changes_nothing(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-again").exit_code == 0
    env_before = cli.env_file.read_text()
    again = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-again")
    assert again.exit_code == 0 and "Nothing to change" in again.output
    assert len(pools(aws)) == 1 and cli.env_file.read_text() == env_before
    (pool,) = pools(aws)
    assert len(aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]) == 2


def test_drifted_client_is_updated(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-drift").exit_code == 0
    (pool,) = pools(aws)
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    aws.update_user_pool_client(
        UserPoolId=pool["Id"],
        ClientId=web["ClientId"],
        ClientName=web["ClientName"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=["https://elsewhere.example/cb"],
        AllowedOAuthFlowsUserPoolClient=True,
    )
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-drift")
    assert result.exit_code == 0 and "update app client cognito-flow-lab-web" in result.output
    fixed = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert (
        set(fixed["AllowedOAuthFlows"]) == {"code", "implicit"}
        and "http://localhost:5000/callback" in fixed["CallbackURLs"]
    )


def test_dry_run_prints_the_plan_and_changes_nothing(aws, cli):
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-dry", "--dry-run")
    assert result.exit_code == 0
    assert "Plan (dry run, nothing changed)" in result.output and "create user pool cognito-flow-lab" in result.output
    assert (
        "create domain flow-lab-dry" in result.output and "create app client cognito-flow-lab-machine" in result.output
    )
    assert pools(aws) == [] and not cli.env_file.exists()


def test_inspect_reports_a_broken_pool_with_fixes(aws, cli, monkeypatch):
    pool_id = aws.create_user_pool(PoolName="hand-made")["UserPool"]["Id"]
    client = aws.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="broken",
        GenerateSecret=False,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid"],
        CallbackURLs=["http://localhost:5000/callback/"],
        AllowedOAuthFlowsUserPoolClient=True,
    )["UserPoolClient"]
    monkeypatch.setenv("COGNITO_REGION", REGION)
    cli.idp.expect_branding_missing(client["ClientId"])
    result = cli("inspect", "--pool-id", pool_id, "--client-id", client["ClientId"])
    assert result.exit_code == 1
    out = result.output
    assert "FAIL  the user pool has no domain" in out
    assert "FAIL  callback URL http://localhost:5000/callback is not allowed" in out
    assert "WARN  implicit grant is off" in out
    assert "FAIL  scopes: openid" in out and "Enable the scopes email profile" in out
    assert "FAIL  the app client has a secret" in out and "cannot be added later" in out
    assert "WARN  sign-out URL http://localhost:5000/signed-out is not allowed" in out
    assert "FAIL  the app client has no managed login branding style" in out and "Login pages unavailable" in out


def test_inspect_passes_after_setup(aws, cli, monkeypatch):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-ok").exit_code == 0
    values = dotenv_values(cli.env_file)
    monkeypatch.setenv("COGNITO_REGION", REGION)
    result = cli("inspect", "--pool-id", values["COGNITO_USER_POOL_ID"], "--client-id", values["OAUTH_CLIENT_ID"])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output and "WARN" not in result.output
    assert "PASS  feature plan: ESSENTIALS" in result.output
    assert "INFO  domain managed login version: 2 (managed login)" in result.output
    assert "PASS  the app client has a managed login branding style" in result.output


def test_teardown_deletes_only_what_setup_created(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_deleted()
    other = aws.create_user_pool(PoolName="someone-elses")["UserPool"]["Id"]
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-gone").exit_code == 0
    refused = cli("teardown", input="n\n")
    assert refused.exit_code == 1 and "nothing was deleted" in refused.output and len(pools(aws)) == 2
    result = cli("teardown", input="y\n")
    assert result.exit_code == 0, result.output
    assert [p["Id"] for p in pools(aws)] == [other]
    assert not aws.describe_user_pool_domain(Domain="flow-lab-gone")["DomainDescription"].get("UserPoolId")
    assert not cli.state.exists()
    assert "Nothing to delete" in cli("teardown", "--yes").output


def test_domain_prefix_taken_is_clear_and_reports_what_was_created(aws, cli):
    taker = aws.create_user_pool(PoolName="taker")["UserPool"]["Id"]
    aws.create_user_pool_domain(Domain="flow-lab-taken", UserPoolId=taker)
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-taken")
    assert result.exit_code == 1
    assert "already taken" in result.output and "choose another --domain-prefix" in result.output
    assert "Created before the failure: user_pool" in result.output and "teardown" in result.output


def test_no_credentials(cli, monkeypatch, tmp_path):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    result = cli("setup", "--region", REGION, "--domain-prefix", "x-demo")
    assert result.exit_code == 1 and "No AWS credentials found" in result.output and "aws configure" in result.output


def test_without_boto3_the_commands_say_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)
    result = cli("setup", "--region", REGION, "--domain-prefix", "x-demo")
    assert result.exit_code == 1 and "pip install -r requirements-aws.txt" in result.output


def test_access_denied_is_explained():
    class Denied(Exception):
        response = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}

    error = cognito.explain_aws_error(Denied(), "create the user pool")
    assert "AWS denied the request to create the user pool" in str(error) and "cognito-idp" in str(error)
