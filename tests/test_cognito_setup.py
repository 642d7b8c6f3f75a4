"""`flask --app app cognito setup|inspect|teardown` against moto's Cognito IDP in server mode.

moto serves the JSON API (CreateUserPool, ...) but no hosted-UI OAuth endpoints, so sign-in
itself is tested against the local provider elsewhere.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.session
import pytest
from aws_fidelity import AwsLikeMoto, SplitClient, _check, strict_params
from botocore.stub import ANY, Stubber
from click.testing import Result
from dotenv import dotenv_values
from flask.testing import FlaskCliRunner
from moto.server import ThreadedMotoServer

import cli as cli_module
from app import create_app
from aws_setup import api, cognito
from config import load_settings
from tests.support import free_port

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
    """Credentials and endpoint for moto; a fresh moto state for each test.

    moto stands in for AWS itself, so boto3 finds it through the AWS config file (`endpoint_url`),
    not through AWS_ENDPOINT_URL: that variable on loopback means an emulator to setup and the app
    (COGNITO_DOMAIN and discovery from the endpoint), which the emulator tests set on purpose."""
    config = tmp_path / "aws-config"
    config.write_text(f"[default]\nendpoint_url = {moto_url}\n")
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDP", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(key, value)
    import requests

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    return boto3.session.Session().client("cognito-idp", region_name=REGION)  # reads this test's config file


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
    monkeypatch.setattr(api.CognitoApi, "domain_poll_seconds", 0.01)
    yield recorder
    recorder.stub.assert_no_pending_responses()


@dataclass
class Cli:
    """`flask cognito ...` for one test: call it with the arguments; its .env, state file and IDP at hand."""

    runner: FlaskCliRunner
    env_file: Path
    state: Path
    idp: Idp

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(args=["cognito", *args], input=input)


@pytest.fixture
def make_cli(tmp_path, monkeypatch, idp, moto_like_aws):
    """Run the app's CLI with .env and instance/ in a temporary folder."""
    env_file = tmp_path / ".env"
    monkeypatch.setattr("cli.ENV_FILE", env_file)

    def make(app_url: str = "http://localhost:5000") -> Cli:
        settings = load_settings({"INSTANCE_PATH": str(tmp_path / "instance"), "APP_URL": app_url})
        runner = create_app(settings).test_cli_runner()
        return Cli(runner, env_file, tmp_path / "instance" / "cognito-setup.json", idp)

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
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-demo", "--test-user", "tester")
    assert result.exit_code == 0, result.output
    (pool,) = pools(aws)
    assert pool["Name"] == "cognito-flow-lab"
    assert aws.describe_user_pool_domain(Domain="flow-lab-demo")["DomainDescription"]["UserPoolId"] == pool["Id"]
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert web["ClientSecret"] and set(web["AllowedOAuthFlows"]) == {"code", "implicit"}
    # issue 21: the web client may use the resource server's scopes too, so the panel's custom scopes work
    assert set(web["AllowedOAuthScopes"]) == {"openid", "email", "profile", "flowlab-api/read", "flowlab-api/write"}
    assert web["CallbackURLs"] == ["http://localhost:5000/callback", "http://localhost:5000/implicit/callback"]
    assert web["LogoutURLs"] == ["http://localhost:5000/signed-out"]
    machine = client_named(aws, pool["Id"], "cognito-flow-lab-machine")
    assert machine["AllowedOAuthFlows"] == ["client_credentials"] and machine["ClientSecret"]
    assert set(machine["AllowedOAuthScopes"]) == {"flowlab-api/read", "flowlab-api/write"}
    # the browser-only flow's public client (issue 14): no secret, the code grant, its own callback
    spa = client_named(aws, pool["Id"], "cognito-flow-lab-spa")
    assert not spa.get("ClientSecret") and spa["AllowedOAuthFlows"] == ["code"]
    assert set(spa["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert spa["CallbackURLs"] == ["http://localhost:5000/spa/callback"]
    servers = aws.list_resource_servers(UserPoolId=pool["Id"], MaxResults=10)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == ["flowlab-api"]
    assert aws.admin_get_user(UserPoolId=pool["Id"], Username="tester")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    # the summary names what matters and never a secret
    assert pool["Id"] in result.output and "flow-lab-demo.auth.eu-west-1.amazoncognito.com" in result.output
    assert web["ClientSecret"] not in result.output and machine["ClientSecret"] not in result.output
    # issue 21: the temporary password is explained where it is printed
    assert "temporary password" in result.output and "FORCE_CHANGE_PASSWORD" in result.output
    assert "asks for a new password" in result.output and "--permanent-password" in result.output
    # managed login: the domain is version 2, the web and public clients got Cognito's default style
    domain = aws.describe_user_pool_domain(Domain="flow-lab-demo")["DomainDescription"]
    assert domain["ManagedLoginVersion"] == 2 and "managed login (version 2)" in result.output
    assert aws.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTier"] == "ESSENTIALS"
    assert cli.idp.calls.count("CreateManagedLoginBranding") == 2  # the web and the public (spa) client
    state = json.loads(cli.state.read_text())["created"]
    web_style = {"type": "branding", "id": BRANDING_ID, "pool": pool["Id"], "client": web["ClientId"]}
    assert web_style in state
    # no user enumeration through the sign-in pages; revocation on for the web client
    assert web["PreventUserExistenceErrors"] == "ENABLED" and machine["PreventUserExistenceErrors"] == "ENABLED"
    assert web["EnableTokenRevocation"] is True


def test_env_is_written_keeping_what_was_there_and_read_back(aws, cli, tmp_path):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.env_file.write_text("# my settings\nPORT=5001\nOAUTH_CLIENT_ID=old-value\nSESSION_IDLE_MINUTES=45\n")
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-env").exit_code == 0
    text = cli.env_file.read_text()
    assert text.startswith("# my settings\nPORT=5001\n") and "SESSION_IDLE_MINUTES=45" in text
    assert "old-value" not in text and text.count("OAUTH_CLIENT_ID=") == 1
    values = dotenv_values(cli.env_file)
    (pool,) = pools(aws)
    settings = load_settings({**values, "INSTANCE_PATH": str(tmp_path / "instance")})
    # issue 21: a new pool gets the UPDATED issuer (AWS's recommendation), read back and written to .env
    assert values["COGNITO_ISSUER_TYPE"] == "UPDATED"
    assert settings.client.issuer == f"https://issuer-cognito-idp.{REGION}.amazonaws.com/{pool['Id']}"
    assert settings.client.is_cognito and not settings.client.local_provider
    assert settings.client.client_id == client_named(aws, pool["Id"], "cognito-flow-lab-web")["ClientId"]
    assert settings.client.cognito_domain == "https://flow-lab-env.auth.eu-west-1.amazoncognito.com"
    assert settings.client.m2m_client_id == client_named(aws, pool["Id"], "cognito-flow-lab-machine")["ClientId"]
    assert settings.client.public_client_id == client_named(aws, pool["Id"], "cognito-flow-lab-spa")["ClientId"]
    assert settings.client.resource_scopes == ("flowlab-api/read", "flowlab-api/write")
    assert cli.env_file.stat().st_mode & 0o777 == 0o600


def test_second_run_changes_nothing(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-again").exit_code == 0
    env_before = cli.env_file.read_text()
    again = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-again")
    assert again.exit_code == 0 and "Nothing to change" in again.output
    assert "sign-in pages: managed login (version 2)" in again.output  # read back from the reused domain
    assert len(pools(aws)) == 1 and cli.env_file.read_text() == env_before
    (pool,) = pools(aws)
    assert len(aws.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]) == 3


def test_drifted_client_is_updated(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
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
    assert "WARN  the sign-in pages may reveal whether a user exists" in out


def test_inspect_passes_after_setup(aws, cli, monkeypatch):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()  # (inspect reads the web client's style)
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
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_deleted()
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


# -- issue 13: what real AWS does that moto does not ----------------------------------------------


def test_the_patched_moto_resets_omitted_fields_like_aws(aws, moto_like_aws):
    """The drift test below means something only if a partial update loses settings, as on AWS."""
    pool_id = aws.create_user_pool(PoolName="reset-check")["UserPool"]["Id"]
    client = aws.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", AccessTokenValidity=30, ReadAttributes=["email"]
    )["UserPoolClient"]
    aws.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"], ClientName="c", LogoutURLs=[])
    after = aws.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert "AccessTokenValidity" not in after and "ReadAttributes" not in after


def test_drift_repair_keeps_the_settings_it_does_not_own(aws, cli, moto_like_aws):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-keep").exit_code == 0
    (pool,) = pools(aws)
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    own = {
        "AccessTokenValidity": 30,
        "IdTokenValidity": 45,
        "RefreshTokenValidity": 7,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "ReadAttributes": ["email", "email_verified", "name"],
        "WriteAttributes": ["name"],
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        "AuthSessionValidity": 10,
        "EnablePropagateAdditionalUserContextData": True,
    }
    # someone tuned the client in the console, and also broke two settings setup owns
    aws.update_user_pool_client(
        UserPoolId=pool["Id"],
        ClientId=web["ClientId"],
        ClientName=web["ClientName"],
        **{k: web[k] for k in ("AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient")},
        LogoutURLs=web["LogoutURLs"],
        SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=["https://elsewhere.example/cb"],
        PreventUserExistenceErrors="LEGACY",
        EnableTokenRevocation=True,
        **own,
    )
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-keep")
    assert result.exit_code == 0, result.output
    assert "update app client cognito-flow-lab-web: add back CallbackURLs, PreventUserExistenceErrors" in result.output
    fixed = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    # issue 21: the URL added in the console stays; the app's own come back after it
    assert fixed["CallbackURLs"] == [
        "https://elsewhere.example/cb",
        "http://localhost:5000/callback",
        "http://localhost:5000/implicit/callback",
    ]
    assert fixed["PreventUserExistenceErrors"] == "ENABLED"
    for key, value in own.items():
        assert fixed[key] == value, key
    # the request itself carried every field (read-only ones dropped): what AWS needs
    request = moto_like_aws.update_requests[-1]
    assert "ClientSecret" not in request and "CreationDate" not in request
    assert set(own) <= set(request)


def test_setup_waits_for_the_domain_to_become_active(aws, cli, moto_like_aws):
    moto_like_aws.creating_polls = 2
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-wait")
    assert result.exit_code == 0, result.output
    assert result.output.count("Waiting for domain flow-lab-wait to become ACTIVE (now CREATING)") == 2
    assert "Domain flow-lab-wait is ACTIVE." in result.output
    assert cli.idp.calls.count("DescribeUserPoolDomain") == 4  # the lookup, then 3 polls


def test_a_slow_domain_is_not_a_failure_and_says_so(aws, cli, moto_like_aws, monkeypatch):
    moto_like_aws.creating_polls = 10_000
    monkeypatch.setattr(api.CognitoApi, "domain_wait_seconds", 0.05)
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-slow")
    assert result.exit_code == 0, result.output
    assert "still CREATING" in result.output and "may take a minute more" in result.output
    assert dotenv_values(cli.env_file)["COGNITO_DOMAIN"] == "flow-lab-slow.auth.eu-west-1.amazoncognito.com"


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("my-aws-lab", "contains 'aws'"),
        ("amazonlab", "contains 'amazon'"),
        ("lab-cognito", "contains 'cognito'"),
        ("My-Lab", "lowercase letters, digits and hyphens"),
        ("-lab", "starting and ending with a letter or digit"),
        ("lab-", "starting and ending with a letter or digit"),
        ("lab.example", "lowercase letters, digits and hyphens"),
        ("a" * 64, "1 to 63"),
    ],
)
def test_domain_prefix_rules_are_checked_before_any_aws_call(aws, cli, prefix, reason):
    result = cli("setup", "--region", REGION, "--domain-prefix", prefix)
    assert result.exit_code == 1 and reason in result.output and "Traceback" not in result.output
    assert cli.idp.calls == [] and pools(aws) == []


