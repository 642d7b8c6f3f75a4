"""identity_provider on the authorize request: the local provider emulates a second, "external" identity
provider (ExampleCorp) that the user is sent through, as Cognito does for a federated IdP. AWS's authorize
endpoint page: "If you include an identity_provider or idp_identifier parameter in the URL, it silently
redirects your user to the sign-in page for that identity provider (IdP). Otherwise, it redirects to the
Login endpoint" (https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from local_cognito.settings import EXTERNAL_IDP
from tests.test_authorize_panel import open_panel, send

CAROL = EXTERNAL_IDP["users"][0]


def authorize_with(stack, http, **fields) -> str:
    """The panel sends an authorize request with these fields; the provider's first answer's Location."""
    location = send(stack, http, open_panel(stack, http), scope=["openid", "email", "profile"], **fields)
    return http.get(location.headers["Location"], allow_redirects=False).headers["Location"]


def sign_in_at_the_idp(stack, http, idp_page: str, username: str, password: str) -> str:
    """Fill the external IdP's form; follow the hops back through the pool; return the app's callback URL."""
    page = http.get(idp_page)
    assert page.status_code == 200, page.text
    form = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    form.update(username=username, password=password)
    back_to_pool = http.post(page.url.split("?")[0], data=form, allow_redirects=False)
    assert back_to_pool.status_code == 302, back_to_pool.text
    hop = back_to_pool.headers["Location"]
    assert urlsplit(hop).path == "/oauth2/idpresponse"  # the IdP answers the pool, not the app
    return http.get(hop, allow_redirects=False).headers["Location"]


@pytest.mark.parametrize("fields", [{"identity_provider": "ExampleCorp"}, {"idp_identifier": "example.com"}])
def test_identity_provider_sends_the_user_through_the_external_idp(stack, http, fields):
    idp_page = authorize_with(stack, http, **fields)
    assert idp_page.startswith(stack.provider_url + "/external-idp/ExampleCorp/login?")  # managed login skipped
    text = http.get(idp_page).text
    assert "ExampleCorp" in text and CAROL["username"] in text
    callback = sign_in_at_the_idp(stack, http, idp_page, CAROL["username"], CAROL["password"])
    assert callback.startswith(stack.url + "/callback?")
    assert http.get(callback, allow_redirects=False).headers["Location"] == "/dashboard"
    claims = stack.session_json(http)["id_token_claims"]
    assert claims["cognito:username"] == f"ExampleCorp_{CAROL['sub']}"
    assert claims["email"] == CAROL["email"]
    assert f"{stack.pool_config['pool_id']}_ExampleCorp" in claims["cognito:groups"]
    (identity,) = claims["identities"]
    assert identity["providerName"] == "ExampleCorp" and identity["providerType"] == "OIDC"
    assert identity["userId"] == CAROL["sub"] and identity["primary"] == "true"
    assert isinstance(identity["dateCreated"], str) and identity["dateCreated"].isdigit()
    dashboard = http.get(stack.url + "/dashboard").text
    assert 'data-claim="identities"' in dashboard


def test_cognito_as_identity_provider_is_the_pools_own_sign_in(stack, http):
    assert authorize_with(stack, http, identity_provider="COGNITO").startswith(stack.provider_url + "/login?")


def test_an_identity_provider_the_client_does_not_have_is_refused(stack, http):
    back = authorize_with(stack, http, identity_provider="Nope")
    assert back.startswith(stack.url + "/callback?")
    query = dict(parse_qsl(urlsplit(back).query))
    assert query["error"] == "invalid_request" and "Nope" in query["error_description"]
    page = http.get(back)
    assert page.status_code == 400 and "error=invalid_request" in html.unescape(page.text)


def test_a_wrong_password_at_the_idp_stays_there(stack, http):
    idp_page = authorize_with(stack, http, identity_provider="ExampleCorp")
    page = http.get(idp_page)
    form = {k: html.unescape(v) for k, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    wrong = http.post(page.url.split("?")[0], data={**form, "username": "carol", "password": "nope"})
    assert wrong.status_code == 400 and "Incorrect username or password" in wrong.text


def test_a_federated_user_has_no_password_at_the_pool(stack, http):
    idp_page = authorize_with(stack, http, identity_provider="ExampleCorp")
    sign_in_at_the_idp(stack, http, idp_page, CAROL["username"], CAROL["password"])
    federated = f"ExampleCorp_{CAROL['sub']}"
    assert stack.pool.user(federated) is not None
    assert stack.pool.check_password(federated, "") is None
