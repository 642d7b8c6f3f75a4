"""The whole real-pool path against MiniStack, an AWS emulator written by others, started by the suite:
`cognito setup` → sign-in in Chromium → dashboard → refresh → userInfo → API → /machine → sign-out →
`cognito teardown`, plus the emulator's gaps (no /oauth2/revoke, no implicit grant) as the app and the
doctor report them. One test, in order, on one MiniStack and one pool (xdist may not split it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dotenv import dotenv_values
from flask import Flask
from playwright.sync_api import Page, expect

import cli as cli_module
from app import create_app
from config import load_settings
from lab import doctor
from tests.support import LiveServer, stop
from tests.support.ministack import start_ministack

pytestmark = pytest.mark.browser
REGION = "eu-west-1"


class Lab:
    """One MiniStack, the app's server (bound first: setup registers its URL), and the CLI's files."""

    def __init__(self, tmp: Path, endpoint: str):
        self.tmp = tmp
        self.endpoint = endpoint
        self.server = LiveServer()
        self.env_file = tmp / ".env"
        self.instance = tmp / "instance"
        self.app: Flask | None = None
        self.password = ""

    def cli(self, *args: str):
        settings = load_settings({"INSTANCE_PATH": str(self.instance), "APP_URL": self.server.url})
        return create_app(settings).test_cli_runner().invoke(args=["cognito", *args])

    def start_app(self, **extra: str) -> Flask:
        values = {k: v or "" for k, v in dotenv_values(self.env_file).items()}
        env = {**values, "INSTANCE_PATH": str(self.instance), "SECRET_KEY": "ministack-test", **extra}
        self.app = create_app(load_settings(env))
        self.server.app = self.app
        return self.app


@pytest.fixture
def lab(tmp_path_factory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("ministack")
    (tmp / "state").mkdir()
    proc, endpoint = start_ministack(tmp / "state")
    patch = pytest.MonkeyPatch()
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        patch.delenv(key, raising=False)
    for key, value in {
        "AWS_ENDPOINT_URL_COGNITO_IDP": endpoint,  # explicitly set, on loopback: an emulator
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(tmp / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-credentials"),
    }.items():
        patch.setenv(key, value)
    lab = Lab(tmp, endpoint)
    patch.setattr(cli_module, "ENV_FILE", lab.env_file)
    yield lab
    patch.undo()
    lab.server.stop()
    stop(proc)


def setup_against_the_emulator(lab: Lab) -> None:
    result = lab.cli("setup", "--region", REGION, "--domain-prefix", "flow-lab-ministack", "--test-user", "tester")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Cognito endpoint: {lab.endpoint} (from AWS_ENDPOINT_URL_COGNITO_IDP; an emulator on loopback)" in out
    # MiniStack has no managed login branding: a warning, not a failure
    assert "Warning: No managed login branding style for cognito-flow-lab-web" in out and "InvalidAction" in out
    # it ignores IssuerConfiguration and signs with the original issuer: setup reads back what the pool has
    assert "asked for the UPDATED issuer, but the pool reports ORIGINAL" in out
    values = dotenv_values(lab.env_file)
    assert values["COGNITO_ISSUER_TYPE"] == "ORIGINAL"
    assert (
        values["COGNITO_DOMAIN"] == lab.endpoint
        and values["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] == lab.endpoint
    )
    assert values["API_ALLOWED_CLIENT_IDS"] == values["M2M_CLIENT_ID"]
    state = (lab.instance / "cognito-setup.json").read_text()
    assert str(values["COGNITO_USER_POOL_ID"]) in state
    # inspect against the emulator: the branding call it lacks is one finding, every other part is checked
    inspected = lab.cli(
        "inspect", "--pool-id", str(values["COGNITO_USER_POOL_ID"]), "--client-id", str(values["OAUTH_CLIENT_ID"])
    )
    assert "WARN  could not check the managed login branding style" in inspected.output
    assert "PASS  callback URL" in inspected.output and "INFO  issuer: ORIGINAL" in inspected.output
    assert "Traceback" not in inspected.output
    password = re.search(r"temporary password (\S+)\.", out)
    assert password, out
    lab.password = password.group(1)


def sign_in_and_the_lifecycle_in_chromium(lab: Lab, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    lab.start_app(MACHINE_PAGE="on")
    page.goto(lab.server.url + "/login")
    # MiniStack serves its sign-in form at /oauth2/authorize itself
    expect(page).to_have_url(re.compile(re.escape(lab.endpoint + "/oauth2/authorize?")))
    page.get_by_label("Username").fill("tester")
    page.get_by_label("Password").fill(lab.password)
    page.get_by_role("button", name="Sign in").click()
    # the test user has a temporary password: FORCE_CHANGE_PASSWORD asks for a new one first
    page.get_by_label("New password", exact=True).fill("Fl0w-Changed-9!")
    page.get_by_label("Confirm new password").fill("Fl0w-Changed-9!")
    page.get_by_role("button", name="Update password").click()
    expect(page.locator("h1")).to_contain_text("Signed in as tester")
    expect(page.locator("#token-id .pill")).to_have_text("verified")

    page.get_by_role("button", name="Refresh tokens").click()
    expect(page.locator("#token-id .pill")).to_have_text("verified")
    page.get_by_role("button", name="Call userInfo").click()
    expect(page.locator("#lifecycle")).to_contain_text('"username": "tester"')
    page.get_by_role("button", name="Call the API with the access token").click()
    expect(page.locator("#lifecycle")).to_contain_text("HTTP 200")

    page.goto(lab.server.url + "/machine")
    page.get_by_role("button", name="Get a token").click()
    expect(page.locator("#machine-result .pill")).to_have_text("verified")
    page.get_by_role("button", name="Call the API with this token").click()
    expect(page.locator("#machine-api-response")).to_contain_text("HTTP 200")

    # no /oauth2/revoke at MiniStack: Revoke says so plainly (a 502 naming the endpoint), and the sign-in stays
    page.goto(lab.server.url + "/dashboard")
    page.get_by_role("button", name="Revoke the refresh token").click()
    expect(page.locator("main")).to_contain_text(
        "has no OAuth revocation endpoint at " + lab.endpoint + "/oauth2/revoke"
    )
    page.goto(lab.server.url + "/dashboard")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("body")).to_contain_text("signed out")
    assert errors == []


def the_emulators_gaps_are_reported_plainly(lab: Lab) -> None:
    app = lab.app
    assert app is not None
    client = app.extensions["oauth_client"]
    found = {f.name: f for f in doctor.run(client.config, client.http)}
    assert found["discovery"].status == "pass"
    # the sign-in form at /oauth2/authorize is not "Login pages unavailable"
    assert found["redirect_uri"].status == "pass" and "sign-in form" in found["redirect_uri"].message
    assert "branding" not in found["redirect_uri"].fix
    # no implicit grant: the body's unsupported_response_type is what the doctor says
    implicit = found["implicit_redirect_uri"]
    assert implicit.status == "warn" and "unsupported_response_type" in implicit.message
    assert "branding" not in implicit.fix
    # no /oauth2/revoke
    assert found["revocation"].status == "warn" and "/oauth2/revoke" in found["revocation"].message
    with requests.Session() as http:
        answer = http.get(lab.server.url + "/implicit", allow_redirects=False)
    assert answer.status_code == 502 and "unsupported_response_type" in answer.text
    assert "Traceback" not in answer.text


def teardown_of_the_emulator_pool(lab: Lab) -> None:
    result = lab.cli("teardown", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted user pool" in result.output
    pools = requests.post(
        lab.endpoint,
        json={"MaxResults": 10},
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=10,
    ).json()
    assert pools["UserPools"] == []


def test_the_real_pool_path_on_ministack(lab, page: Page):
    setup_against_the_emulator(lab)
    sign_in_and_the_lifecycle_in_chromium(lab, page)
    the_emulators_gaps_are_reported_plainly(lab)
    teardown_of_the_emulator_pool(lab)