def test_a_prefix_taken_in_another_account_gets_the_taken_advice(aws, cli):
    """DescribeUserPoolDomain does not show another account's domain; CreateUserPoolDomain refuses it."""
    from moto.cognitoidp.models import cognitoidp_backends

    elsewhere = cognitoidp_backends["210987654321"][REGION]
    other_pool = elsewhere.create_user_pool("theirs", {})
    elsewhere.create_user_pool_domain(other_pool.id, "flow-lab-theirs")
    # moto keeps domains per account, like AWS's Describe; AWS refuses the prefix in every account
    original = type(elsewhere).create_user_pool_domain

    def create(self, user_pool_id, domain, custom_domain_config=None):
        if domain in elsewhere.user_pool_domains and self is not elsewhere:
            from moto.cognitoidp.exceptions import InvalidParameterException

            raise InvalidParameterException("Domain already associated with another user pool.")
        return original(self, user_pool_id, domain, custom_domain_config)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(elsewhere), "create_user_pool_domain", create)
        result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-theirs")
    assert result.exit_code == 1
    assert "already taken" in result.output and "choose another --domain-prefix" in result.output


@pytest.mark.parametrize("app_url", ["http://example.com:5000", "http://192.168.1.20:5000", "http://flowlab.test"])
def test_http_callback_urls_are_refused_off_loopback_before_any_aws_call(aws, idp, app_url):
    with pytest.raises(cognito.SetupError) as refused:
        cognito.CognitoSetup(cli_module._idp(REGION), REGION).setup(app_url=app_url, domain_prefix="flow-lab-http")
    assert "accepts http:// callback URLs only for localhost, 127.0.0.1 and [::1]" in str(refused.value)
    assert "https://" in str(refused.value) and idp.calls == [] and pools(aws) == []


def test_the_cli_refuses_an_http_app_url_off_loopback_without_a_traceback(aws, tmp_path):
    """`flask --app app cognito setup`, as a user runs it: a message and exit 1, no AWS call."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).parent.parent
    env = {**os.environ, "APP_URL": "http://flowlab.example:5000", "INSTANCE_PATH": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "cognito",
            "setup",
            "--region",
            REGION,
            "--domain-prefix",
            "x1",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Configuration error: APP_URL='http://flowlab.example:5000' uses http://" in run.stderr
    assert "localhost, 127.0.0.1 and [::1]" in run.stderr and pools(aws) == []


@pytest.mark.parametrize("app_url", ["http://127.0.0.1:5000", "https://flowlab.example"])
def test_loopback_http_and_any_https_are_accepted(aws, make_cli, app_url):
    cli = make_cli(app_url)
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-ok-url", "--dry-run")
    assert result.exit_code == 0, result.output


def test_ipv6_loopback_is_a_cognito_loopback_too():
    """Cognito accepts http://[::1]; the app's own config refuses IPv6 APP_URLs for its Host checks."""
    cognito.check_app_url("http://[::1]:5000")


def test_a_lite_pool_is_reported_and_not_set_up(aws, cli, monkeypatch):
    pool_id = aws.create_user_pool(PoolName="cognito-flow-lab", UserPoolTier="LITE")["UserPool"]["Id"]
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-lite")
    assert result.exit_code == 1 and "Lite feature plan" in result.output and "Essentials" in result.output
    client = aws.create_user_pool_client(UserPoolId=pool_id, ClientName="c", GenerateSecret=True)["UserPoolClient"]
    cli.idp.expect_branding_missing(client["ClientId"])
    monkeypatch.setenv("COGNITO_REGION", REGION)
    out = cli("inspect", "--pool-id", pool_id, "--client-id", client["ClientId"]).output
    assert "WARN  feature plan: LITE (no managed login" in out


def test_teardown_removes_a_domain_added_in_the_console_and_the_style(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_deleted()
    cli.idp.expect_branding_deleted()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-first").exit_code == 0
    (pool,) = pools(aws)
    # in the console: the setup's domain replaced by another one
    aws.delete_user_pool_domain(Domain="flow-lab-first", UserPoolId=pool["Id"])
    aws.create_user_pool_domain(Domain="flow-lab-console", UserPoolId=pool["Id"])
    result = cli("teardown", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted domain flow-lab-console (found on the pool)" in result.output
    assert f"deleted branding {BRANDING_ID}" in result.output
    assert pools(aws) == [] and not aws.describe_user_pool_domain(Domain="flow-lab-console")["DomainDescription"]


def test_every_aws_call_is_in_the_iam_list_and_the_docs(aws, cli, monkeypatch):
    from pathlib import Path

    from botocore import xform_name

    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()  # (inspect reads the web client's style)
    cli.idp.expect_branding_deleted()
    cli.idp.expect_branding_deleted()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-iam", "--test-user", "t1").exit_code == 0
    values = dotenv_values(cli.env_file)
    monkeypatch.setenv("COGNITO_REGION", REGION)
    assert cli("inspect", "--pool-id", values["COGNITO_USER_POOL_ID"], "--client-id", values["OAUTH_CLIENT_ID"])
    assert cli("teardown", "--yes").exit_code == 0
    assert set(cli.idp.calls) <= set(cognito.IAM_ACTIONS), set(cli.idp.calls) - set(cognito.IAM_ACTIONS)
    # also the calls this run did not reach (reuse paths): every operation named in the code is listed
    source = "".join(p.read_text() for p in Path(cognito.__file__).parent.glob("*.py"))
    operations = boto3.client("cognito-idp", region_name=REGION).meta.service_model.operation_names
    named = {op for op in operations if f'"{xform_name(op)}"' in source}
    assert named == set(cognito.IAM_ACTIONS)
    policy = (Path(__file__).parent.parent / "docs" / "cognito-pool.md").read_text()  # "IAM permissions"
    assert [a for a in cognito.IAM_ACTIONS if f"cognito-idp:{a}" not in policy] == []
    denied = str(cognito.explain_aws_error(_Denied(), "create the user pool"))
    assert all(f"cognito-idp:{a}" in denied for a in cognito.IAM_ACTIONS)


class _Denied(Exception):
    response = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}


def test_a_reused_classic_hosted_ui_domain_is_reported_as_such(aws, cli):
    pool_id = aws.create_user_pool(PoolName="cognito-flow-lab")["UserPool"]["Id"]
    aws.create_user_pool_domain(Domain="flow-lab-classic", UserPoolId=pool_id, ManagedLoginVersion=1)
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-classic")
    assert result.exit_code == 0, result.output
    assert "reuse domain flow-lab-classic (classic hosted UI)" in result.output
    assert "sign-in pages: classic hosted UI (version 1)" in result.output
    assert "CreateUserPoolDomain" not in cli.idp.calls


def test_a_public_client_with_a_secret_is_refused(aws, cli):
    """A client named like setup's public client but with a secret cannot serve the browser-only flow."""
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_found()  # the second run stops at the public client, before its style
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-spa-secret").exit_code == 0
    (pool,) = pools(aws)
    spa = client_named(aws, pool["Id"], "cognito-flow-lab-spa")
    aws.delete_user_pool_client(UserPoolId=pool["Id"], ClientId=spa["ClientId"])
    aws.create_user_pool_client(UserPoolId=pool["Id"], ClientName="cognito-flow-lab-spa", GenerateSecret=True)
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-spa-secret")
    assert result.exit_code == 1
    assert "has a secret, but the browser-only flow needs a public client" in result.output


# -- issue 21: the first run on a real 2026 user pool ---------------------------------------------


def set_up_twice(cli, prefix: str) -> None:
    """A first setup; the stub then expects the styles both runs create or find."""
    for expect in (cli.idp.expect_branding_created, cli.idp.expect_branding_created):
        expect()
    cli.idp.expect_branding_found()
    cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", prefix).exit_code == 0


def test_a_failed_setup_can_be_torn_down(aws, cli):
    """The likeliest first-run failure, a taken prefix, after the pool exists: the pool is already
    recorded, teardown removes it, and a later run keeps it as this app's (before: 'Nothing to delete')."""
    taker = aws.create_user_pool(PoolName="taker")["UserPool"]["Id"]
    aws.create_user_pool_domain(Domain="flow-lab-first-run", UserPoolId=taker)
    failed = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-first-run")
    assert failed.exit_code == 1 and "already recorded" in failed.output
    ours = next(p["Id"] for p in pools(aws) if p["Name"] == "cognito-flow-lab")
    assert {"type": "user_pool", "id": ours} in json.loads(cli.state.read_text())["created"]
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    second = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-second-run")
    assert second.exit_code == 0, second.output
    assert f"reuse user pool cognito-flow-lab ({ours}" in second.output and "teardown deletes it" in second.output
    cli.idp.expect_branding_deleted()
    cli.idp.expect_branding_deleted()
    gone = cli("teardown", "--yes")
    assert gone.exit_code == 0, gone.output
    assert [p["Id"] for p in pools(aws)] == [taker]


def test_a_pool_this_app_created_elsewhere_is_recognised_by_its_tag(aws, cli):
    pool_id = aws.create_user_pool(PoolName="cognito-flow-lab", UserPoolTags={"created-by": "cognito-flow-lab"})[
        "UserPool"
    ]["Id"]
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-tagged")
    assert result.exit_code == 0 and "created by this app: teardown deletes it" in result.output
    assert {"type": "user_pool", "id": pool_id} in json.loads(cli.state.read_text())["created"]


def test_a_reused_pool_keeps_its_issuer_form_and_the_app_follows_it(aws, cli, tmp_path):
    aws.create_user_pool(PoolName="cognito-flow-lab", IssuerConfiguration={"Type": "ORIGINAL"})
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-original", "--issuer-type", "UPDATED")
    assert result.exit_code == 0 and "issuer original" in result.output
    values = dotenv_values(cli.env_file)
    assert values["COGNITO_ISSUER_TYPE"] == "ORIGINAL"
    settings = load_settings({**values, "INSTANCE_PATH": str(tmp_path / "i")})
    assert settings.client.issuer == f"https://cognito-idp.{REGION}.amazonaws.com/{values['COGNITO_USER_POOL_ID']}"
    assert "CreateUserPool" not in cli.idp.calls  # a reused pool is never changed


def test_a_new_pool_can_be_given_the_original_issuer(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    assert (
        cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-orig", "--issuer-type", "original").exit_code == 0
    )
    (pool,) = pools(aws)
    assert aws.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["IssuerConfiguration"] == {"Type": "ORIGINAL"}
    assert dotenv_values(cli.env_file)["COGNITO_ISSUER_TYPE"] == "ORIGINAL"


def test_setup_lets_the_api_take_the_machine_clients_tokens_and_keeps_other_ids(aws, cli):
    cli.env_file.write_text("API_ALLOWED_CLIENT_IDS=someone-elses-client\n")
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-api").exit_code == 0
    values = dotenv_values(cli.env_file)
    assert values["API_ALLOWED_CLIENT_IDS"].split() == ["someone-elses-client", values["M2M_CLIENT_ID"]]
    settings = load_settings({**values, "INSTANCE_PATH": str(cli.state.parent)})
    assert values["M2M_CLIENT_ID"] in settings.client.api_allowed_client_ids


def test_repair_adds_what_the_app_needs_and_keeps_what_the_user_added(aws, cli, moto_like_aws):
    set_up_twice(cli, "flow-lab-add")
    (pool,) = pools(aws)
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    mine = "https://mine.example/cb"
    aws.update_user_pool_client(
        UserPoolId=pool["Id"],
        ClientId=web["ClientId"],
        ClientName=web["ClientName"],
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "phone", "email", "profile"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=[mine],
        DefaultRedirectURI=mine,
        LogoutURLs=["https://mine.example/bye", "http://localhost:5000/signed-out"],
        SupportedIdentityProviders=["COGNITO"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-add")
    assert result.exit_code == 0, result.output
    fixed = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert fixed["CallbackURLs"] == [mine, "http://localhost:5000/callback", "http://localhost:5000/implicit/callback"]
    assert fixed["DefaultRedirectURI"] == mine  # still one of the callback URLs, so AWS accepts it
    assert fixed["LogoutURLs"] == ["https://mine.example/bye", "http://localhost:5000/signed-out"]
    assert "phone" in fixed["AllowedOAuthScopes"] and "flowlab-api/read" in fixed["AllowedOAuthScopes"]
    assert fixed["AllowedOAuthFlows"] == ["code", "implicit"]


def test_repair_never_sends_an_empty_default_redirect_uri():
    """An emulator (MiniStack) describes a client with DefaultRedirectURI "", which the model refuses."""
    from aws_setup.clients import repair_request, web_client_settings

    existing = {"ClientId": "c", "UserPoolId": "p", "ClientName": "n", "DefaultRedirectURI": "", "CallbackURLs": []}
    wanted = web_client_settings("http://localhost:5000")
    request = repair_request(
        existing, wanted, {"ClientId", "UserPoolId", "ClientName", "DefaultRedirectURI", "CallbackURLs"}
    )
    assert "DefaultRedirectURI" not in request and request["CallbackURLs"][0] == "http://localhost:5000/callback"


def test_a_secret_kept_in_secrets_manager_is_a_secret(aws, cli, monkeypatch):
    """DescribeUserPoolClient returns ClientSecretArn instead of ClientSecret for such a client (botocore's model)."""
    set_up_twice(cli, "flow-lab-arn")
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cognito-web-AbCdEf"
    from moto.cognitoidp.models import CognitoIdpUserPoolClient

    original = CognitoIdpUserPoolClient.to_json

    def to_json(self, extended: bool = False):
        data = original(self, extended)
        if extended and data.get("ClientName") == "cognito-flow-lab-web":
            data.pop("ClientSecret", None)
            data["ClientSecretArn"] = arn
        return data

    monkeypatch.setattr(CognitoIdpUserPoolClient, "to_json", to_json)
    before = dotenv_values(cli.env_file)["OAUTH_CLIENT_SECRET"]
    again = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-arn")
    assert again.exit_code == 0, again.output
    assert "without a secret" not in again.output and "kept in AWS Secrets Manager" in again.output
    assert f"--secret-id {arn}" in again.output
    assert dotenv_values(cli.env_file)["OAUTH_CLIENT_SECRET"] == before  # kept, not blanked
    cli.idp.expect_branding_found()
    values = dotenv_values(cli.env_file)
    out = cli("inspect", "--pool-id", values["COGNITO_USER_POOL_ID"], "--client-id", values["OAUTH_CLIENT_ID"]).output
    assert "PASS  the app client has a secret (kept in AWS Secrets Manager" in out


def test_a_second_domain_prefix_on_a_reused_pool_is_refused_before_any_change(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-one").exit_code == 0
    before = len(cli.idp.calls)
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-two")
    assert result.exit_code == 1
    assert "already has the domain prefix 'flow-lab-one'" in result.output and "only one" in result.output
    assert "--domain-prefix flow-lab-one" in result.output and "delete the domain first" in result.output
    made = {c for c in cli.idp.calls[before:] if c.startswith(("Create", "Update", "Delete"))}
    assert made == set() and not aws.describe_user_pool_domain(Domain="flow-lab-two")["DomainDescription"]


def test_teardown_refuses_a_protected_pool_before_deleting_anything(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-protect").exit_code == 0
    (pool,) = pools(aws)
    from moto.cognitoidp.models import cognitoidp_backends

    cognitoidp_backends["123456789012"][REGION].user_pools[pool["Id"]].extended_config["DeletionProtection"] = "ACTIVE"
    before = len(cli.idp.calls)
    result = cli("teardown", "--yes")
    assert (
        result.exit_code == 1 and "deletion protection on" in result.output and "nothing was deleted" in result.output
    )
    assert "Settings → Deletion protection → Deactivate" in result.output
    assert not [c for c in cli.idp.calls[before:] if c.startswith("Delete")]
    assert aws.describe_user_pool_domain(Domain="flow-lab-protect")["DomainDescription"]["UserPoolId"] == pool["Id"]
    assert cli.state.exists()


def test_teardown_waits_until_the_domain_is_gone(aws, cli, moto_like_aws):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_deleted()
    cli.idp.expect_branding_deleted()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-slowgone").exit_code == 0
    moto_like_aws.deleting_polls = 2
    result = cli("teardown", "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.count("Waiting for domain flow-lab-slowgone to be deleted (now DELETING)") == 2
    assert "Domain flow-lab-slowgone is deleted." in result.output and pools(aws) == []


def test_inspect_carries_on_past_a_failing_call(aws, cli, monkeypatch):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-partial").exit_code == 0
    values = dotenv_values(cli.env_file)
    cli.idp.stub.add_client_error(
        "describe_managed_login_branding_by_client",
        service_error_code="UnknownOperationException",
        service_message="Unknown operation",
        http_status_code=400,
    )
    monkeypatch.setenv("COGNITO_REGION", REGION)
    monkeypatch.setattr(api.CognitoApi, "describe_domain", _broken_domain_lookup)
    result = cli("inspect", "--pool-id", values["COGNITO_USER_POOL_ID"], "--client-id", values["OAUTH_CLIENT_ID"])
    out = result.output
    assert "FAIL  could not check the domain: AWS failed to look up the domain" in out
    assert "WARN  could not check the managed login branding style: The endpoint does not implement" in out
    # and every other finding is still there
    assert "PASS  feature plan: ESSENTIALS" in out and "INFO  issuer: UPDATED" in out
    assert (
        "PASS  callback URL http://localhost:5000/callback is allowed" in out
        and "PASS  the app client has a secret" in out
    )
    assert result.exit_code == 1 and "Traceback" not in out


def _broken_domain_lookup(self, prefix):
    raise api.SetupError("AWS failed to look up the domain: ThrottlingException: Rate exceeded")


def test_a_permanent_test_password_needs_no_change(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli(
        "setup", "--region", REGION, "--domain-prefix", "flow-lab-perm", "--test-user", "pat", "--permanent-password"
    )
    assert result.exit_code == 0, result.output
    (pool,) = pools(aws)
    assert aws.admin_get_user(UserPoolId=pool["Id"], Username="pat")["UserStatus"] == "CONFIRMED"
    assert "(permanent: sign in with it as is)" in result.output and "FORCE_CHANGE_PASSWORD" not in result.output


def test_branding_an_endpoint_lacks_is_a_warning(aws, cli):
    for _ in range(2):
        cli.idp.stub.add_client_error(
            "create_managed_login_branding",
            service_error_code="InvalidAction",
            service_message="Unknown Cognito IDP action: CreateManagedLoginBranding",
            http_status_code=400,
        )
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-nobrand")
    assert result.exit_code == 0, result.output
    assert "Warning: No managed login branding style for cognito-flow-lab-web" in result.output
    assert not [c for c in json.loads(cli.state.read_text())["created"] if c["type"] == "branding"]


# -- issue 22: --refresh-token-rotation [GRACE_SECONDS] ----------------------------------------------------


def test_setup_turns_rotation_on_for_the_web_client_and_writes_the_grace(aws, cli, tmp_path):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-rotate", "--refresh-token-rotation", "15")
    assert result.exit_code == 0, result.output  # every call's parameters held to botocore's model (strict_params)
    (pool,) = pools(aws)
    web = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert web["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 15}
    # AWS: rotation is incompatible with REFRESH_TOKEN_AUTH, so the rotating client is created without it
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in web["ExplicitAuthFlows"] and web["ExplicitAuthFlows"]
    for other in ("cognito-flow-lab-machine", "cognito-flow-lab-spa"):  # only the dashboard's client rotates
        assert client_named(aws, pool["Id"], other).get("RefreshTokenRotation", {}).get("Feature") != "ENABLED"
    assert "create app client cognito-flow-lab-web (refresh-token rotation on, grace 15 s)" in result.output
    assert "Refresh-token rotation: on for the web client" in result.output and "works 15 s more" in result.output
    values = dotenv_values(cli.env_file)
    assert values["REFRESH_TOKEN_GRACE_SECONDS"] == "15"
    settings = load_settings({**values, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings.refresh_token_grace_seconds == 15  # the dashboard's grace countdown and replay wait


def test_rotation_is_added_to_a_reused_client_keeping_the_rest_and_read_back_later(aws, cli, moto_like_aws):
    for _ in range(2):
        cli.idp.expect_branding_created()
    for _ in range(4):
        cli.idp.expect_branding_found()
    assert cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-rot2").exit_code == 0
    assert "REFRESH_TOKEN_GRACE_SECONDS" not in dotenv_values(cli.env_file)  # no rotation, no line for it
    (pool,) = pools(aws)
    before = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert before.get("RefreshTokenRotation", {}).get("Feature") != "ENABLED"
    turned_on = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-rot2", "--refresh-token-rotation")
    assert turned_on.exit_code == 0, turned_on.output
    assert "update app client cognito-flow-lab-web: turn on refresh-token rotation" in turned_on.output
    after = client_named(aws, pool["Id"], "cognito-flow-lab-web")
    assert after["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}  # no value: 0
    assert "take ALLOW_REFRESH_TOKEN_AUTH out of ExplicitAuthFlows" in turned_on.output
    assert after["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]  # AWS's defaults, less that one
    # UpdateUserPoolClient resets what it is not sent (the patched moto does too): the rest survived
    for key in ("CallbackURLs", "LogoutURLs", "AllowedOAuthScopes", "AllowedOAuthFlows", "PreventUserExistenceErrors"):
        assert after[key] == before[key], key
    assert dotenv_values(cli.env_file)["REFRESH_TOKEN_GRACE_SECONDS"] == "0"
    again = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-rot2")  # without the option
    assert again.exit_code == 0 and "Nothing to change" in again.output
    assert client_named(aws, pool["Id"], "cognito-flow-lab-web")["RefreshTokenRotation"]["Feature"] == "ENABLED"
    assert dotenv_values(cli.env_file)["REFRESH_TOKEN_GRACE_SECONDS"] == "0"  # read back from the client


@pytest.mark.parametrize(
    ("grace", "says"),
    [("61", "61 is not in the range 0<=x<=60"), ("soon", "'soon' is not a valid integer"), ("-1", "-1")],
)
def test_a_grace_outside_cognitos_range_is_refused_before_any_aws_call(aws, cli, grace, says):
    result = cli(
        "setup", "--region", REGION, "--domain-prefix", "flow-lab-badgrace", f"--refresh-token-rotation={grace}"
    )
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output
    assert cli.idp.calls == [] and pools(aws) == []


def test_the_dry_run_plans_the_rotation(aws, cli):
    result = cli(
        "setup", "--region", REGION, "--domain-prefix", "flow-lab-dryrot", "--dry-run", "--refresh-token-rotation", "30"
    )
    assert result.exit_code == 0, result.output
    assert "create app client cognito-flow-lab-web (refresh-token rotation on, grace 30 s)" in result.output
    assert pools(aws) == []


def test_setup_prints_the_line_that_attaches_a_token_customization_trigger(aws, cli):
    cli.idp.expect_branding_created()
    cli.idp.expect_branding_created()
    result = cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-trigger")
    assert result.exit_code == 0, result.output
    (pool,) = pools(aws)
    line = re.search(r"aws cognito-idp update-user-pool --user-pool-id (\S+) --lambda-config '(.*?)'", result.output)
    assert line and line.group(1) == pool["Id"]
    config = re.fullmatch(r"PreTokenGenerationConfig=\{LambdaVersion=(\w+),LambdaArn=<function-arn>\}", line[2])
    assert config and config.group(1) == "V3_0"
    assert "UpdateUserPool resets every setting it is not given" in result.output
    arn = f"arn:aws:lambda:{REGION}:123456789012:function:flowlab-pre-token"  # what the reader puts in
    params = {
        "UserPoolId": line.group(1),
        "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": config.group(1), "LambdaArn": arn}},
    }
    problems: list[str] = []
    model = botocore.session.get_session().get_service_model("cognito-idp")
    _check(model.operation_model("UpdateUserPool").input_shape, params, "UpdateUserPool", problems)
    assert problems == []
